"""What the portability suite needs to judge a generator's console output."""

from __future__ import annotations

import re
from collections.abc import Iterable

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def unexpected_lines(output: str, allowed: Iterable[re.Pattern[str]]) -> list[str]:
    """The lines of a generator's output (colours removed) that match none of the `allowed`
    patterns, blank lines aside: a warning, a notice or an error the suite did not expect."""
    patterns = list(allowed)
    found: list[str] = []
    for raw in ANSI_ESCAPE.sub("", output).splitlines():
        line = raw.strip()
        if line and not any(pattern.fullmatch(line) for pattern in patterns):
            found.append(line)
    return found
