"""The compiled (jsonschema-rs) validators answer exactly as connexion's own validators do.

A differential test over thousands of request and response bodies: schemathesis-generated valid
and invalid bodies (pinned seed), seeded mutations of valid ones, and hand-written edge cases.
For each body the original validator class and its compiled subclass must agree on accept or
reject, and on the exact error (class, status, detail, field). A guard test pins the connexion
internals the fast path relies on.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import random
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from connexion.exceptions import NonConformingResponseBody
from connexion.operations import OpenAPIOperation
from connexion.resolver import Resolver
from connexion.spec import Specification
from connexion.validators import VALIDATOR_MAP, JSONResponseBodyValidator

from server import fastvalidation
from server.fastvalidation import (
    CONNEXION_VERSION,
    Unsupported,
    compile_schema,
    compiled_validator_map,
    translate,
    with_compiled_validation,
)
from server.validation import StubJSONBodyValidator, validator_map

REPO_ROOT = Path(__file__).resolve().parents[2]
# The strict profile: what the stub validates its own answers against (requests as published).
CONTRACT = REPO_ROOT / "generated" / "csbs-restore.strict.yaml"
PATH = "/v1/{project_id}/restores"
CORPUS_SEED = 20261128
UUID = "504b7d59-c361-411f-9ed3-814f35d08e3d"


@pytest.fixture(scope="module")
def operation() -> OpenAPIOperation:
    """The operation as connexion builds it, so schemas are the very dicts its validators get."""
    spec = Specification.load(CONTRACT)
    return OpenAPIOperation.from_spec(
        spec, path=PATH, method="post", resolver=Resolver(function_resolver=lambda _id: lambda: None)
    )


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    spec = Specification.load(CONTRACT)
    return {name: entry["value"] for name, entry in spec.raw["components"]["examples"].items()}


# --- corpus ---------------------------------------------------------------------------------

STRING_MUTATIONS: list[Callable[[str], Any]] = [
    lambda s: s + "\n",
    lambda s: s + "\r\n",
    lambda s: "\n" + s,
    lambda s: " " + s,
    lambda s: s + " ",
    lambda s: s.upper(),
    lambda s: s[:-1],
    lambda s: s + "0",
    lambda s: s[:-1] + "g",
    lambda s: s[:-1] + "\u0660",  # ARABIC-INDIC DIGIT ZERO: a digit to Unicode-aware regex
    lambda s: s[:-1] + "\uff10",  # FULLWIDTH DIGIT ZERO
    lambda s: s[:-1] + "\u00e9",
    lambda s: s.replace("-", ""),
    lambda s: s.replace("-", "_"),
    lambda s: "",
    lambda s: s * 8,
    lambda s: "x" * 255,
    lambda s: "x" * 256,
    lambda s: "\ud800",  # a lone surrogate, as json.loads makes from "\ud800"
    lambda s: s[:-1] + "\x00",
]
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    10**30,
    float("inf"),
    "",
    "x",
    [],
    {},
    [None],
    {"a": 1},
]


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def _mutate(document: Any, rng: random.Random) -> Any:
    """One seeded change somewhere in `document`: delete, add, retype, or bend a string or list."""
    mutated = copy.deepcopy(document)
    paths = list(_paths(mutated))
    path = rng.choice(paths)
    if not path:
        return rng.choice([None, [], "restore", 0, [mutated], {"restore": mutated}])
    parent = _get(mutated, path[:-1])
    key = path[-1]
    value = parent[key]
    action = rng.randrange(6)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1 and isinstance(parent, dict):
        parent[rng.choice(["extra", "Checkpoint_id", "server_id ", "", "restore"])] = rng.choice(REPLACEMENTS)
    elif action == 2 and isinstance(value, str):
        parent[key] = rng.choice(STRING_MUTATIONS)(value)
    elif action == 3 and isinstance(value, list):
        parent[key] = rng.choice([[], value * 2, value * 257, [*value, None], [*value, {}]])
    elif action == 4 and isinstance(value, dict):
        parent[key] = rng.choice([{}, {**value, "extra": 1}, [value], json.dumps(value)])
    else:
        parent[key] = rng.choice(REPLACEMENTS)
    return mutated


def _schemathesis_bodies(count: int) -> list[Any]:
    """Valid and invalid bodies from schemathesis' own generators, with a pinned seed."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_path(str(CONTRACT))
    operation = schema[PATH]["POST"]
    bodies: list[Any] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @seed(CORPUS_SEED)
        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        @given(operation.as_strategy(generation_mode=mode))
        def collect(case: Any) -> None:
            bodies.append(copy.deepcopy(case.body))

        collect()
    return bodies


