from enum import StrEnum


class RestoreStatus(StrEnum):
    FAIL = "fail"
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"

    def __str__(self) -> str:
        return str(self.value)
