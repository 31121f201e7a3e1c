from enum import StrEnum


class ProviderId(StrEnum):
    CSBS = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"

    def __str__(self) -> str:
        return str(self.value)