def _hand_written_requests(valid: dict[str, Any]) -> list[Any]:
    def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        body = copy.deepcopy(valid)
        change(body["restore"])
        return body

    cases: list[Any] = [None, {}, [], "", 0, True, {"restore": None}, {"restore": {}}, {"restore": []}]
    for field in ("checkpoint_id",):
        for mutation in STRING_MUTATIONS:
            cases.append(edit(lambda r, m=mutation, f=field: r.__setitem__(f, m(r[f]))))
    for mutation in STRING_MUTATIONS:
        cases.append(edit(lambda r, m=mutation: r["parameters"].__setitem__("checkpoint_item_id", m(UUID))))
        cases.append(edit(lambda r, m=mutation: r["parameters"]["targets"].__setitem__("server_id", m(UUID))))
        cases.append(
            edit(
                lambda r, m=mutation: r["parameters"]["targets"]["volumes"][0].__setitem__(
                    "volume_id", m(UUID)
                )
            )
        )
        cases.append(edit(lambda r, m=mutation: r.__setitem__("provider_id", m(r["provider_id"]))))
    cases += [
        edit(lambda r: r.__setitem__("restore_target", None)),
        edit(lambda r: r.__setitem__("restore_target", "x" * 255)),
        edit(lambda r: r.__setitem__("restore_target", "x" * 256)),
        edit(lambda r: r.__setitem__("restore_target", "\u6062" * 255)),
        edit(lambda r: r["parameters"].__setitem__("power_on", 1)),
        edit(lambda r: r["parameters"].__setitem__("power_on", "true")),
        edit(lambda r: r["parameters"].__setitem__("power_on", None)),
        edit(lambda r: r["parameters"]["targets"].__setitem__("volumes", [])),
        edit(
            lambda r: r["parameters"]["targets"].__setitem__(
                "volumes", r["parameters"]["targets"]["volumes"] * 256
            )
        ),
        edit(
            lambda r: r["parameters"]["targets"].__setitem__(
                "volumes", r["parameters"]["targets"]["volumes"] * 257
            )
        ),
        edit(lambda r: r["parameters"].__setitem__("targets", {})),
        edit(lambda r: r["parameters"].pop("targets")),
        edit(lambda r: r["parameters"].__setitem__("checkpoint_item_id", UUID.upper())),
        edit(lambda r: r.__setitem__("checkpoint_id", float("nan"))),
        edit(lambda r: r.__setitem__("checkpoint_id", 10**400)),
    ]
    nested: Any = valid
    for _ in range(200):
        nested = {"restore": nested}
    cases.append(nested)
    return cases


@pytest.fixture(scope="module")
def requests_corpus(examples: dict[str, Any]) -> list[Any]:
    return request_corpus(examples)


def request_corpus(examples: dict[str, Any]) -> list[Any]:
    rng = random.Random(CORPUS_SEED)
    document = examples["DocumentRequest"]
    minimal = {
        "restore": {
            "checkpoint_id": document["restore"]["checkpoint_id"],
            "provider_id": document["restore"]["provider_id"],
            "parameters": {"targets": {}},
        }
    }
    full = copy.deepcopy(document)
    full["restore"]["restore_target"] = "http://192.168.1.2:35357/v2.0/"
    full["restore"]["parameters"]["targets"]["volumes"] *= 3
    generated = _schemathesis_bodies(80)
    valid_seeds = [document, minimal, full, *generated[:80]]
    corpus = [*valid_seeds, *generated[80:], *_hand_written_requests(document)]
    for _ in range(3000):
        corpus.append(_mutate(rng.choice(valid_seeds), rng))
    return corpus


