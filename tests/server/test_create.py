"""Business rules of POST /v1/{project_id}/restores, in process and over a socket."""

from __future__ import annotations

from stub_helpers import (
    DEMO_PROJECT,
    DOC_CHECKPOINT,
    DOC_ITEM,
    DOC_SERVER,
    DOC_VOLUME,
    DOC_VOLUME_BACKUP,
    MULTI_CHECKPOINT,
    MULTI_ITEM_B,
    MULTI_SERVER_A,
    MULTI_SERVER_B,
    OTHER_PROJECT_CHECKPOINT,
    OTHER_PROJECT_ITEM,
    PROTECTING_CHECKPOINT,
    PROTECTING_ITEM,
    TWO_VOLUMES_BACKUPS,
    TWO_VOLUMES_CHECKPOINT,
    TWO_VOLUMES_ITEM,
    TWO_VOLUMES_SERVER,
    TWO_VOLUMES_VOLUMES,
    StubApi,
    assert_contract_answer,
    assert_error,
    document_request,
    request_for,
)

LOAD_CHECKPOINTS = (
    "e050d4c3-d9b8-59f7-a6aa-cfe80de877e9",
    "1082f5b0-82c0-514c-907e-8d7008f93605",
    "52f66489-fa1a-5025-8182-93e9ad7946fb",
)


def test_document_example_succeeds_unchanged_and_reports_every_field(api: StubApi) -> None:
    answer = api.create(document_request())
    assert_contract_answer(answer)
    assert answer.status_code == 200, answer.text
    assert len(answer.headers["x-request-id"]) == 32
    restore = answer.json()["restore"]
    assert set(restore) == {
        "id",
        "checkpoint_id",
        "parameters",
        "project_id",
        "provider_id",
        "resources_reason",
        "resources_status",
        "restore_target",
        "status",
    }
    assert restore["status"] == "in_progress"
    assert restore["project_id"] == DEMO_PROJECT
    assert restore["checkpoint_id"] == DOC_CHECKPOINT
    assert restore["provider_id"] == "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
    assert restore["resources_status"] == {}
    assert restore["resources_reason"] == {}
    assert restore["restore_target"] is None
    assert restore["parameters"] == {
        "checkpoint_item_id": DOC_ITEM,
        "power_on": True,
        "targets": {
            "server_id": DOC_SERVER,
            "volumes": [{"backup_id": DOC_VOLUME_BACKUP, "volume_id": DOC_VOLUME}],
            "resource_type": "OS::Nova::Server",
        },
    }


def test_created_restore_is_stored_as_answered(api: StubApi) -> None:
    restore = api.create(document_request()).json()["restore"]
    assert api.stored(restore["id"]) == restore


def test_each_restore_gets_its_own_id(api: StubApi) -> None:
    ids = {api.create(request_for(checkpoint)).json()["restore"]["id"] for checkpoint in LOAD_CHECKPOINTS}
    assert len(ids) == len(LOAD_CHECKPOINTS)


def test_restore_target_and_power_on_are_echoed(api: StubApi) -> None:
    body = document_request()
    body["restore"]["restore_target"] = "http://192.168.1.2:35357/v2.0/"
    body["restore"]["parameters"]["power_on"] = False
    answer = api.create(body)
    assert_contract_answer(answer)
    restore = answer.json()["restore"]
    assert restore["restore_target"] == "http://192.168.1.2:35357/v2.0/"
    assert restore["parameters"]["power_on"] is False


def test_omitted_fields_are_resolved_like_the_service(api: StubApi) -> None:
    """No checkpoint_item_id, server_id, volumes or power_on: the checkpoint's only backup, its
    server, every volume backup to its source volume, and the server powered on."""
    answer = api.create(request_for(DOC_CHECKPOINT))
    assert_contract_answer(answer)
    parameters = answer.json()["restore"]["parameters"]
    assert parameters == {
        "checkpoint_item_id": DOC_ITEM,
        "power_on": True,
        "targets": {
            "server_id": DOC_SERVER,
            "volumes": [{"backup_id": DOC_VOLUME_BACKUP, "volume_id": DOC_VOLUME}],
            "resource_type": "OS::Nova::Server",
        },
    }


