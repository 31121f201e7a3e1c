"""Deprecation, sunset dates (`x-sunset`) and stability levels (`x-stability-level`).

The same reading of these extensions serves operations, parameters and properties; the rules
that use it live with their subject (paths.py, parameters.py, schemas.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .context import Options

SUNSET = "x-sunset"
STABILITY = "x-stability-level"
STABILITIES = ("draft", "alpha", "beta", "stable")


class BadValue(ValueError):
    """An extension whose value cannot be read; the message says why."""


def sunset_of(node: Mapping[str, Any]) -> datetime.date | None:
    """The `x-sunset` date (RFC 3339 date or date-time), None when absent; BadValue when unreadable."""
    value = node.get(SUNSET)
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            try:
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
            except ValueError:
                pass
    raise BadValue(f"sunset date {value!r} is not an RFC 3339 date")


def stability_of(node: Mapping[str, Any]) -> str | None:
    """The `x-stability-level`, None when absent; BadValue when not one of the four levels."""
    value = node.get(STABILITY)
    if value is None:
        return None
    if value not in STABILITIES:
        raise BadValue(f"x-stability-level {value!r} is not one of {', '.join(STABILITIES)}")
    return str(value)


def rank(stability: str | None) -> int:
    """Order of stability levels; an element without one counts as stable."""
    return STABILITIES.index(stability or "stable")


def deprecation_days(options: Options, stability: str | None) -> int:
    if stability in ("draft", "alpha"):
        return 0
    if stability == "beta":
        return options.deprecation_days_beta
    return options.deprecation_days_stable


@dataclass(frozen=True)
class Deprecation:
    """How an element became deprecated, as one rule suffix and its detail."""

    suffix: str  # deprecated, deprecated-with-sunset, deprecated-sunset-missing, ...
    detail: str


def judge_deprecation(node: Mapping[str, Any], options: Options) -> Deprecation:
    """The suffix for an element that just became deprecated (oasdiff's order of tests)."""
    try:
        stability = stability_of(node)
    except BadValue:
        stability = None
    days = deprecation_days(options, stability)
    try:
        sunset = sunset_of(node)
    except BadValue as error:
        return Deprecation("sunset-parse", str(error))
    if sunset is None:
        if days > 0:
            return Deprecation(
                "sunset-missing", f"the policy asks for a sunset date at least {days} days ahead"
            )
        return Deprecation("deprecated", "")
    if (sunset - options.today).days < days:
        return Deprecation("sunset-too-small", f"sunset {sunset} is less than {days} days ahead")
    return Deprecation("with-sunset", f"sunset {sunset}")


def judge_removal(node: Mapping[str, Any], options: Options) -> tuple[str, str]:
    """For a removed element: ("without"/"with"/"before-sunset"/"sunset-parse", detail). oasdiff
    says nothing when a deprecated element goes after its sunset date; this kit still reports
    the removal (as "with" deprecation, INFO), so the changelog shows it."""
    if node.get("deprecated") is not True:
        return ("without", "")
    try:
        sunset = sunset_of(node)
    except BadValue as error:
        return ("sunset-parse", str(error))
    if sunset is None:
        return ("with", "")
    if options.today < sunset:
        return ("before-sunset", f"its sunset date is {sunset}")
    return ("with", f"its sunset date {sunset} has passed")
