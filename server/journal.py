"""What the stub records of each request: the journal of contract requests and the access log.

Neither ever holds a credential: credential headers are replaced, and so are the values of
query parameters whose names look like credentials.
"""

from __future__ import annotations

import base64
import logging
import time

from .runtime import RequestState
from .store import JournalRow

REDACTED = "<redacted>"
CREDENTIAL_HEADERS = frozenset(
    {"x-auth-token", "x-admin-token", "authorization", "cookie", "proxy-authorization"}
)
CREDENTIAL_WORDS = ("token", "auth", "key", "secret", "password", "signature")

access_logger = logging.getLogger("server.access")


def redacted_query(query: str) -> str:
    """The query string with the value of any credential-like parameter replaced."""
    if not query:
        return ""
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and any(word in name.lower() for word in CREDENTIAL_WORDS):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(part)
    return "&".join(parts)


def redacted_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = REDACTED if name in CREDENTIAL_HEADERS else value.decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


def journal_row(state: RequestState, generation: int) -> JournalRow:
    try:
        body, encoding = state.body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(state.body).decode("ascii"), "base64"
    return JournalRow(
        request_id=state.request_id,
        received_at=state.received_at,
        method=state.method,
        path=state.path,
        query=redacted_query(state.query_string.decode("latin-1")),
        headers=redacted_headers(state.headers),
        body=body,
        body_encoding=encoding,
        status=state.status,
        duration_ms=round((time.perf_counter() - state.started) * 1000, 3),
        generation=generation,
    )


def log_access(state: RequestState, client: tuple[str, int] | None) -> None:
    if not access_logger.isEnabledFor(logging.INFO):
        return
    duration_ms = (time.perf_counter() - state.started) * 1000
    query = redacted_query(state.query_string.decode("latin-1"))
    peer = f"{client[0]}:{client[1]}" if client else None
    access_logger.info(
        '%s "%s %s%s" %s %.1fms',
        peer or "-",
        state.method,
        state.path,
        f"?{query}" if query else "",
        state.status,
        duration_ms,
        extra={
            "client": peer,
            "method": state.method,
            "path": state.path,
            "query": query,
            "status": state.status,
            "duration_ms": round(duration_ms, 3),
            "request_id": state.request_id,
        },
    )
