"""The command line's proxy mode: `python -m server --proxy URL [--proxy-strict] ...`."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import uvicorn

from ..seeds import ADMIN_TOKEN_ENV
from ..settings import CONTROL_PREFIX, Settings
from .forward import ProxySettings, check_upstream, shown_upstream


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "proxy mode", "forward the contract's requests to a real provider and check both directions"
    )
    group.add_argument(
        "--proxy",
        metavar="URL",
        help="forward every request outside /_stub to this base URL (path and query appended) and"
        " record contract violations (GET /_stub/violations); one worker, nothing stored",
    )
    group.add_argument(
        "--proxy-strict",
        action="store_true",
        help="refuse invalid requests (400 CSBS.9001, not forwarded) and replace answers that break"
        " the contract (500 CSBS.9999); default: record only, change nothing",
    )
    group.add_argument(
        "--proxy-timeout",
        type=float,
        default=ProxySettings.timeout,
        metavar="SECONDS",
        help=f"longest exchange with the upstream before the client gets 503 CSBS.9998"
        f" (default {ProxySettings.timeout:g})",
    )
    group.add_argument(
        "--proxy-insecure",
        action="store_true",
        help="do not verify the upstream's TLS certificate",
    )
    group.add_argument(
        "--proxy-ca-file",
        metavar="FILE",
        help="verify the upstream's TLS certificate against this CA bundle (PEM)",
    )


def settings_from(args: argparse.Namespace, settings: Settings) -> ProxySettings:
    """The proxy's settings; ValueError with a sentence when the options do not fit together."""
    if args.workers not in (None, 1):
        raise ValueError("--proxy runs one worker: violations are kept in its memory")
    if args.store:
        raise ValueError("--proxy keeps nothing in a store; drop --store")
    if args.proxy_insecure and args.proxy_ca_file:
        raise ValueError("--proxy-insecure and --proxy-ca-file exclude each other")
    if not 0 < args.proxy_timeout <= 600:
        raise ValueError("--proxy-timeout must be more than 0 and at most 600 seconds")
    verify: bool | str = True
    if args.proxy_insecure:
        verify = False
    elif args.proxy_ca_file:
        verify = args.proxy_ca_file
    return ProxySettings(
        upstream=check_upstream(args.proxy),
        strict=args.proxy_strict,
        timeout=args.proxy_timeout,
        verify=verify,
        body_limit=settings.body_limit,
    )


def stub_settings(settings: Settings) -> Settings:
    """The stub behind the proxy serves only the control API: its state lives in memory."""
    return dataclasses.replace(settings, data_dir=None, store_url=None, journal_enabled=False)


def banner(proxy: ProxySettings, admin_token: str, host: str, port: int) -> str:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown_host}:{port}"
    mode = "strict: invalid requests refused, invalid answers replaced" if proxy.strict else "record only"
    return "\n".join(
        [
            f"CSBS contract proxy listening on {base} -> {shown_upstream(proxy.upstream)} ({mode})",
            f"  violations    curl -sS -H 'X-Admin-Token: {admin_token}' {base}{CONTROL_PREFIX}/violations",
            f"  counters      {base}{CONTROL_PREFIX}/health",
            f"  timeout       {proxy.timeout:g} s per exchange; TLS verification"
            f" {'off' if proxy.verify is False else 'on'}",
        ]
    )


def run(proxy: ProxySettings, settings: Settings, host: str, port: int, common: dict[str, Any]) -> int:
    from . import create_proxy_app

    app = create_proxy_app(proxy, stub_settings(settings))
    admin = (
        f"<{ADMIN_TOKEN_ENV}>"  # given in the environment: not printed
        if settings.admin_tokens is not None
        else next(iter(settings.load_seed().admin_tokens), "<admin token>")
    )
    print(banner(proxy, admin, host, port), flush=True)
    # The upstream's Server and Date headers go back unchanged: uvicorn adds none of its own.
    uvicorn.run(app, **common, server_header=False, date_header=False)
    return 0
