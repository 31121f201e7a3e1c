"""Prism-style simulation controls of the contract: the `Prefer` request header.

- `Prefer: code=<status>` answers the documented example of that status (its first example);
- `Prefer: example=<name>` answers the example of that name (with `code`, only among that status);
- `Prefer: delay=<ms>` waits before answering (at most `Settings.max_prefer_delay_ms`).

Several preferences go in one header separated by commas or semicolons, or in several `Prefer`
headers. Preferences the stub does not know (RFC 7240 ones such as `return=minimal`) are ignored.
An undocumented status, an unknown example name or a bad value is a 400 `CSBS.9001`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .answers import json_bytes
from .errors import invalid_parameter
from .openapi import Document, inlined


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    delay_ms: int = 0

    @property
    def wants_example(self) -> bool:
        return self.code is not None or self.example is not None


NO_PREFERENCES = Preferences()


def parse_prefer(values: list[str], max_delay_ms: int) -> Preferences:
    """Read the stub's preferences from the `Prefer` header values."""
    if not values:
        return NO_PREFERENCES
    code: int | None = None
    example: str | None = None
    delay_ms = 0
    for value in values:
        for item in value.replace(";", ",").split(","):
            name, separator, raw = item.strip().partition("=")
            name = name.strip().lower()
            raw = raw.strip().strip('"')
            if name not in ("code", "example", "delay"):
                continue
            if not separator or not raw:
                raise invalid_parameter(f"Prefer {name} needs a value, e.g. {name}=...")
            if name == "code":
                if not raw.isdigit() or not 100 <= int(raw) <= 599:
                    raise invalid_parameter(f"Prefer code must be an HTTP status (100-599), got {raw!r}.")
                code = int(raw)
            elif name == "example":
                example = raw
            else:
                if not raw.isdigit() or int(raw) > max_delay_ms:
                    raise invalid_parameter(
                        f"Prefer delay must be a whole number of milliseconds from 0 to {max_delay_ms},"
                        f" got {raw!r}."
                    )
                delay_ms = int(raw)
    return Preferences(code=code, example=example, delay_ms=delay_ms)


class ExampleCatalog:
    """The documented examples of one operation's responses, by status and name.

    Each example is serialised once, when the catalog is built, the way every answer is
    (`server/answers.py`); `pick` hands out those bytes, so no request copies or re-encodes an
    example. `values()` lists them for the check, at start, that each matches its schema.
    """

    def __init__(self, by_status: dict[int, dict[str, Any]]) -> None:
        self.by_status = by_status
        self._serialised: dict[int, dict[str, bytes]] = {
            status: {name: json_bytes(value) for name, value in examples.items()}
            for status, examples in by_status.items()
        }

    @classmethod
    def from_document(cls, document: dict[str, Any], path: str, method: str) -> ExampleCatalog:
        model = Document(document)
        operation = document["paths"][path][method]
        by_status: dict[int, dict[str, Any]] = {}
        for status, response in operation.get("responses", {}).items():
            if not str(status).isdigit():
                continue
            resolved = inlined(model, response)
            media = resolved.get("content", {}).get("application/json", {})
            examples: dict[str, Any] = {}
            for name, example in media.get("examples", {}).items():
                examples[name] = example.get("value")
            if not examples and "example" in media:
                examples["default"] = media["example"]
            by_status[int(status)] = examples
        return cls(by_status)

    def values(self) -> list[tuple[int, str, Any]]:
        """(status, name, value) of every example."""
        return [
            (status, name, value)
            for status, examples in self.by_status.items()
            for name, value in examples.items()
        ]

    def pick(self, preferences: Preferences) -> tuple[int, bytes]:
        """(status, JSON body) of the preferred example; raises a 400 StubError when there is none."""
        code, name = preferences.code, preferences.example
        if code is not None:
            examples = self.by_status.get(code)
            if examples is None:
                documented = ", ".join(str(s) for s in sorted(self.by_status))
                raise invalid_parameter(
                    f"Prefer code={code} is not a documented status; documented: {documented}."
                )
            if not examples:
                raise invalid_parameter(f"Prefer code={code}: the contract documents no example for it.")
            if name is None:
                return code, next(iter(self._serialised[code].values()))
            if name not in examples:
                raise invalid_parameter(
                    f"Prefer example={name} is not an example of status {code}; known: {', '.join(examples)}."
                )
            return code, self._serialised[code][name]
        for status, examples in sorted(self.by_status.items()):
            if name in examples:
                return status, self._serialised[status][name]
        known = sorted({n for examples in self.by_status.values() for n in examples})
        raise invalid_parameter(
            f"Prefer example={name} is not a documented example; known: {', '.join(known)}."
        )
