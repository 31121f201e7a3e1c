"""The contract as pydantic v2 models: datamodel-code-generator, pinned in requirements.lock.

The models are generated once into a temporary folder with a dated, immutable preset of the
generator (`PRESET`) and `--read-format-as-annotation` (see DECISIONS.md "ID formats are
enforced by pattern and length": with it, every ID keeps its pattern and lengths), imported, and
fed the suite's JSON files. Request bodies are what a pydantic client sends: `model_dump_json()`
(unset optional fields as null) and `model_dump_json(exclude_unset=True)`; the contract must
accept both.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from tests.portability.documents import SPEC, UNKNOWN_MAP_ENTRY, UNKNOWN_STATUS, contract

pytestmark = pytest.mark.portability

PRESET = "standard-py311-20261113"
OPTIONS = ("--input-file-type", "openapi", "--preset", PRESET, "--read-format-as-annotation")
MODULE_NAME = "csbs_restore_pydantic_models"
GENERATE_TIMEOUT_S = 120


@dataclass(frozen=True)
class Generated:
    module: ModuleType
    output: str


def generate(out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run the generator's command line on the contract, with every Python warning shown."""
    env = dict(os.environ, PYTHONWARNINGS="default")
    command = [
        str(Path(sys.executable).with_name("datamodel-codegen")),
        "--input",
        str(SPEC),
        "--output",
        str(out),
        *options,
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=GENERATE_TIMEOUT_S, check=False
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    out = tmp_path_factory.mktemp("datamodel-code-generator") / f"{MODULE_NAME}.py"
    answer = generate(out, *OPTIONS)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    spec = importlib.util.spec_from_file_location(MODULE_NAME, out)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module  # pydantic resolves the models' annotations through it
    try:
        spec.loader.exec_module(module)
        yield Generated(module, answer.stdout + answer.stderr)
    finally:
        del sys.modules[MODULE_NAME]


def _text(document_files: dict[str, Path], name: str) -> str:
    return document_files[name].read_text(encoding="utf-8")


def test_the_generator_is_the_pinned_version_and_pydantic_is_v2() -> None:
    root = Path(__file__).resolve().parents[2]
    pin = f"datamodel-code-generator=={metadata.version('datamodel-code-generator')}"
    lock = (root / "requirements.lock").read_text(encoding="utf-8")
    assert pin in lock.splitlines()
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin in project["project"]["optional-dependencies"]["dev"]
    assert f"pydantic=={pydantic.VERSION}" in lock.splitlines()
    assert pydantic.VERSION.startswith("2.")


def test_generation_prints_nothing_not_even_a_python_warning(generated: Generated) -> None:
    assert generated.output == ""


def test_with_uuid_types_the_generator_warns_that_it_drops_the_id_patterns(tmp_path: Path) -> None:
    """Why the suite reads formats as annotations, and proof that a warning fails the check above."""
    answer = generate(tmp_path / "uuid_models.py", "--input-file-type", "openapi", "--preset", PRESET)
    assert answer.returncode == 0, answer.stderr
    assert "UserWarning: Pydantic does not take max_length, min_length, pattern on UUID" in answer.stderr
    assert "RestoreRequest.provider_id is generated without these constraints" in answer.stderr


def test_every_schema_of_the_contract_is_a_model(generated: Generated) -> None:
    for name in ("CreateRestoreRequest", "CreateRestoreResult", "Restore", "VolumeMapping", "ErrorResponse"):
        assert issubclass(getattr(generated.module, name), pydantic.BaseModel), name


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("CreateRestoreRequest", "document_request"),
        ("CreateRestoreRequest", "minimal_request"),
        ("CreateRestoreResult", "document_response"),
    ],
)
def test_the_documents_read_from_json_files_load_and_round_trip(
    generated: Generated, document_files: dict[str, Path], model: str, name: str
) -> None:
    text = _text(document_files, name)
    loaded = getattr(generated.module, model).model_validate_json(text)
    assert loaded.model_dump(mode="json", exclude_unset=True) == json.loads(text)


@pytest.mark.parametrize("name", ["document_request", "minimal_request"])
@pytest.mark.parametrize("exclude_unset", [False, True], ids=["unset-as-null", "exclude-unset"])
def test_what_a_pydantic_client_sends_is_accepted_by_the_contract(
    generated: Generated, document_files: dict[str, Path], name: str, exclude_unset: bool
) -> None:
    request = generated.module.CreateRestoreRequest.model_validate_json(_text(document_files, name))
    sent = json.loads(request.model_dump_json(exclude_none=False, exclude_unset=exclude_unset))
    assert contract().request_refusal(sent) is None, sent
    if exclude_unset:
        assert sent == json.loads(_text(document_files, name))
    elif name == "minimal_request":
        # Every optional field goes out as null: the contract's nullable optional fields.
        assert sent["restore"]["restore_target"] is None
        assert sent["restore"]["parameters"] == {
            "checkpoint_item_id": None,
            "power_on": None,
            "targets": {"server_id": None, "volumes": None},
        }


def test_the_request_models_refuse_what_the_contract_refuses(
    generated: Generated, document_files: dict[str, Path]
) -> None:
    document: dict[str, Any] = json.loads(_text(document_files, "document_request"))
    other_provider = json.loads(json.dumps(document))
    other_provider["restore"]["provider_id"] = "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"
    unknown_field = json.loads(json.dumps(document))
    unknown_field["restore"]["parameters"]["targets"]["resource_type"] = "OS::Nova::Server"
    for body in (other_provider, unknown_field):
        assert contract().request_refusal(body) is not None
        with pytest.raises(pydantic.ValidationError):
            generated.module.CreateRestoreRequest.model_validate(body)


def test_a_response_with_unknown_fields_at_every_level_and_an_unknown_status_loads(
    generated: Generated, document_files: dict[str, Path]
) -> None:
    text = _text(document_files, "tolerant_response")
    answer = generated.module.CreateRestoreResult.model_validate_json(text)
    assert answer.restore.status == UNKNOWN_STATUS
    key, value = UNKNOWN_MAP_ENTRY
    assert answer.restore.resources_status == {key: value}
    # Unknown fields are ignored, not kept: what the model gives back is the document's response.
    document = json.loads(_text(document_files, "document_response"))
    dumped = answer.model_dump(mode="json", exclude_unset=True)
    assert dumped["restore"]["parameters"] == document["restore"]["parameters"]
    assert set(dumped["restore"]) == set(document["restore"])
