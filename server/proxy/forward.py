"""The proxy app: contract requests forwarded to an upstream, both directions checked.

    client -> ProxyApp -> check the request -> upstream (one pooled httpx client)
                       <- check the answer  <-

Everything outside `/_stub` is forwarded to the upstream base URL plus the same path and query,
with its method, body and headers (hop-by-hop headers and `Host` dropped, `X-Auth-Token` passed
through), and the upstream's status, headers and body go back unchanged (hop-by-hop headers
dropped). `/_stub` is the stub-control API of this process (`GET|DELETE /_stub/violations`,
`/_stub/health`), served by the stub app it wraps.

A finding is recorded (`violations.py`) and changes nothing, unless `strict`: then an invalid
request is refused with the stub's own answer to it (400 `CSBS.9001`, 401, 404, 405) without
being forwarded, and an answer that breaks the published contract is replaced with the
service's 500 `CSBS.9999` (503 `CSBS.9998` for an upstream 502, 503 or 504). An upstream that
gives no usable answer within the timeout gets the client 503 `CSBS.9998` in both modes. Every
answer the proxy makes itself carries `X-Contract-Proxy` (`request-refused`, `response-replaced`,
`upstream-failed`) and an `X-Request-Id`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import answers, errors, journal
from ..envelope import read_body
from ..errors import StubError
from ..journal import CREDENTIAL_HEADERS, CREDENTIAL_WORDS
from ..runtime import RequestState
from .checks import ContractChecks, RequestVerdict
from .violations import Found, ProxyStatus, ViolationLog, bind

PROXY_HEADER = b"x-contract-proxy"
REFUSED = b"request-refused"
REPLACED = b"response-replaced"
FAILED = b"upstream-failed"
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
logger = logging.getLogger("server.proxy")

NOT_FORWARDED = HOP_BY_HOP | {b"host", b"content-length", b"expect"}
"""Request headers the proxy does not pass on: httpx writes `Host` (the upstream's) and
`Content-Length` (of the same body) itself."""


@dataclass(frozen=True)
class ProxySettings:
    upstream: str
    """Base URL of the upstream, e.g. `https://csbs.cn-north-4.myhuaweicloud.com`."""
    strict: bool = False
    timeout: float = 10.0
    """Longest time for one exchange with the upstream (connect, send, whole answer), in seconds."""
    verify: bool | str = True
    """Verify the upstream's TLS certificate (True), not (False), or with this CA bundle file."""
    body_limit: int = 1_048_576
    """Largest request body forwarded; a larger one gets 413 without being forwarded."""
    answer_limit: int = 16 * 1_048_576
    """Largest upstream answer body read; a larger one is an `upstream` failure."""
    max_connections: int = 100
    keep: int = 1000
    """How many violations the process keeps (oldest dropped first)."""


def shown_upstream(url: str) -> str:
    """The upstream URL without user name and password (as health and logs show it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_upstream(url: str) -> str:
    """The upstream base URL without a trailing slash; ValueError when it is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the upstream must be an http:// or https:// URL, not {shown_upstream(url)!r}")
    if parts.query or parts.fragment:
        raise ValueError("the upstream URL must not have a query or a fragment")
    return url.rstrip("/")


class UpstreamFailure(Exception):
    """No usable answer from the upstream; the message says why, for the client and the log."""


def secrets_of(headers: list[tuple[bytes, bytes]], query: list[tuple[str, str]]) -> list[str]:
    """The credentials a request carries (as `server/journal.py` recognises them), and the
    credential of an `Authorization: <scheme> <credential>` value on its own."""
    found: list[str] = []
    for key, raw in headers:
        if key.lower().decode("latin-1") in CREDENTIAL_HEADERS:
            value = raw.decode("latin-1").strip()
            found += [value, *value.split()[1:]]
    found += [value for name, value in query if any(word in name.lower() for word in CREDENTIAL_WORDS)]
    return [secret for secret in found if len(secret) >= 4]


def _without_hop_by_hop(
    headers: list[tuple[bytes, bytes]], dropped: frozenset[bytes]
) -> list[tuple[bytes, bytes]]:
    named = {
        token.strip().lower().encode("latin-1")
        for key, value in headers
        if key.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return [(key, value) for key, value in headers if key.lower() not in dropped and key.lower() not in named]


def decoded_body(headers: list[tuple[bytes, bytes]], raw: bytes, limit: int) -> bytes | None:
    """The answer body with its Content-Encoding undone, for checking (None: an encoding the
    proxy does not read, so the body is not checked); raises ValueError when it does not decode."""
    codings = [
        token.strip().lower()
        for key, value in headers
        if key.lower() == b"content-encoding"
        for token in value.decode("latin-1").split(",")
        if token.strip()
    ]
    body = raw
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            return None
        try:
            if coding == "deflate":
                try:
                    inflater = zlib.decompressobj()
                    decoded = inflater.decompress(body, limit + 1)
                except zlib.error:
                    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    decoded = inflater.decompress(body, limit + 1)
            else:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                decoded = inflater.decompress(body, limit + 1)
        except zlib.error as problem:
            raise ValueError(f"the body does not decode as Content-Encoding {coding}: {problem}") from None
        if len(decoded) > limit:
            raise ValueError(f"the decoded body is larger than {limit} bytes")
        body = decoded
    return body


class ProxyApp:
    """The ASGI app of `python -m server --proxy URL`."""

    def __init__(
        self,
        stub: ASGIApp,
        settings: ProxySettings,
        checks: ContractChecks,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.stub = stub
        self.settings = settings
        self.upstream = check_upstream(settings.upstream)
        self.checks = checks
        self.transport = transport
        self.log = ViolationLog(settings.keep)
        self.status = ProxyStatus(shown_upstream(self.upstream), settings.strict, self.log)
        password = urlsplit(self.upstream).password
        self.secrets: tuple[str, ...] = (password,) if password else ()
        """Hidden wherever a finding could show them: the upstream URL's password."""
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> httpx.AsyncClient:
        """The one pooled client of this event loop (a new loop, as in tests, gets a new one)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            limits = httpx.Limits(
                max_connections=self.settings.max_connections,
                max_keepalive_connections=self.settings.max_connections,
            )
            self._client = httpx.AsyncClient(
                transport=self.transport,
                verify=self.settings.verify,
                timeout=httpx.Timeout(self.settings.timeout),
                limits=limits,
                follow_redirects=False,
                trust_env=False,
            )
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.stub(scope, self._closing_on_shutdown(receive), send)
            return
        bind(self.status)
        if scope["type"] != "http" or errors.is_control_path(scope["path"]):
            await self.stub(scope, receive, send)
            return
        await self.forward(scope, receive, send)

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        async def receive_and_close() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.aclose()
            return message

        return receive_and_close

    # --- one exchange ------------------------------------------------------------------------------

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(self, scope, send)
        try:
            body, over_limit, disconnected = await read_body(receive, self.settings.body_limit)
            if disconnected:
                return
            if over_limit:
                limit = self.settings.body_limit
                message = f"the body exceeds the proxy's limit of {limit} bytes; not forwarded"
                exchange.record([Found("request", "/body", message)], None, exchange.local_id)
                await exchange.answer_error(
                    errors.too_large(exchange.path, limit), exchange.local_id, REFUSED
                )
                return
            try:
                verdict = self.checks.check_request(
                    exchange.method, exchange.path, exchange.query, exchange.headers, body
                )
            except Exception:  # a bug of the checks must not change what is forwarded
                logger.exception(
                    "the proxy could not check %s %s; forwarded unchecked", exchange.method, exchange.path
                )
                verdict = RequestVerdict(None)
            if verdict.findings and self.settings.strict:
                exchange.record([finding.found for finding in verdict.findings], None, exchange.local_id)
                await exchange.answer_error(verdict.findings[0].refusal, exchange.local_id, REFUSED)
                return
            await self._exchange(exchange, body, verdict)
        except Exception:
            # A bug of the proxy: logged with its traceback, never sent to the client.
            logger.exception("the proxy failed on %s %s", exchange.method, exchange.path)
            if exchange.state.status == 0:
                error = StubError(500, errors.INTERNAL_ERROR, "Internal error.")
                await exchange.answer_error(error, exchange.local_id, FAILED)
        finally:
            self.log.forwarded += 1
            journal.log_access(exchange.state, scope.get("client"))

    async def _exchange(self, exchange: Exchange, body: bytes, verdict: RequestVerdict) -> None:
        request_findings = [finding.found for finding in verdict.findings]
        try:
            status, out_headers, raw = await self._send(
                exchange.method, exchange.upstream_url(), exchange.headers, body
            )
        except UpstreamFailure as failure:
            exchange.record([*request_findings, Found("upstream", "", str(failure))], None, exchange.local_id)
            error = StubError(
                503,
                errors.SERVICE_UNAVAILABLE,
                f"The service is temporarily unavailable: {failure} Try again later.",
            )
            await exchange.answer_error(error, exchange.local_id, FAILED)
            return
        request_id = request_id_of(out_headers) or exchange.local_id
        found = list(request_findings)
        if verdict.operation is not None:
            try:
                checked = decoded_body(out_headers, raw, self.settings.answer_limit)
            except ValueError as problem:
                found.append(Found("response", "/body", str(problem)))
                checked = None
            try:
                found += self.checks.check_response(verdict.operation, status, out_headers, checked)
            except Exception:  # a bug of the checks must not change what is answered
                logger.exception("the proxy could not check the answer to %s; passed unchecked", request_id)
        exchange.record(found, status, request_id)
        if self.settings.strict and any(item.kind == "response" for item in found):
            replaced = (
                StubError(
                    503,
                    errors.SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable. Try again later.",
                )
                if status in (502, 503, 504)
                else StubError(
                    500, errors.INTERNAL_ERROR, "Internal error. The service's answer broke the contract."
                )
            )
            await exchange.answer_error(replaced, request_id, REPLACED)
            return
        await exchange.answer(status, out_headers, raw)

    async def _send(
        self, method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """(status, headers without hop-by-hop ones, raw body) of the upstream's answer."""
        timeout = self.settings.timeout
        forwarded = _without_hop_by_hop(headers, NOT_FORWARDED)
        try:
            # A request without a body is forwarded without one (no `Content-Length: 0` added).
            framed = any(key.lower() in (b"content-length", b"transfer-encoding") for key, _ in headers)
            request = httpx.Request(method, url, headers=forwarded, content=body if body or framed else None)
        except (httpx.InvalidURL, ValueError) as problem:
            raise UpstreamFailure(f"the request cannot be sent upstream ({problem}).") from None
        client = self.client()
        try:
            async with asyncio.timeout(timeout):
                response = await client.send(request, stream=True)
                try:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_raw():
                        size += len(chunk)
                        if size > self.settings.answer_limit:
                            raise UpstreamFailure(
                                f"the upstream's answer is larger than {self.settings.answer_limit} bytes."
                            )
                        chunks.append(chunk)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise UpstreamFailure(f"the upstream did not answer within {timeout:g} s.") from None
        except httpx.TimeoutException:
            raise UpstreamFailure(f"the upstream did not answer within {timeout:g} s.") from None
        except httpx.ConnectError as problem:
            raise UpstreamFailure(
                f"the upstream cannot be reached ({errors.shorten(str(problem), 120)})."
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as problem:
            reason = errors.shorten(str(problem), 120) or type(problem).__name__
            raise UpstreamFailure(f"the upstream's answer is broken or was cut off ({reason}).") from None
        except httpx.HTTPError as problem:
            reason = errors.shorten(str(problem), 120) or type(problem).__name__
            raise UpstreamFailure(f"the exchange with the upstream failed ({reason}).") from None
        return (
            response.status_code,
            _without_hop_by_hop(list(response.headers.raw), HOP_BY_HOP),
            b"".join(chunks),
        )


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == b"x-request-id"), None)


class Exchange:
    """One request through the proxy: what it is, how it is answered, where its findings go."""

    def __init__(self, proxy: ProxyApp, scope: Scope, send: Send) -> None:
        self.proxy = proxy
        self.scope = scope
        self.send = send
        self.local_id = uuid.uuid4().hex
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: bytes = scope.get("query_string", b"")
        self.headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        self.query = parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True)
        self.secrets = [*secrets_of(self.headers, self.query), *proxy.secrets]
        self.state = RequestState(
            request_id=self.local_id,
            method=self.method,
            path=self.path,
            headers=self.headers,
            query_string=self.query_string,
            received_at=time.time(),
            started=time.perf_counter(),
            contract=True,
        )

    def upstream_url(self) -> str:
        """The upstream base URL plus the request's own path (as sent, percent-encoding kept)
        and query."""
        raw_path: bytes = self.scope.get("raw_path") or self.path.encode("utf-8")
        query = f"?{self.query_string.decode('latin-1')}" if self.query_string else ""
        return self.proxy.upstream + raw_path.decode("latin-1") + query

    async def answer(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.state.status = status
        # The access log names the request as the client can quote it.
        self.state.request_id = request_id_of(headers) or self.local_id
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def answer_error(self, error: StubError, request_id: str, verdict: bytes) -> None:
        """An answer the proxy makes itself, in the service's error format."""
        status, payload, headers = answers.error_answer(error, request_id)
        headers += [(b"x-request-id", request_id.encode("latin-1")), (PROXY_HEADER, verdict)]
        await self.answer(status, headers, payload)

    def record(self, found: list[Found], upstream_status: int | None, request_id: str) -> None:
        self.proxy.log.record(
            found,
            method=self.method,
            path=self.path,
            upstream_status=upstream_status,
            request_id=request_id,
            secrets=self.secrets,
        )
