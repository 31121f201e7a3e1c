"""The compiled (jsonschema-rs) validators answer exactly as the reference validators do.

A differential test over thousands of request and response bodies: schemathesis-generated valid
and invalid bodies (pinned seed), seeded mutations of valid ones, and hand-written edge cases.
For each body a `CompiledSchema` with its fast path and one without must agree on accept or
reject, and on the exact error (field and reason). Then the translation rules themselves.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.contract import Operation, build_operation
from server.openapi import Document, load_document
from server.schemas import (
    CompiledSchema,
    InvalidAnswer,
    InvalidField,
    SchemaKind,
    Unsupported,
    compile_fast,
    translate,
)
from tools.harness.seeds import DEMO_PROJECT

REPO_ROOT = Path(__file__).resolve().parents[2]
# The strict profile: what the stub validates its own answers against (requests as published).
CONTRACT = REPO_ROOT / "generated" / "csbs-restore.strict.yaml"
PATH = "/v1/{project_id}/restores"
CORPUS_SEED = 20261128
UUID = "504b7d59-c361-411f-9ed3-814f35d08e3d"


@pytest.fixture(scope="module")
def operation() -> Operation:
    """The operation as the stub builds it, schemas compiled."""
    return build_operation(Document(load_document(CONTRACT)), "", PATH, "post")


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    document = load_document(CONTRACT)
    return {name: entry["value"] for name, entry in document["components"]["examples"].items()}


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


def _reference_only(compiled: CompiledSchema) -> CompiledSchema:
    """The same schema decided by the reference validator alone."""
    slow = copy.copy(compiled)
    slow.fast = None
    return slow


def _outcome(schema: CompiledSchema, value: Any) -> tuple[str, str] | None:
    check = schema.check_body if schema.kind == "request" else schema.check_answer
    try:
        check(value)
    except InvalidField as invalid:
        return ("field", invalid.message)
    except InvalidAnswer as invalid:
        return ("answer", str(invalid))
    return None


def _differences(schema: CompiledSchema, corpus: list[Any]) -> tuple[list[str], int, int]:
    assert schema.fast is not None, "otherwise the test would compare the reference with itself"
    slow = _reference_only(schema)
    differences: list[str] = []
    accepted = rejected = 0
    for body in corpus:
        expected = _outcome(slow, body)
        actual = _outcome(schema, body)
        if expected != actual:
            differences.append(f"{body!r:.300}: reference {expected}, compiled {actual}")
        if expected is None:
            accepted += 1
        else:
            rejected += 1
    return differences, accepted, rejected


# --- tests ----------------------------------------------------------------------------------


def test_every_contract_body_schema_gets_a_compiled_validator(operation: Operation) -> None:
    """Otherwise the differential tests below would only compare the reference with itself."""
    assert operation.body is not None and operation.body.fast is not None
    for status, schema in operation.responses.items():
        assert schema is not None and schema.fast is not None, status


def test_request_bodies_get_the_same_answer(operation: Operation, requests_corpus: list[Any]) -> None:
    assert operation.body is not None
    differences, accepted, rejected = _differences(operation.body, requests_corpus)
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"
    assert len(requests_corpus) >= 3000
    print(f"request corpus: {len(requests_corpus)} bodies, {accepted} valid, {rejected} invalid")
    assert accepted >= 150 and rejected >= 2000, (accepted, rejected)


def test_response_bodies_get_the_same_answer_and_invalid_ones_still_fail(
    operation: Operation, examples: dict[str, Any]
) -> None:
    schema = operation.responses[200]
    assert schema is not None
    differences, accepted, rejected = _differences(schema, response_corpus(examples))
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"
    assert accepted >= 5 and rejected >= 1000, (accepted, rejected)
    broken = copy.deepcopy(examples["DocumentResponse"])
    broken["restore"]["status"] = "done"  # the strict profile closes the open list
    with pytest.raises(InvalidAnswer, match=r"restore\.status must be one of"):
        schema.check_answer(broken)


def test_error_bodies_get_the_same_answer(operation: Operation, examples: dict[str, Any]) -> None:
    for status in (400, 401, 404, 500):
        schema = operation.responses[status]
        assert schema is not None
        differences, accepted, rejected = _differences(schema, error_corpus(examples))
        assert not differences, differences[:5]
        assert accepted and rejected


def _parameter_corpus() -> list[Any]:
    rng = random.Random(CORPUS_SEED + 4)
    project = DEMO_PROJECT
    values: list[Any] = [project, project.upper(), project[:-1], project + "0", "", "null", "None"]
    values += [mutation(project) for mutation in STRING_MUTATIONS]
    alphabet = "0123456789abcdefABCDEFg-\n \u0660\uff10"
    values += ["".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(200)]
    for _ in range(1500):
        length = rng.choice([31, 32, 32, 32, 33, rng.randrange(0, 40)])
        values.append("".join(rng.choice(alphabet) for _ in range(length)))
    return values


def _parameter_outcome(schema: CompiledSchema, value: Any) -> str | None:
    try:
        schema.check_parameter("path", "project_id", value)
    except InvalidField as invalid:
        return invalid.message
    return None


def test_parameters_get_the_same_answer(operation: Operation) -> None:
    (parameter,) = operation.parameters
    schema = parameter.schema
    assert schema.fast is not None
    slow = _reference_only(schema)
    corpus = _parameter_corpus()
    outcomes = [(_parameter_outcome(slow, v), _parameter_outcome(schema, v)) for v in corpus]
    differences = [(v, a, b) for v, (a, b) in zip(corpus, outcomes, strict=True) if a != b]
    assert not differences, differences[:5]
    accepted = sum(1 for slow_answer, _ in outcomes if slow_answer is None)
    assert 50 <= accepted < len(corpus) - 500, accepted


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


@pytest.mark.parametrize(("keyword", "kind"), [("writeOnly", "response"), ("readOnly", "request")])
def test_properties_the_reference_refuses_on_a_side_are_refused_there(keyword: str, kind: SchemaKind) -> None:
    schema = {"type": "object", "properties": {"secret": {"type": "string", keyword: True}}}
    assert translate(schema, kind=kind)["properties"]["secret"] == {"not": {}}
    compiled = CompiledSchema(schema, kind=kind)
    assert not compiled.accepts({"secret": "x"})
    assert not _reference_only(compiled).accepts({"secret": "x"})
    other: SchemaKind = "request" if kind == "response" else "response"
    assert CompiledSchema(schema, kind=other).accepts({"secret": "x"})


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
def test_schemas_whose_meaning_could_differ_stay_with_the_reference(schema: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        translate(schema, kind="request")
    assert compile_fast(schema, kind="request") is None


def test_python_newline_before_dollar_is_still_decided_by_the_reference() -> None:
    """Python's `$` matches before a final newline, ECMA's does not: the compiled validator
    rejects, so the reference decides and accepts (the contract adds lengths against it)."""
    schema = {"type": "string", "pattern": "^[a-f]{3}$"}
    compiled = compile_fast(schema, kind="request")
    assert compiled is not None and not compiled.is_valid("abc\n")
    assert CompiledSchema(schema, kind="response").accepts("abc\n")


def test_values_jsonschema_rs_cannot_take_fall_back_to_the_reference() -> None:
    schema = {"type": "object"}
    compiled = compile_fast(schema, kind="request")
    assert compiled is not None
    checked = CompiledSchema(schema, kind="request")
    for value in ({"a": "\ud800"}, {"a": 10**400}):
        try:
            compiled.is_valid(value)
        except (ValueError, TypeError, OverflowError):
            assert checked.accepts(value) is True  # the reference decides: a valid object
        else:
            assert checked.accepts(value) is True


def test_one_compiled_schema_per_schema_object() -> None:
    from server.schemas import SchemaCache

    cache = SchemaCache()
    schema = {"type": "string"}
    assert cache.get(schema, kind="request") is cache.get(schema, kind="request")
    assert cache.get(schema, kind="request") is not cache.get(dict(schema), kind="request")
    assert cache.get(schema, kind="request") is not cache.get(schema, kind="response")
