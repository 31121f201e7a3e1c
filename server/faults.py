"""Faults armed through the stub-control API, met by the next contract requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from . import errors
from .connection import CONNECTIONS
from .errors import StubError
from .store import Fault

SendError = Callable[[StubError], Awaitable[None]]


class DroppedConnection(ConnectionAbortedError):
    """Raised to end an answer half-way when the connection itself cannot be closed."""


async def apply(
    fault: Fault, client: Any, send_error: SendError, send: Callable[..., Awaitable[None]]
) -> int | None:
    """Meet `fault`: the status answered (0 for a dropped connection), or None when the request
    goes on (after a delay)."""
    if fault.kind == "drop":
        connection = CONNECTIONS.get(client)
        if connection is not None:
            connection.drop()
            # Let uvicorn see the lost connection, so it does not try to answer with a 500.
            for _ in range(3):
                await asyncio.sleep(0)
            return 0
        # No connection to close (in-process clients): fail mid-answer instead.
        await send({"type": "http.response.start", "status": 503, "headers": []})
        raise DroppedConnection("fault: dropped connection")
    if fault.kind == "status_500":
        await send_error(StubError(500, errors.INTERNAL_ERROR, "Internal error."))
        return 500
    if fault.kind == "status_503":
        await send_error(
            StubError(
                503, errors.SERVICE_UNAVAILABLE, "The service is temporarily unavailable. Try again later."
            )
        )
        return 503
    await asyncio.sleep(fault.delay_ms / 1000)
    return None
