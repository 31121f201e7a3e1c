"""The strict profile is derived from the published contract, closes its responses only, and is
kept in step with it (`make check-generated`)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.openapi import Document
from tools import strict_profile as tool
from tools.strict_profile import StrictProfileError, strict_profile

CONTRACT: dict[str, Any] = yaml.safe_load(tool.CONTRACT.read_text(encoding="utf-8"))


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = document["components"]["schemas"]
    return result


def test_the_committed_profile_is_current() -> None:
    assert tool.STRICT_PROFILE.read_text(encoding="utf-8") == tool.build(), "run `make generate`"


def test_every_response_object_is_closed_and_every_open_list_closed() -> None:
    strict = strict_profile(CONTRACT)
    model = Document(strict)
    responses = model.reachable_schemas("response")
    objects = [s.node for s in responses.values() if s.node.get("type") == "object"]
    assert len(objects) >= 6
    for node in objects:
        extra = node.get("additionalProperties")
        assert extra is False or isinstance(extra, dict), node.get("description")
    assert schemas(strict)["RestoreStatus"]["enum"] == ["in_progress", "success", "fail"]
    assert schemas(strict)["ResourceStatus"]["enum"] == ["restoring", "available", "error"]
    assert not any("x-extensible-enum" in s.node for s in responses.values())
    # Maps keep their value schema.
    restore = schemas(strict)["Restore"]["properties"]
    assert restore["resources_reason"]["additionalProperties"] == {"type": "string"}


def test_requests_are_left_exactly_as_published() -> None:
    strict = strict_profile(CONTRACT)
    for name in ("CreateRestoreRequest", "RestoreRequest", "RestoreParameters", "RestoreTargets"):
        assert schemas(strict)[name] == schemas(CONTRACT)[name]
    assert strict["paths"] == CONTRACT["paths"]
    assert strict["info"]["x-response-style"] == "closed"


def test_the_published_contract_is_not_changed_in_place() -> None:
    before = copy.deepcopy(CONTRACT)
    strict_profile(CONTRACT)
    assert before == CONTRACT


def test_a_schema_shared_by_request_and_response_is_refused() -> None:
    shared = copy.deepcopy(CONTRACT)
    schemas(shared)["RestoredTargets"]["properties"]["volumes"]["items"] = {
        "$ref": "#/components/schemas/RestoreTargets"
    }
    schemas(shared)["RestoreTargets"].pop("additionalProperties")
    with pytest.raises(StrictProfileError, match="RestoreTargets"):
        strict_profile(shared)


def test_check_mode_reports_a_stale_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "strict.yaml"
    assert tool.main(["--out", str(out)]) == 0
    assert tool.main(["--out", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("additionalProperties: false", "x: 1", 1))
    assert tool.main(["--out", str(out), "--check"]) == 1
    assert "make generate" in capsys.readouterr().err


def test_an_unreadable_contract_exits_2(tmp_path: Path) -> None:
    assert tool.main(["--contract", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
