from enum import StrEnum


class ResourceStatus(StrEnum):
    AVAILABLE = "available"
    ERROR = "error"
    RESTORING = "restoring"

    def __str__(self) -> str:
        return str(self.value)