def response_corpus(examples: dict[str, Any]) -> list[Any]:
    rng = random.Random(CORPUS_SEED + 1)
    document = examples["DocumentResponse"]
    finished = copy.deepcopy(document)
    finished["restore"]["status"] = "success"
    finished["restore"]["resources_status"] = {"OS::Nova::Server#" + UUID: "available"}
    failed = copy.deepcopy(document)
    failed["restore"]["status"] = "fail"
    failed["restore"]["resources_status"] = {"OS::Nova::Server#" + UUID: "error"}
    failed["restore"]["resources_reason"] = {"OS::Nova::Server#" + UUID: "The restore failed."}
    null_target = copy.deepcopy(document)
    null_target["restore"]["restore_target"] = None
    null_target["restore"]["parameters"]["targets"]["resource_type"] = "OS::Nova::Server"
    no_target = copy.deepcopy(document)
    del no_target["restore"]["restore_target"]
    seeds = [document, finished, failed, null_target, no_target]
    corpus: list[Any] = [*seeds, None, {}, {"restore": None}]
    for _ in range(2000):
        corpus.append(_mutate(rng.choice(seeds), rng))
    return corpus


def error_corpus(examples: dict[str, Any]) -> list[Any]:
    rng = random.Random(CORPUS_SEED + 2)
    seeds = [examples["InvalidParameter"], examples["TokenInvalid"]]
    return [*seeds, *(_mutate(rng.choice(seeds), rng) for _ in range(300))]


# --- outcomes -------------------------------------------------------------------------------


def _outcome(call: Callable[[], Any]) -> tuple[Any, ...] | None:
    try:
        call()
    except Exception as exc:  # every way of rejecting counts, and must match exactly
        return (
            type(exc).__name__,
            getattr(exc, "status", None),
            getattr(exc, "title", None),
            str(getattr(exc, "detail", exc)),
            getattr(exc, "field", None),
        )
    return None


def _request_outcome(cls: type[Any], schema: dict[str, Any], body: Any) -> tuple[Any, ...] | None:
    validator = cls(schema=schema, required=True, nullable=False, encoding="utf-8", strict_validation=True)
    return _outcome(lambda: validator._validate(body))


def _response_outcome(cls: type[Any], schema: dict[str, Any], body: Any) -> tuple[Any, ...] | None:
    validator = cls({"type": "http"}, schema=schema, nullable=False, encoding="utf-8")
    return _outcome(lambda: validator._validate(body))


def _differences(
    outcome: Callable[[type[Any], dict[str, Any], Any], tuple[Any, ...] | None],
    base: type[Any],
    fast: type[Any],
    schema: dict[str, Any],
    corpus: list[Any],
) -> tuple[list[str], int, int]:
    differences: list[str] = []
    accepted = rejected = 0
    for body in corpus:
        expected = outcome(base, schema, body)
        actual = outcome(fast, schema, body)
        if expected != actual:
            differences.append(f"{body!r:.300}: connexion {expected}, compiled {actual}")
        if expected is None:
            accepted += 1
        else:
            rejected += 1
    return differences, accepted, rejected


# --- tests ----------------------------------------------------------------------------------


def test_every_contract_body_schema_gets_a_compiled_validator(operation: OpenAPIOperation) -> None:
    """Otherwise the differential tests below would only compare connexion with itself."""
    assert compile_schema(operation.body_schema("application/json"), kind="request") is not None
    for status in operation.responses:
        schema = operation.response_schema(status, "application/json")
        assert compile_schema(schema, kind="response") is not None, status


def test_request_bodies_get_the_same_answer_as_connexion(
    operation: OpenAPIOperation, requests_corpus: list[Any]
) -> None:
    schema = operation.body_schema("application/json")
    fast = with_compiled_validation(StubJSONBodyValidator, response=False)
    corpus = requests_corpus
    differences, accepted, rejected = _differences(
        _request_outcome, StubJSONBodyValidator, fast, schema, corpus
    )
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"
    assert len(corpus) >= 3000
    print(f"request corpus: {len(corpus)} bodies, {accepted} valid, {rejected} invalid")
    assert accepted >= 150 and rejected >= 2000, (accepted, rejected)


