"""Create the document's restore with the generated client (the example in generated/README.md).

Against a local stub (`make serve`): python tests/client/usage_example.py
"""

from __future__ import annotations

import os
from uuid import UUID

from csbs_restore_client import AuthenticatedClient
from csbs_restore_client.api.restores import create_restore
from csbs_restore_client.models import (
    CreateRestoreRequest,
    CreateRestoreResult,
    ErrorResponse,
    RestoreParameters,
    RestoreRequest,
    RestoreTargets,
    VolumeMapping,
)

# The only backup provider the service accepts (the contract's ProviderId pattern admits just this).
CSBS_PROVIDER = UUID("fc4d5750-22e7-4798-8a46-f48f62c4c1da")


def restore_server(base_url: str, token: str, project_id: str) -> CreateRestoreResult | ErrorResponse:
    """Restore server f45c477a-... and its volume from their backup; return the restore or the error."""
    # The service reads a bare IAM token from X-Auth-Token (not "Authorization: Bearer ...").
    client = AuthenticatedClient(
        base_url=base_url,
        token=token,
        auth_header_name="X-Auth-Token",
        prefix="",
        raise_on_unexpected_status=True,
    )
    body = CreateRestoreRequest(
        restore=RestoreRequest(
            provider_id=CSBS_PROVIDER,
            checkpoint_id=UUID("a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"),
            parameters=RestoreParameters(
                checkpoint_item_id=UUID("504b7d59-c361-411f-9ed3-814f35d08e3d"),
                power_on=True,
                targets=RestoreTargets(
                    server_id=UUID("f45c477a-57e5-465f-999f-d845083962db"),
                    volumes=[
                        VolumeMapping(
                            backup_id=UUID("bc118c24-3234-4afd-8423-d66d3d677649"),
                            volume_id=UUID("ee27f809-6fb5-40ae-ac46-c932bb4ee8fe"),
                        )
                    ],
                ),
            ),
        )
    )
    with client:
        answer = create_restore.sync(project_id=project_id, client=client, body=body)
    if answer is None:  # an undocumented status; raise_on_unexpected_status already raised for it
        raise RuntimeError("the service answered with an undocumented status")
    return answer


def main() -> None:
    answer = restore_server(
        base_url=os.environ.get("CSBS_URL", "http://127.0.0.1:8080"),
        token=os.environ.get("CSBS_TOKEN", "csbs-demo-token"),
        project_id=os.environ.get("CSBS_PROJECT_ID", "b942cc8342734d15bcb246babb1953cf"),
    )
    if isinstance(answer, ErrorResponse):
        print(f"refused: {answer.error_code} {answer.error_msg}")
    else:
        print(f"restore {answer.restore.id} is {answer.restore.status}")


if __name__ == "__main__":
    main()