def test_null_optional_fields_mean_not_given(api: StubApi) -> None:
    """What a pydantic client sends for unset optional fields: the same answer as leaving them out."""
    body = request_for(DOC_CHECKPOINT)
    body["restore"]["restore_target"] = None
    body["restore"]["parameters"].update(checkpoint_item_id=None, power_on=None)
    body["restore"]["parameters"]["targets"].update(server_id=None, volumes=None)
    answer = api.create(body)
    assert_contract_answer(answer)
    restore = answer.json()["restore"]
    assert restore["restore_target"] is None
    assert restore["parameters"] == {
        "checkpoint_item_id": DOC_ITEM,
        "power_on": True,
        "targets": {
            "server_id": DOC_SERVER,
            "volumes": [{"backup_id": DOC_VOLUME_BACKUP, "volume_id": DOC_VOLUME}],
            "resource_type": "OS::Nova::Server",
        },
    }


def test_null_in_a_required_field_is_still_400(api: StubApi) -> None:
    body = document_request()
    body["restore"]["checkpoint_id"] = None
    answer = assert_error(api.create(body), 400, "CSBS.9001")
    assert "checkpoint_id" in answer["error_msg"]


def test_omitted_volumes_restore_every_volume_backup(api: StubApi) -> None:
    answer = api.create(request_for(TWO_VOLUMES_CHECKPOINT, TWO_VOLUMES_ITEM))
    assert_contract_answer(answer)
    volumes = answer.json()["restore"]["parameters"]["targets"]["volumes"]
    assert volumes == [
        {"backup_id": TWO_VOLUMES_BACKUPS[0], "volume_id": TWO_VOLUMES_VOLUMES[0]},
        {"backup_id": TWO_VOLUMES_BACKUPS[1], "volume_id": TWO_VOLUMES_VOLUMES[1]},
    ]


def test_omitted_item_in_a_checkpoint_of_several_servers_is_found_by_server_id(api: StubApi) -> None:
    answer = api.create(request_for(MULTI_CHECKPOINT, server_id=MULTI_SERVER_B))
    assert_contract_answer(answer)
    assert answer.json()["restore"]["parameters"]["checkpoint_item_id"] == MULTI_ITEM_B


def test_omitted_item_in_a_checkpoint_of_several_servers_without_server_is_400(api: StubApi) -> None:
    body = assert_error(api.create(request_for(MULTI_CHECKPOINT)), 400, "CSBS.9001")
    assert "restore.parameters.checkpoint_item_id is required" in body["error_msg"]


def test_restoring_a_backup_onto_another_server_keeps_the_given_server(api: StubApi) -> None:
    answer = api.create(request_for(MULTI_CHECKPOINT, MULTI_ITEM_B, server_id=MULTI_SERVER_A))
    assert_contract_answer(answer)
    targets = answer.json()["restore"]["parameters"]["targets"]
    assert targets["server_id"] == MULTI_SERVER_A


def test_unknown_checkpoint_item_is_404_csbs_3001(api: StubApi) -> None:
    body = document_request()
    body["restore"]["parameters"]["checkpoint_item_id"] = "00000000-0000-4000-8000-000000000000"
    error = assert_error(api.create(body), 404, "CSBS.3001")
    assert error["error_msg"] == "Checkpoint_item (00000000-0000-4000-8000-000000000000) is not found."


def test_unknown_checkpoint_is_404_csbs_3001(api: StubApi) -> None:
    assert_error(api.create(request_for("00000000-0000-4000-8000-000000000000")), 404, "CSBS.3001")


def test_checkpoint_id_that_does_not_hold_the_item_is_404(api: StubApi) -> None:
    error = assert_error(api.create(request_for(TWO_VOLUMES_CHECKPOINT, DOC_ITEM)), 404, "CSBS.3001")
    assert TWO_VOLUMES_CHECKPOINT in error["error_msg"]


def test_backup_of_another_project_is_not_found(api: StubApi) -> None:
    assert_error(api.create(request_for(OTHER_PROJECT_CHECKPOINT, OTHER_PROJECT_ITEM)), 404, "CSBS.3001")