def test_connexion_plain_json_validator_agrees_too(
    operation: OpenAPIOperation, requests_corpus: list[Any]
) -> None:
    """The fast path also fits connexion's stock request validator (its messages differ from ours)."""
    base = VALIDATOR_MAP["body"]["application/json"]
    fast = with_compiled_validation(base, response=False)
    corpus = requests_corpus[:1500]
    differences, accepted, rejected = _differences(
        _request_outcome, base, fast, operation.body_schema("application/json"), corpus
    )
    assert not differences, differences[:5]
    assert accepted and rejected


def test_response_bodies_get_the_same_answer_and_invalid_ones_still_fail(
    operation: OpenAPIOperation, examples: dict[str, Any]
) -> None:
    schema = operation.response_schema("200", "application/json")
    fast = with_compiled_validation(JSONResponseBodyValidator, response=True)
    corpus = response_corpus(examples)
    differences, accepted, rejected = _differences(
        _response_outcome, JSONResponseBodyValidator, fast, schema, corpus
    )
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"
    assert accepted >= 5 and rejected >= 1000, (accepted, rejected)
    broken = copy.deepcopy(examples["DocumentResponse"])
    broken["restore"]["status"] = "done"
    with pytest.raises(NonConformingResponseBody, match="is not one of"):
        fast({"type": "http"}, schema=schema, nullable=False, encoding="utf-8")._validate(broken)


def test_error_bodies_get_the_same_answer(operation: OpenAPIOperation, examples: dict[str, Any]) -> None:
    fast = with_compiled_validation(JSONResponseBodyValidator, response=True)
    for status in ("400", "401", "404", "500"):
        schema = operation.response_schema(status, "application/json")
        differences, accepted, rejected = _differences(
            _response_outcome, JSONResponseBodyValidator, fast, schema, error_corpus(examples)
        )
        assert not differences, differences[:5]
        assert accepted and rejected


def _parameter_corpus() -> list[Any]:
    rng = random.Random(CORPUS_SEED + 4)
    project = "b942cc8342734d15bcb246babb1953cf"
    values: list[Any] = [project, project.upper(), project[:-1], project + "0", "", "null", "None"]
    values += [mutation(project) for mutation in STRING_MUTATIONS]
    alphabet = "0123456789abcdefABCDEFg-\n \u0660\uff10"
    values += ["".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(200)]
    for _ in range(1500):
        length = rng.choice([31, 32, 32, 32, 33, rng.randrange(0, 40)])
        values.append("".join(rng.choice(alphabet) for _ in range(length)))
    return values


def test_parameters_get_the_same_answer_as_connexion(operation: OpenAPIOperation) -> None:
    from connexion.validators import ParameterValidator

    from server.validation import StubParameterValidator

    (param,) = operation.parameters
    corpus = _parameter_corpus()
    for base in (StubParameterValidator, ParameterValidator):
        fast = fastvalidation.with_compiled_parameter_validation(base)
        outcomes = [
            (base.validate_parameter("path", v, param), fast.validate_parameter("path", v, param))
            for v in corpus
        ]
        differences = [
            (v, slow, quick) for v, (slow, quick) in zip(corpus, outcomes, strict=True) if slow != quick
        ]
        assert not differences, differences[:5]
        accepted = sum(1 for slow, _ in outcomes if slow is None)
        assert 50 <= accepted < len(corpus) - 500, accepted
    assert compile_schema(param["schema"], kind="parameter") is not None


def test_compiled_map_replaces_only_the_json_body_validators() -> None:
    original = validator_map()
    compiled = compiled_validator_map(original)
    assert issubclass(compiled["parameter"], original["parameter"])
    assert compiled["parameter"] is not original["parameter"]
    json_body = compiled["body"]["application/json"]
    assert issubclass(json_body, StubJSONBodyValidator) and json_body is not StubJSONBodyValidator
    assert (
        compiled["body"]["application/x-www-form-urlencoded"]
        is original["body"]["application/x-www-form-urlencoded"]
    )
    assert issubclass(compiled["response"]["application/json"], JSONResponseBodyValidator)
    assert compiled["response"]["text/plain"] is original["response"]["text/plain"]
    # Building the map again reuses the same classes (and so the same compiled-schema cache).
    assert compiled_validator_map(original)["body"]["application/json"] is json_body


# --- translation ----------------------------------------------------------------------------


