"""Our own client (openapi-python-client, committed under generated/ and drift-gated) against the
suite's JSON files.

The rest of what the suite asks of every generator is proven for this one in tests/client:
generation fails on any warning (`tools/generate_client.py` runs it with `--fail-on-warning`;
`test_client_drift.py::test_a_generator_warning_fails_and_keeps_the_client`), the package
imports and passes `mypy --strict` (`test_client_typing.py`), and a response with an unknown
field at every level and an unknown `status` parses
(`test_client_structure.py::test_a_response_with_unknown_fields_and_an_unknown_status_parses`).
Here: the documents, read from the JSON files every generator reads, load, and what the request
model sends for them is accepted by the contract.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from csbs_restore_client.models import (
    CreateRestoreRequest,
    CreateRestoreResult,
    RestoreParameters,
    RestoreRequest,
    RestoreTargets,
)

from tests.portability.documents import contract

pytestmark = pytest.mark.portability


def _read(document_files: dict[str, Path], name: str) -> dict[str, object]:
    value: dict[str, object] = json.loads(document_files[name].read_text(encoding="utf-8"))
    return value


@pytest.mark.parametrize("name", ["document_request", "minimal_request"])
def test_the_request_files_load_and_what_the_model_sends_is_accepted(
    document_files: dict[str, Path], name: str
) -> None:
    document = _read(document_files, name)
    sent = CreateRestoreRequest.from_dict(document).to_dict()
    assert sent == document
    assert contract().request_refusal(sent) is None, sent


def test_a_minimal_request_built_from_the_models_is_accepted(document_files: dict[str, Path]) -> None:
    minimal = _read(document_files, "minimal_request")
    restore = minimal["restore"]
    assert isinstance(restore, dict)
    built = CreateRestoreRequest(
        restore=RestoreRequest(
            checkpoint_id=UUID(restore["checkpoint_id"]),
            parameters=RestoreParameters(targets=RestoreTargets()),
            provider_id=UUID(restore["provider_id"]),
        )
    )
    sent = built.to_dict()
    assert sent == minimal
    assert contract().request_refusal(sent) is None, sent


def test_the_document_response_file_loads(document_files: dict[str, Path]) -> None:
    document = _read(document_files, "document_response")
    loaded = CreateRestoreResult.from_dict(document)
    assert loaded.to_dict() == document
    restore = document["restore"]
    assert isinstance(restore, dict)
    assert str(loaded.restore.id) == restore["id"]
    assert loaded.restore.status == restore["status"]