def test_backup_that_is_not_available_is_400_csbs_4000(api: StubApi) -> None:
    error = assert_error(api.create(request_for(PROTECTING_CHECKPOINT, PROTECTING_ITEM)), 400, "CSBS.4000")
    assert "protecting" in error["error_msg"]


def test_backup_id_not_in_the_backup_is_400_csbs_6017(api: StubApi) -> None:
    body = document_request()
    stranger = TWO_VOLUMES_BACKUPS[0]
    body["restore"]["parameters"]["targets"]["volumes"][0]["backup_id"] = stranger
    error = assert_error(api.create(body), 400, "CSBS.6017")
    assert error["error_msg"] == f"Backup(s) {stranger} not found in checkpoint item {DOC_ITEM}."


def test_server_already_being_restored_is_400_csbs_6015(api: StubApi) -> None:
    assert api.create(document_request()).status_code == 200
    error = assert_error(api.create(document_request()), 400, "CSBS.6015")
    assert error["error_msg"] == f"The server {DOC_SERVER} is restoring."
    # Restoring the same server from another backup is refused too.
    other_backup = request_for(MULTI_CHECKPOINT, MULTI_ITEM_B, server_id=DOC_SERVER)
    assert_error(api.create(other_backup), 400, "CSBS.6015")


def test_volumes_must_assign_every_volume_backup_csbs_6018(api: StubApi) -> None:
    partial = request_for(
        TWO_VOLUMES_CHECKPOINT,
        TWO_VOLUMES_ITEM,
        volumes=[{"backup_id": TWO_VOLUMES_BACKUPS[0], "volume_id": TWO_VOLUMES_VOLUMES[0]}],
    )
    error = assert_error(api.create(partial), 400, "CSBS.6018")
    assert TWO_VOLUMES_BACKUPS[1] in error["error_msg"]
    assert_error(
        api.create(request_for(TWO_VOLUMES_CHECKPOINT, TWO_VOLUMES_ITEM, volumes=[])), 400, "CSBS.6018"
    )


def test_volume_backup_assigned_twice_is_400(api: StubApi) -> None:
    twice = request_for(
        TWO_VOLUMES_CHECKPOINT,
        TWO_VOLUMES_ITEM,
        volumes=[
            {"backup_id": TWO_VOLUMES_BACKUPS[0], "volume_id": TWO_VOLUMES_VOLUMES[0]},
            {"backup_id": TWO_VOLUMES_BACKUPS[0], "volume_id": TWO_VOLUMES_VOLUMES[1]},
        ],
    )
    error = assert_error(api.create(twice), 400, "CSBS.9001")
    assert "restore.parameters.targets.volumes[1].backup_id" in error["error_msg"]


def test_volume_not_in_a_known_target_server_is_400_csbs_6014(api: StubApi) -> None:
    body = document_request()
    body["restore"]["parameters"]["targets"]["volumes"][0]["volume_id"] = TWO_VOLUMES_VOLUMES[1]
    error = assert_error(api.create(body), 400, "CSBS.6014")
    assert DOC_SERVER in error["error_msg"]


def test_target_volume_smaller_than_the_volume_backup_is_400_csbs_6024(api: StubApi) -> None:
    swapped = request_for(
        TWO_VOLUMES_CHECKPOINT,
        TWO_VOLUMES_ITEM,
        server_id=TWO_VOLUMES_SERVER,
        volumes=[
            {"backup_id": TWO_VOLUMES_BACKUPS[0], "volume_id": TWO_VOLUMES_VOLUMES[1]},
            {"backup_id": TWO_VOLUMES_BACKUPS[1], "volume_id": TWO_VOLUMES_VOLUMES[0]},
        ],
    )
    error = assert_error(api.create(swapped), 400, "CSBS.6024")
    assert "smaller" in error["error_msg"]


def test_refused_requests_store_nothing(api: StubApi) -> None:
    api.create(request_for(PROTECTING_CHECKPOINT, PROTECTING_ITEM))
    api.create(request_for("00000000-0000-4000-8000-000000000000"))
    listed = api.control("GET", "/restores").json()["restores"]
    assert listed == []
    assert api.backup_status(DOC_ITEM) == "available"