def test_nullable_adds_null_to_type_and_enum_only() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True, "maxLength": 3},
            "b": {"type": "string", "enum": ["x"], "nullable": True},
        },
    }
    translated = translate(schema, kind="request")
    assert translated["properties"]["a"] == {"type": ["string", "null"], "maxLength": 3}
    assert translated["properties"]["b"] == {"type": ["string", "null"], "enum": ["x", None]}


def test_write_only_rejects_every_response_value_and_no_request_value() -> None:
    schema = {"type": "object", "properties": {"secret": {"type": "string", "writeOnly": True}}}
    assert translate(schema, kind="response")["properties"]["secret"] == {"not": {}}
    fast = with_compiled_validation(JSONResponseBodyValidator, response=True)
    assert _response_outcome(fast, schema, {"secret": "x"}) == _response_outcome(
        JSONResponseBodyValidator, schema, {"secret": "x"}
    )
    assert _response_outcome(fast, schema, {"secret": "x"}) is not None


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "string", "format": "email"},
        {"type": "string", "pattern": "^\\d+$"},
        {"type": "string", "pattern": "(?i)^a$"},
        {"type": "string", "enum": [1, "1"]},
        {"type": "array", "uniqueItems": True},
        {"type": "number", "minimum": 0},
        {"$ref": "#/components/schemas/X"},
        {"type": "string", "x-nullable": True},
        {"items": [{"type": "string"}]},
    ],
)
def test_schemas_whose_meaning_could_differ_stay_on_connexion(schema: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        translate(schema, kind="request")
    assert compile_schema(schema, kind="request") is None


def test_python_newline_before_dollar_is_still_decided_by_connexion() -> None:
    """Python's `$` matches before a final newline, ECMA's does not: the compiled validator
    rejects, so connexion decides and accepts, as it always did (our spec adds lengths)."""
    schema = {"type": "string", "pattern": "^[a-f]{3}$"}
    compiled = compile_schema(schema, kind="request")
    assert compiled is not None and not compiled.is_valid("abc\n")
    fast = with_compiled_validation(JSONResponseBodyValidator, response=True)
    assert _response_outcome(fast, schema, "abc\n") is None
    assert _response_outcome(JSONResponseBodyValidator, schema, "abc\n") is None


def test_values_jsonschema_rs_cannot_take_fall_back_to_connexion() -> None:
    schema = {"type": "object"}
    compiled = compile_schema(schema, kind="request")
    assert compiled is not None
    schemas = fastvalidation.CompiledSchemas(kind="request")
    for value in ({"a": "\ud800"}, {"a": 10**400}):
        try:
            compiled.is_valid(value)
        except (ValueError, TypeError, OverflowError):
            assert schemas.accepts(schema, value) is False
        else:
            assert schemas.accepts(schema, value) is True


# --- connexion internals --------------------------------------------------------------------

# sha256 of the source of every connexion function whose behaviour the fast path relies on:
# how validators are built (`schema=` kept as `_schema`), that `_validate` is the one check,
# and how nullable/writeOnly are treated. A new connexion release that changes any of them
# must be re-checked against server/fastvalidation.py before this hash is updated.
INTERNALS_SHA256 = "d0e41b2795e53e9d35e01b6dd22d308a7f06df438a058ccb6019e995c8126444"


def _internals_source() -> str:
    from connexion import json_schema
    from connexion.middleware.request_validation import RequestValidationOperation
    from connexion.middleware.response_validation import ResponseValidationOperation
    from connexion.validators import ParameterValidator, abstract
    from connexion.validators import json as json_validators

    parts = [
        abstract.AbstractRequestBodyValidator.__init__,
        abstract.AbstractRequestBodyValidator.wrap_receive,
        abstract.AbstractResponseBodyValidator.__init__,
        abstract.AbstractResponseBodyValidator.wrap_send,
        json_validators.JSONRequestBodyValidator._validate,
        json_validators.JSONResponseBodyValidator._validate,
        json_validators.JSONResponseBodyValidator.validator.fget,
        ParameterValidator.validate_parameter,
        ParameterValidator.validate_path_parameter,
        ParameterValidator.validate_request,
        RequestValidationOperation.__call__,
        ResponseValidationOperation.__call__,
        json_schema.allow_nullable,
        json_schema.validate_writeOnly,
    ]
    return (
        "\n".join(inspect.getsource(part) for part in parts)
        + inspect.getsource(json_schema).split("NullableTypeValidator", 1)[1]
    )


def test_connexion_internals_the_fast_path_relies_on_are_unchanged() -> None:
    assert metadata.version("connexion") == CONNEXION_VERSION
    digest = hashlib.sha256(_internals_source().encode("utf-8")).hexdigest()
    assert digest == INTERNALS_SHA256, (
        "connexion's validator internals changed: re-check server/fastvalidation.py, then update"
        f" INTERNALS_SHA256 to {digest}"
    )
    assert jsonschema_rs.Draft4Validator is not None


# --- whole app ------------------------------------------------------------------------------

TOKEN = "csbs-demo-token"
PROJECT_PATH = "/v1/b942cc8342734d15bcb246babb1953cf/restores"


def _stub_app(monkeypatch: pytest.MonkeyPatch, *, compiled: bool) -> Any:
    from server import app as app_module
    from server.settings import Settings

    with monkeypatch.context() as patch:
        if not compiled:
            patch.setattr(app_module, "compiled_validator_map", lambda original: original)
        # Without the fast lane, so every request meets connexion's validators.
        return app_module.create_app(Settings(restore_seconds=30.0, fast_lane=False))


def _answers(app: Any, bodies: list[bytes]) -> list[tuple[int, Any]]:
    import asyncio

    import httpx

    async def send_all() -> list[tuple[int, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://stub.test") as client:
            answers: list[tuple[int, Any]] = []
            for body in bodies:
                answer = await client.post(
                    PROJECT_PATH,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Auth-Token": TOKEN},
                )
                document = answer.json()
                if isinstance(document.get("restore"), dict):
                    document["restore"].pop("id", None)  # random per create
                document.pop("request_id", None)
                answers.append((answer.status_code, document))
            return answers

    try:
        return asyncio.run(send_all())
    finally:
        app.close()


def test_the_stub_answers_the_same_with_and_without_compiled_validators(
    monkeypatch: pytest.MonkeyPatch, requests_corpus: list[Any], examples: dict[str, Any]
) -> None:
    """Status and error body through the whole app (BodyGuard, handlers, response validation)."""
    rng = random.Random(CORPUS_SEED + 3)
    sample = [examples["DocumentRequest"], examples["DocumentRequest"], *rng.sample(requests_corpus, 400)]
    bodies = []
    for body in sample:
        try:
            bodies.append(json.dumps(body).encode("utf-8"))
        except (TypeError, ValueError, UnicodeEncodeError):
            continue
    bodies.append(b'{"restore": {"checkpoint_id": "' + UUID.encode() + b'\\n"}}')
    plain = _answers(_stub_app(monkeypatch, compiled=False), bodies)
    fastvalidation.REQUEST_SCHEMAS._entries.clear()
    fast = _answers(_stub_app(monkeypatch, compiled=True), bodies)
    # The fast app really went through a compiled validator.
    assert any(entry[1] is not None for entry in fastvalidation.REQUEST_SCHEMAS._entries.values())
    differences = [(b[:200], p, f) for b, p, f in zip(bodies, plain, fast, strict=True) if p != f]
    assert not differences, differences[:3]
    statuses = {status for status, _ in fast}
    assert {200, 400}.issubset(statuses), statuses
    assert fast[1][1]["error_code"] == "CSBS.6015"  # the second create of the same server


def test_an_invalid_response_still_fails_through_the_app(
    monkeypatch: pytest.MonkeyPatch, examples: dict[str, Any]
) -> None:
    from server import app as app_module

    async def broken_handler(project_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        answer = copy.deepcopy(examples["DocumentResponse"])
        answer["restore"]["status"] = "done"
        return answer, 200

    monkeypatch.setitem(app_module.CONTRACT_OPERATIONS, "createRestore", broken_handler)
    body = json.dumps(examples["DocumentRequest"]).encode()
    for compiled in (False, True):
        ((status, document),) = _answers(_stub_app(monkeypatch, compiled=compiled), [body])
        assert status == 500, document
        assert document["error_code"] == "CSBS.9999"
