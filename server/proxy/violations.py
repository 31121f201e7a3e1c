"""The violations a proxy saw: kept in memory by the process that saw them, listed by the
stub-control API (`GET|DELETE /_stub/violations`), counted in `/_stub/health`, and each written
as a log line (`server.proxy`, in the text or the JSON log format).

Kinds:
- `request`: the client's request breaks the published contract (a parameter, a header, the
  body, an undocumented path or method);
- `response`: the upstream's answer breaks the published contract (an undocumented status, a
  media type, a body that does not match its schema, a missing required header);
- `undocumented`: the answer is valid against the published contract but carries a field or a
  value its strict profile does not list (`make contract --strict`'s
  `undocumented_response_content`); tolerant clients are unaffected;
- `upstream`: no usable answer came back (refused, unreachable, timed out, dropped, broken).

Nothing here holds a credential: the caller gives the values to hide (`redact`), and the stub's
journal rules (`server/journal.py`) hide credential-like query values.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ..journal import REDACTED

Kind = Literal["request", "response", "undocumented", "upstream"]
KINDS: tuple[Kind, ...] = ("request", "response", "undocumented", "upstream")
DEFAULT_KEEP = 1000

logger = logging.getLogger("server.proxy")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of a secret (a credential the request carried) replaced."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


@dataclass(frozen=True)
class Violation:
    seq: int
    time: float
    kind: Kind
    method: str
    path: str
    upstream_status: int | None
    pointer: str
    message: str
    request_id: str

    @property
    def direction(self) -> str:
        return "request" if self.kind == "request" else "response"

    def view(self) -> dict[str, Any]:
        """The entry as `GET /_stub/violations` lists it (`Violation` in the control spec)."""
        return {
            "seq": self.seq,
            "time": datetime.fromtimestamp(self.time, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "kind": self.kind,
            "direction": self.direction,
            "method": self.method,
            "path": self.path,
            "upstream_status": self.upstream_status,
            "pointer": self.pointer,
            "message": self.message,
            "request_id": self.request_id,
        }


@dataclass(frozen=True)
class Found:
    """A violation before it is recorded: what and where, without the exchange's details."""

    kind: Kind
    pointer: str
    message: str


class ViolationLog:
    """The most recent violations of one process (oldest dropped first) and counters by kind
    since the process started (clearing the list does not reset them)."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.keep = keep
        self.entries: deque[Violation] = deque(maxlen=keep)
        self.counts: Counter[str] = Counter()
        self.forwarded = 0
        self.last_seq = 0

    def record(
        self,
        found: Iterable[Found],
        *,
        method: str,
        path: str,
        upstream_status: int | None,
        request_id: str,
        secrets: Iterable[str] = (),
    ) -> list[Violation]:
        hidden = tuple(secrets)
        recorded: list[Violation] = []
        now = time.time()
        for item in found:
            self.last_seq += 1
            violation = Violation(
                seq=self.last_seq,
                time=now,
                kind=item.kind,
                method=method,
                path=redact(path, hidden),
                upstream_status=upstream_status,
                pointer=redact(item.pointer, hidden),
                message=redact(item.message, hidden),
                request_id=request_id,
            )
            self.entries.append(violation)
            self.counts[violation.kind] += 1
            recorded.append(violation)
            logger.warning(
                "contract violation (%s) %s %s -> %s at %s: %s",
                violation.kind,
                violation.method,
                violation.path,
                "no answer" if upstream_status is None else upstream_status,
                violation.pointer or "(the exchange)",
                violation.message,
                extra={
                    "violation_seq": violation.seq,
                    "kind": violation.kind,
                    "direction": violation.direction,
                    "method": violation.method,
                    "path": violation.path,
                    "upstream_status": upstream_status,
                    "pointer": violation.pointer,
                    "violation": violation.message,
                    "request_id": request_id,
                },
            )
        return recorded

    def listed(self, limit: int, after: int) -> list[Violation]:
        """The newest `limit` violations with a `seq` above `after`, oldest first (as the journal)."""
        newer = [violation for violation in self.entries if violation.seq > after]
        return newer[-limit:] if limit > 0 else []

    def clear(self) -> int:
        cleared = len(self.entries)
        self.entries.clear()
        return cleared

    def health(self) -> dict[str, Any]:
        return {"forwarded": self.forwarded, "violations": {kind: self.counts[kind] for kind in KINDS}}


@dataclass(frozen=True)
class ProxyStatus:
    """What `/_stub/health` says about the proxy serving the request."""

    upstream: str
    strict: bool
    log: ViolationLog

    def health(self) -> dict[str, Any]:
        return {"upstream": self.upstream, "strict": self.strict, **self.log.health()}


_current: ContextVar[ProxyStatus | None] = ContextVar("csbs_proxy_status", default=None)


def bind(status: ProxyStatus) -> None:
    """Make `status` the proxy of the request being served (the proxy app calls this)."""
    _current.set(status)


def current() -> ProxyStatus | None:
    """The proxy serving the current request; None when the stub is not running as a proxy."""
    return _current.get()
