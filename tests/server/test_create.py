"""POST /v1/{project_id}/restores in process: the document's example, state and business rules."""

from __future__ import annotations

import time

import pytest
from stub_helpers import DEMO_PROJECT, InProcessStub, document_request

UUID_LEN = 36


def test_document_example_succeeds_unchanged_and_echoes_every_field(stub: InProcessStub) -> None:
    answer = stub.create(document_request())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert len(answer.headers["x-request-id"]) == 32
    restore = answer.json()["restore"]
    assert len(restore["id"]) == UUID_LEN
    assert restore["status"] == "in_progress"
    assert restore["project_id"] == DEMO_PROJECT
    assert restore["checkpoint_id"] == "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"
    assert restore["provider_id"] == "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
    assert restore["resources_status"] == {}
    assert restore["resources_reason"] == {}
    assert restore["restore_target"] is None
    assert restore["parameters"] == {
        "checkpoint_item_id": "504b7d59-c361-411f-9ed3-814f35d08e3d",
        "power_on": True,
        "targets": {
            "server_id": "f45c477a-57e5-465f-999f-d845083962db",
            "volumes": [
                {
                    "backup_id": "bc118c24-3234-4afd-8423-d66d3d677649",
                    "volume_id": "ee27f809-6fb5-40ae-ac46-c932bb4ee8fe",
                }
            ],
            "resource_type": "OS::Nova::Server",
        },
    }


def test_restore_target_is_echoed(stub: InProcessStub) -> None:
    body = document_request()
    body["restore"]["restore_target"] = "http://192.168.1.2:35357/v2.0/"
    answer = stub.create(body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["restore"]["restore_target"] == "http://192.168.1.2:35357/v2.0/"


def test_second_restore_of_the_same_server_is_refused_while_the_first_runs(stub: InProcessStub) -> None:
    assert stub.create(document_request()).status_code == 200
    second = stub.create(document_request())
    assert second.status_code == 400
    assert second.json() == {
        "error_code": "CSBS.6015",
        "error_msg": "The server f45c477a-57e5-465f-999f-d845083962db is restoring.",
    }


def test_restore_ends_in_success_and_the_server_can_be_restored_again(stub: InProcessStub) -> None:
    created = stub.create(document_request()).json()["restore"]
    time.sleep(0.35)
    stored = stub.control("GET", f"/restores/{created['id']}").json()["restore"]
    assert stored["status"] == "success"
    assert stored["resources_status"] == {
        "OS::Nova::Server#f45c477a-57e5-465f-999f-d845083962db": "available",
        "OS::Cinder::Volume#ee27f809-6fb5-40ae-ac46-c932bb4ee8fe": "available",
    }
    assert stored["resources_reason"] == {}
    assert stub.create(document_request()).status_code == 200


def test_missing_token_is_the_gateways_401_with_request_id(stub: InProcessStub) -> None:
    answer = stub.create(document_request(), token=None)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error_code"] == "APIGW.0301"
    assert body["request_id"] == answer.headers["x-request-id"]


def test_token_of_another_project_is_403(stub: InProcessStub) -> None:
    answer = stub.create(document_request(), token="csbs-other-token")
    assert answer.status_code == 403
    assert answer.json()["error_code"] == "CSBS.9009"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda r: r["parameters"]["targets"]["volumes"][0].update(backup_id="x"),
            "restore.parameters.targets.volumes[0].backup_id",
        ),
        (lambda r: r.pop("checkpoint_id"), "restore.checkpoint_id"),
        (lambda r: r.update(provider_id="fc4d5750-22e7-4798-8a46-f48f62c4c1db"), "restore.provider_id"),
    ],
)
def test_invalid_field_is_400_naming_the_field(stub: InProcessStub, mutate: object, field: str) -> None:
    body = document_request()
    mutate(body["restore"])  # type: ignore[operator]
    answer = stub.create(body)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "CSBS.9001"
    assert field in answer.json()["error_msg"]


def test_non_utf8_body_is_400_not_500(stub: InProcessStub) -> None:
    answer = stub.create(content=b'{"restore": "\xff"}', headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "CSBS.9001"
