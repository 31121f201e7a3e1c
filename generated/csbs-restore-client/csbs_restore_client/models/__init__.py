"""Contains all the data models used in inputs/outputs"""

from .create_restore_request import CreateRestoreRequest
from .create_restore_response import CreateRestoreResponse
from .error_response import ErrorResponse
from .provider_id import ProviderId
from .resource_reason_map import ResourceReasonMap
from .resource_status import ResourceStatus
from .resource_status_map import ResourceStatusMap
from .restore import Restore
from .restore_parameters import RestoreParameters
from .restore_parameters_result import RestoreParametersResult
from .restore_request import RestoreRequest
from .restore_status import RestoreStatus
from .restore_targets import RestoreTargets
from .restored_targets import RestoredTargets
from .volume_mapping import VolumeMapping

__all__ = (
    "CreateRestoreRequest",
    "CreateRestoreResponse",
    "ErrorResponse",
    "ProviderId",
    "ResourceReasonMap",
    "ResourceStatus",
    "ResourceStatusMap",
    "Restore",
    "RestoredTargets",
    "RestoreParameters",
    "RestoreParametersResult",
    "RestoreRequest",
    "RestoreStatus",
    "RestoreTargets",
    "VolumeMapping",
)
