"""The contract's operation, answered by the stub's own steps.

    match -> authenticate -> decode -> validate parameters -> validate body -> handle -> verify

Each step is a function below, called in this order by `ContractPipeline.answer` and nowhere
else in that order; each raises a `StubError` that ends the request with its answer. The same
functions serve connexion's path (`server/connexion_app.py`): connexion calls `authenticate`
through its security hook, `decode` through `BodyGuard`, the two validations through the
validator map, and the handler calls `handle` and `verify`. connexion orders its layers the same
way (security, then the body guard placed before validation, then parameters, then the body),
so both paths answer every request with the same bytes; `tests/server/test_fast_path.py` holds
them to it. The pipeline exists for speed: connexion's per-request layers cost several times
what the operation does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from . import answers, auth, bodies, errors, handlers
from .contract import Operation
from .errors import StubError
from .runtime import RequestState, Runtime
from .schemas import InvalidAnswer, InvalidField, extra_query_parameters, missing_parameter

logger = logging.getLogger("server")

CONTRACT_OPERATION = "createRestore"
Sent = tuple[int, bytes, list[tuple[bytes, bytes]]]


def authenticate(state: RequestState, operation: Operation, path_params: Mapping[str, str]) -> str:
    assert operation.token_header is not None
    assert state.snapshot is not None
    tokens = state.header_values(operation.token_header)
    state.project_id = auth.authenticate_tenant(tokens, path_params.get("project_id"), state.snapshot)
    return state.project_id


def decode(state: RequestState) -> Any:
    bodies.checked_content_type(state.header_values(b"content-type"), state.path)
    state.parsed = bodies.decode_json(state.body, state.path)
    return state.parsed


def validate_parameters(
    operation: Operation, path_params: Mapping[str, str], query: list[tuple[str, str]]
) -> None:
    """Strict: a query parameter the operation does not document is refused, then every path
    parameter is checked (the pipeline serves only operations whose parameters are in the path;
    see `ContractPipeline`)."""
    extra = {name for name, _ in query}
    if extra:
        raise extra_query_parameters(extra)
    for parameter in operation.parameters:
        value = path_params.get(parameter.name)
        if value is None:
            raise missing_parameter(parameter.location, parameter.name)
        parameter.schema.check_parameter(parameter.location, parameter.name, value)


def validate_body(operation: Operation, body: Any) -> None:
    if operation.body is not None:
        operation.body.check_body(body)


def verify(operation: Operation, status: int, answer: Any) -> None:
    """The answer matches the contract's strict profile for its status (nothing undocumented)."""
    schema = operation.responses.get(status)
    if schema is not None and not isinstance(answer, bytes):
        schema.check_answer(answer)


async def handle(stub: Runtime, state: RequestState, operation: Operation, project_id: str, body: Any) -> Any:
    return await handlers.answer_create(
        stub, state, project_id, body, lambda status, answer: verify(operation, status, answer)
    )


def internal_error(path: str, problem: Exception) -> StubError:
    logger.error("the stub's answer to %s breaks the contract: %s", path, problem)
    return errors.for_api(
        path, StubError(500, errors.INTERNAL_ERROR, "Internal error."), errors.STUB_INTERNAL
    )


class NotServed(ValueError):
    """The operation has something the pipeline does not reproduce; connexion serves it all."""


class ContractPipeline:
    """Answers the contract's operation from the steps above."""

    def __init__(self, stub: Runtime) -> None:
        self.stub = stub
        self.operation = stub.router.operation(CONTRACT_OPERATION)
        self.answered = 0
        """Requests answered so far (the differential test reads it)."""
        if any(parameter.location != "path" for parameter in self.operation.parameters):
            raise NotServed("only path parameters are checked by the pipeline")
        if self.operation.token_header is None or self.operation.body is None:
            raise NotServed("the pipeline serves an operation with an API-key header and a JSON body")
        # The documented examples go out as they are (`Prefer`): each must match its schema.
        for status, name, value in stub.examples.values():
            try:
                verify(self.operation, status, value)
            except InvalidAnswer as problem:
                raise ValueError(
                    f"the contract's example {name!r} of status {status} is invalid: {problem}"
                ) from None

    def match(self, state: RequestState) -> Mapping[str, str] | None:
        """The path parameters when the request is for the contract's operation, else None (the
        request then goes to connexion, before anything about it was decided)."""
        if state.method != self.operation.method:
            return None
        return self.operation.path_parameters(state.path)

    async def answer(self, state: RequestState, path_params: Mapping[str, str]) -> Sent:
        self.answered += 1
        operation = self.operation
        try:
            project_id = authenticate(state, operation, path_params)
            body = decode(state)
            query = state.query_string
            validate_parameters(
                operation,
                path_params,
                parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else [],
            )
            validate_body(operation, body)
            status, answer = await handle(self.stub, state, operation, project_id, body)
            verify(operation, status, answer)
        except InvalidField as invalid:
            return answers.error_answer(invalid.error(state.path), state.request_id)
        except StubError as error:
            return answers.error_answer(error, state.request_id)
        except InvalidAnswer as problem:
            return answers.error_answer(internal_error(state.path, problem), state.request_id)
        payload = answer if isinstance(answer, bytes) else answers.json_bytes(answer)
        return status, payload, answers.headers_of(payload)
