from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_restore_request import CreateRestoreRequest
from ...models.create_restore_result import CreateRestoreResult
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    project_id: str,
    *,
    body: CreateRestoreRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/{project_id}/restores".format(
            project_id=quote(str(project_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateRestoreResult | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = CreateRestoreResult.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreateRestoreResult | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateRestoreRequest,
) -> Response[CreateRestoreResult | ErrorResponse]:
    """Create a restore (创建恢复)

     Starts restoring a cloud server from a backup (使用备份进行恢复). The call returns at once
    with the restore in status `in_progress`; the restore then ends in `success` or `fail`.

    Identify the backup by `checkpoint_id` (备份记录ID) and, optionally,
    `parameters.checkpoint_item_id` (备份ID). Name the server to restore in
    `parameters.targets.server_id` and map each volume backup to a target volume in
    `parameters.targets.volumes`. The document marks `checkpoint_item_id`, `power_on`,
    `server_id` and `volumes` optional but does not say what the service does when they
    are omitted; send them all to be sure of the outcome.

    Typical errors: 400 `CSBS.9001` for an invalid field, 400 `CSBS.4000` when the
    backup's status does not allow a restore, 400 `CSBS.6015` when the server is already
    being restored, 400 `CSBS.6017` when a `backup_id` is not part of the backup, and
    404 `CSBS.3001` when the backup does not exist.

    Args:
        project_id (str):
        body (CreateRestoreRequest): Body of a create-restore call.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateRestoreResult | ErrorResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    project_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateRestoreRequest,
) -> CreateRestoreResult | ErrorResponse | None:
    """Create a restore (创建恢复)

     Starts restoring a cloud server from a backup (使用备份进行恢复). The call returns at once
    with the restore in status `in_progress`; the restore then ends in `success` or `fail`.

    Identify the backup by `checkpoint_id` (备份记录ID) and, optionally,
    `parameters.checkpoint_item_id` (备份ID). Name the server to restore in
    `parameters.targets.server_id` and map each volume backup to a target volume in
    `parameters.targets.volumes`. The document marks `checkpoint_item_id`, `power_on`,
    `server_id` and `volumes` optional but does not say what the service does when they
    are omitted; send them all to be sure of the outcome.

    Typical errors: 400 `CSBS.9001` for an invalid field, 400 `CSBS.4000` when the
    backup's status does not allow a restore, 400 `CSBS.6015` when the server is already
    being restored, 400 `CSBS.6017` when a `backup_id` is not part of the backup, and
    404 `CSBS.3001` when the backup does not exist.

    Args:
        project_id (str):
        body (CreateRestoreRequest): Body of a create-restore call.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateRestoreResult | ErrorResponse
    """

    return sync_detailed(
        project_id=project_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    project_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateRestoreRequest,
) -> Response[CreateRestoreResult | ErrorResponse]:
    """Create a restore (创建恢复)

     Starts restoring a cloud server from a backup (使用备份进行恢复). The call returns at once
    with the restore in status `in_progress`; the restore then ends in `success` or `fail`.

    Identify the backup by `checkpoint_id` (备份记录ID) and, optionally,
    `parameters.checkpoint_item_id` (备份ID). Name the server to restore in
    `parameters.targets.server_id` and map each volume backup to a target volume in
    `parameters.targets.volumes`. The document marks `checkpoint_item_id`, `power_on`,
    `server_id` and `volumes` optional but does not say what the service does when they
    are omitted; send them all to be sure of the outcome.

    Typical errors: 400 `CSBS.9001` for an invalid field, 400 `CSBS.4000` when the
    backup's status does not allow a restore, 400 `CSBS.6015` when the server is already
    being restored, 400 `CSBS.6017` when a `backup_id` is not part of the backup, and
    404 `CSBS.3001` when the backup does not exist.

    Args:
        project_id (str):
        body (CreateRestoreRequest): Body of a create-restore call.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateRestoreResult | ErrorResponse]
    """

    kwargs = _get_kwargs(
        project_id=project_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateRestoreRequest,
) -> CreateRestoreResult | ErrorResponse | None:
    """Create a restore (创建恢复)

     Starts restoring a cloud server from a backup (使用备份进行恢复). The call returns at once
    with the restore in status `in_progress`; the restore then ends in `success` or `fail`.

    Identify the backup by `checkpoint_id` (备份记录ID) and, optionally,
    `parameters.checkpoint_item_id` (备份ID). Name the server to restore in
    `parameters.targets.server_id` and map each volume backup to a target volume in
    `parameters.targets.volumes`. The document marks `checkpoint_item_id`, `power_on`,
    `server_id` and `volumes` optional but does not say what the service does when they
    are omitted; send them all to be sure of the outcome.

    Typical errors: 400 `CSBS.9001` for an invalid field, 400 `CSBS.4000` when the
    backup's status does not allow a restore, 400 `CSBS.6015` when the server is already
    being restored, 400 `CSBS.6017` when a `backup_id` is not part of the backup, and
    404 `CSBS.3001` when the backup does not exist.

    Args:
        project_id (str):
        body (CreateRestoreRequest): Body of a create-restore call.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateRestoreResult | ErrorResponse
    """

    return (
        await asyncio_detailed(
            project_id=project_id,
            client=client,
            body=body,
        )
    ).parsed
