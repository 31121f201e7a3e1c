"""The fast lane: plainly valid requests to the contract's operation answered without connexion's
per-request machinery; every other request goes to connexion, untouched.

connexion runs eight middleware layers, a request object, a decorator chain and a second
response pass for every request, which costs about nine times what the operation itself
does. connexion has no per-operation bypass, so this one is hand-written. It answers only
when it can show that connexion would send the same answer, byte for byte. A request takes the
lane only when all of these hold:

- `POST` on the operation's path template, with no root path and no query string;
- the path parameter is accepted by the compiled schema of its spec parameter;
- exactly one `X-Auth-Token` (the spec's security scheme), a tenant token of that very project;
- exactly one Content-Type, `application/json` in any letter case (a parameter such as
  `charset` sends the request to connexion);
- the body is what BodyGuard accepts (the same function decodes it) and what the compiled
  request-body schema accepts;
- no `Prefer: delay` (a handed-over request would wait twice);
- the answer, status and body, is accepted by the compiled schema of that response, before a
  create is committed (`handlers.answer_create`'s `accept`).

If any check fails, the lane hands the request to connexion before anything is stored. The
handler code is shared (`handlers.answer_create`). The answer is serialised with connexion's
default jsonifier and carries the same headers. `tests/server/test_fastlane.py` sends a corpus
of valid and invalid requests to the stub with and without the lane and requires identical
answers and state. `--no-fast-lane` (Settings.fast_lane) turns it off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, MutableMapping
from typing import Any

import jsonschema_rs
from connexion.json_schema import resolve_refs

from server import handlers, simulation
from server.errors import StubError
from server.fastvalidation import accepts, compile_schema
from server.middleware import decode_json_body
from server.runtime import Runtime
from server.simulation import JSONIFIER

logger = logging.getLogger("server")

JSON = "application/json"
_JSON_HEADER = (b"content-type", JSON.encode())

Send = Callable[[MutableMapping[str, Any]], Any]


class Ineligible(ValueError):
    """The operation has something the lane does not reproduce; connexion serves every request."""


class FastLane:
    """The lane for one operation: `POST {template}` with one path parameter and an API-key header."""

    def __init__(self, stub: Runtime, document: dict[str, Any], template: str, method: str = "post") -> None:
        resolved = resolve_refs(document)
        operation = resolved["paths"][template][method]
        self.stub = stub
        self.method = method.upper()
        parameters = operation.get("parameters", [])
        if len(parameters) != 1 or parameters[0].get("in") != "path":
            raise Ineligible("the lane handles exactly one parameter, in the path")
        parameter = parameters[0]
        self.path = re.compile(
            "".join(
                "([^/]+)" if part == "{" + parameter["name"] + "}" else re.escape(part)
                for part in re.split(r"(\{[^/{}]+\})", template)
            )
        )
        self.parameter = self._compiled(parameter["schema"], "parameter")
        self.token_header = self._token_header(resolved, operation)
        content = operation.get("requestBody", {}).get("content", {})
        if list(content) != [JSON]:
            raise Ineligible("the lane handles a JSON request body only")
        self.request_body = self._compiled(content[JSON]["schema"], "request")
        self.responses: dict[int, jsonschema_rs.Draft4Validator] = {}
        for status, response in operation.get("responses", {}).items():
            schema = response.get("content", {}).get(JSON, {}).get("schema")
            validator = None if schema is None else compile_schema(schema, kind="response")
            if str(status).isdigit() and validator is not None:
                self.responses[int(status)] = validator
        # Documented examples are fixed bytes: each is checked once, the first time it is sent.
        self.examples_ok: dict[bytes, bool] = {}
        self.answered = 0
        self.handed_over = 0

    @staticmethod
    def _compiled(schema: dict[str, Any], kind: Any) -> jsonschema_rs.Draft4Validator:
        validator = compile_schema(schema, kind=kind)
        if validator is None:
            raise Ineligible(f"a {kind} schema has keywords the compiled validator may read differently")
        return validator

    @staticmethod
    def _token_header(resolved: dict[str, Any], operation: dict[str, Any]) -> bytes:
        security = operation.get("security", resolved.get("security"))
        if not security or len(security) != 1 or len(security[0]) != 1:
            raise Ineligible("the lane handles exactly one security scheme")
        (name,) = security[0]
        scheme = resolved["components"]["securitySchemes"][name]
        if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
            raise Ineligible("the lane handles an API key in a header only")
        return str(scheme["name"]).lower().encode("latin-1")

    def accepts_answer(self, status: int, answer: Any) -> bool:
        validator = self.responses.get(status)
        return validator is not None and accepts(validator, answer)

    def _example_ok(self, status: int, example: bytes) -> bool:
        known = self.examples_ok.get(example)
        if known is None:
            known = self.examples_ok[example] = self.accepts_answer(status, JSONIFIER.loads(example))
        return known

    async def serve(self, scope: MutableMapping[str, Any], body: bytes, send: Send) -> bool:
        """Answer the request and return True, or return False having sent and stored nothing."""
        answered = await self._serve(scope, body, send)
        if answered:
            self.answered += 1
        else:
            self.handed_over += 1
        return answered

    async def _serve(self, scope: MutableMapping[str, Any], body: bytes, send: Send) -> bool:
        if scope["method"] != self.method or scope.get("query_string") or scope.get("root_path"):
            return False
        match = self.path.fullmatch(scope["path"])
        if match is None or not accepts(self.parameter, match.group(1)):
            return False
        project_id = match.group(1)
        token: bytes | None = None
        content_type: bytes | None = None
        prefer: list[str] = []
        for key, value in scope["headers"]:
            name = key.lower()
            if name == self.token_header:
                if token is not None:
                    return False
                token = value
            elif name == b"content-type":
                if content_type is not None:
                    return False
                content_type = value
            elif name == b"prefer":
                prefer.append(value.decode("latin-1"))
        if token is None or content_type is None or content_type.lower() != _JSON_HEADER[1]:
            return False
        role = self.stub.store.token_role(token.decode("latin-1"))
        if role is None or role != ("tenant", project_id):
            return False
        try:
            parsed = decode_json_body(scope["path"], body)
        except StubError:
            return False
        if not accepts(self.request_body, parsed):
            return False
        preferences: list[str] | simulation.Preferences = simulation.NO_PREFERENCES
        if prefer:
            try:
                preferences = simulation.parse_prefer(prefer, self.stub.settings.max_prefer_delay_ms)
            except StubError:
                preferences = prefer  # answer_create words the same 400
            else:
                if preferences.delay_ms:
                    return False
        try:
            status, answer = await handlers.answer_create(
                self.stub, project_id, parsed, preferences, accept=self.accepts_answer
            )
        except Exception:  # HandOver or anything unexpected: rolled back, connexion answers it
            return False
        # Headers in the order connexion's two ways of answering write them.
        if isinstance(answer, bytes):
            if not self._example_ok(status, answer):
                return False
            payload = answer
            headers = [(b"content-length", str(len(payload)).encode()), _JSON_HEADER]
        else:
            if status != 200 and not self.accepts_answer(status, answer):
                return False
            payload = JSONIFIER.dumps(answer).encode("utf-8")
            headers = [_JSON_HEADER, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return True


def build(stub: Runtime, document: dict[str, Any], template: str) -> FastLane | None:
    """The lane for the contract's operation, or None (and a log line) when it is ineligible."""
    try:
        return FastLane(stub, document, template)
    except Ineligible as reason:
        logger.warning("fast lane off: %s", reason)
        return None
