"""`python -m server --proxy URL`: the contract's paths forwarded to a real provider, both
directions checked against the contract, violations kept for `GET /_stub/violations`.

- `checks.py`: what is checked, against which document, and where a finding points;
- `violations.py`: the in-memory log of one process, its log lines and counters;
- `forward.py`: the ASGI app, the pooled upstream client, strict mode and upstream failures.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..openapi import load_document
from ..settings import Settings
from .checks import ContractChecks
from .forward import PROXY_HEADER, ProxyApp, ProxySettings

__all__ = ["PROXY_HEADER", "ContractChecks", "ProxyApp", "ProxySettings", "create_proxy_app"]


def create_proxy_app(
    proxy: ProxySettings,
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProxyApp:
    """The proxy around a stub app that serves only its control API (state in memory).

    `transport` replaces the network between the proxy and its upstream (tests give an
    in-process app's transport)."""
    from ..app import create_app

    settings = settings or Settings()
    stub: Any = create_app(settings)
    checks = ContractChecks(load_document(settings.contract_spec), load_document(settings.strict_spec))
    return ProxyApp(stub, proxy, checks, transport=transport)
