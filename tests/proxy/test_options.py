"""The proxy's command-line options become its settings; the upstream URL is checked and
shown without a password."""

from __future__ import annotations

import pytest

from server.cli import build_parser
from server.proxy import serve
from server.proxy.forward import check_upstream, shown_upstream
from server.settings import Settings


def settings_for(*args: str) -> serve.ProxySettings:
    parsed = build_parser().parse_args(["--proxy", "https://csbs.example.com", *args])
    return serve.settings_from(parsed, Settings())


def test_tls_verification_is_on_by_default_and_can_be_turned_off_or_pinned() -> None:
    assert settings_for().verify is True
    assert settings_for("--proxy-insecure").verify is False
    assert settings_for("--proxy-ca-file", "/etc/ca.pem").verify == "/etc/ca.pem"


def test_timeout_and_strict_reach_the_settings() -> None:
    settings = settings_for("--proxy-timeout", "2.5", "--proxy-strict")
    assert (settings.timeout, settings.strict) == (2.5, True)
    assert settings_for().strict is False


@pytest.mark.parametrize(
    "url", ["ftp://host", "host:8080", "http://", "https://host/?q=1", "https://host/#x"]
)
def test_an_upstream_that_is_not_an_http_base_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="upstream"):
        check_upstream(url)


def test_the_upstream_is_shown_without_user_and_password() -> None:
    assert (
        shown_upstream("https://user:pw@csbs.example.com:8443/base") == "https://csbs.example.com:8443/base"
    )
    assert check_upstream("https://csbs.example.com/base/") == "https://csbs.example.com/base"
