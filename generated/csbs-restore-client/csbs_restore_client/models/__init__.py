"""Contains all the data models used in inputs/outputs"""

from .create_restore_request import CreateRestoreRequest
from .create_restore_result import CreateRestoreResult
from .error_response import ErrorResponse
from .resource_reason_map import ResourceReasonMap
from .resource_status_map import ResourceStatusMap
from .restore import Restore
from .restore_parameters import RestoreParameters
from .restore_parameters_result import RestoreParametersResult
from .restore_request import RestoreRequest
from .restore_targets import RestoreTargets
from .restored_targets import RestoredTargets
from .restored_volume_mapping import RestoredVolumeMapping
from .volume_mapping import VolumeMapping

__all__ = (
    "CreateRestoreRequest",
    "CreateRestoreResult",
    "ErrorResponse",
    "ResourceReasonMap",
    "ResourceStatusMap",
    "Restore",
    "RestoredTargets",
    "RestoredVolumeMapping",
    "RestoreParameters",
    "RestoreParametersResult",
    "RestoreRequest",
    "RestoreTargets",
    "VolumeMapping",
)
