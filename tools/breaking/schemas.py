"""One schema diff for every place a schema sits, with the direction as a flag.

`compare_schema` walks two schemas in step (properties, items, additionalProperties, the
branches of oneOf/anyOf/allOf) and runs every registered check on each pair of nodes. A check
names the change by a suffix (`max-length-decreased`); the pair turns it into the rule id of its
subject (`request-body-`, `request-property-`, `response-header-`...), taking the first id the
catalogue has, so the same check serves requests and responses, roots and nested properties.
The level comes from the catalogue: the request and response rules of a suffix are opposite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.openapi import child

from . import lifecycle
from .context import Context
from .rules import RULES
from .schema import Schema, Sub, branch_key, branch_label, is_annotation_only, normalize

MAX_SCHEMA_DEPTH = 64  # a spec this deep is broken; stop rather than recurse forever
EXTENSIBLE_ENUM = "x-extensible-enum"


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def dotted(path: tuple[str, ...]) -> str:
    text = ""
    for part in path:
        text += part if part == "[]" else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Where:
    """Where a schema sits (request body, a parameter, a response, a header) and how to name it."""

    request: bool
    kind: str  # "body", "parameter", "response" or "header"
    location: str  # "request body", "query parameter size", "response 200", "response 200 header X"
    root_phrase: str  # "the request body"
    part_phrase: str  # "request property" -> "request property `a.b`"
    part_suffix: str = ""  # " of the 200 response"
    strongly_typed: bool = True  # JSON; False where values travel as text (parameters, headers, text/*)
    header_parameter: bool = False

    def location_of(self, path: tuple[str, ...]) -> str:
        return f"{self.location} {dotted(path)}" if path else self.location

    def phrase_of(self, path: tuple[str, ...]) -> str:
        return f"{self.part_phrase} `{dotted(path)}`{self.part_suffix}" if path else self.root_phrase

    def subjects(self, path: tuple[str, ...], hidden: bool) -> tuple[str, ...]:
        """Rule id prefixes for a node at `path`, most specific first."""
        if hidden and path:
            return ("request-read-only-property",) if self.request else ("response-write-only-property",)
        if self.kind == "body":
            return ("request-body", "request-property") if not path else ("request-property",)
        if self.kind == "parameter":
            if all(part == "[]" for part in path):
                return ("request-parameter",)
            if self.header_parameter:
                return ("request-header-property", "request-parameter-property", "request-property")
            return ("request-parameter-property", "request-property")
        if self.kind == "header":
            return ("response-header", "response-property") if not path else ("response-property",)
        return (
            ("response-body", "response-mediatype", "response-property")
            if not path
            else ("response-property",)
        )


@dataclass
class Pair:
    """The old and new node being compared, with how to report a change on it."""

    context: Context
    old: Schema
    new: Schema
    where: Where
    path: tuple[str, ...]
    hidden: bool  # read-only in a request, write-only in a response

    @property
    def phrase(self) -> str:
        return self.where.phrase_of(self.path)

    @property
    def location(self) -> str:
        return self.where.location_of(self.path)

    def rule_for(self, *suffixes: str) -> str | None:
        subjects = self.where.subjects(self.path, self.hidden)
        for suffix in suffixes:
            for subject in subjects:
                if f"{subject}-{suffix}" in RULES:
                    return f"{subject}-{suffix}"
        return None

    def emit(self, suffixes: str | tuple[str, ...], message: str, keyword: str | None = None) -> None:
        rule_id = self.rule_for(*((suffixes,) if isinstance(suffixes, str) else suffixes))
        if rule_id is None:
            return  # oasdiff does not report this change for this subject (e.g. a read-only property)
        new = child(self.new.location, keyword) if keyword and keyword in self.new.keywords else None
        old = child(self.old.location, keyword) if keyword and keyword in self.old.keywords else None
        self.context.emit(rule_id, self.location, message, new or self.new.location, old or self.old.location)


Check = Callable[[Pair], None]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    """Register a check that runs on every pair of schema nodes."""
    CHECKS.append(function)
    return function


def compare_schema(context: Context, old_sub: Sub, new_sub: Sub, where: Where) -> None:
    _walk(context, old_sub, new_sub, where, (), frozenset(), False)


def _walk(
    context: Context,
    old_sub: Sub,
    new_sub: Sub,
    where: Where,
    path: tuple[str, ...],
    seen: frozenset[tuple[str, str]],
    hidden: bool,
) -> None:
    old = normalize(context.old.doc, *old_sub)
    new = normalize(context.new.doc, *new_sub)
    key = (old.location, new.location)
    if key in seen or len(path) > MAX_SCHEMA_DEPTH:
        return  # a recursive schema: this pair is already being compared further up
    seen = seen | {key}
    pair = Pair(context, old, new, where, path, hidden)
    if not _compare_type(pair):
        return  # unrelated types: constraint and property changes would only be noise
    for function in CHECKS:
        function(pair)
    wrapped = _compare_branches(pair, seen)
    if old.is_object or new.is_object:
        _compare_properties(pair, seen, wrapped)
    if old.items is not None and new.items is not None:
        _walk(context, old.items, new.items, where, (*path, "[]"), seen, hidden)
    if isinstance(old.additional, tuple) and isinstance(new.additional, tuple):
        _walk(context, old.additional, new.additional, where, (*path, "*"), seen, hidden)


# -- type and format ----------------------------------------------------------------------------
def _compare_type(pair: Pair) -> bool:
    """Report a type or format change; False when the types are unrelated."""
    old, new, where = pair.old, pair.new, pair.where
    old_type, new_type = old.type, new.type
    if old_type != new_type:
        widened = new_type is None or (old_type, new_type) == ("integer", "number")
        narrowed = old_type is None or (old_type, new_type) == ("number", "integer")
        scalar = {old_type, new_type} <= {"string", "integer", "number", "boolean"}
        # Where values travel as text, any scalar can be read as a string: a request that now
        # takes a string, or a response that was a string, still works.
        loose = not where.strongly_typed and scalar and (new_type if where.request else old_type) == "string"
        suffixes: tuple[str, ...]
        if widened:
            suffixes = ("type-generalized",)
        elif narrowed:
            # A narrower request type refuses values (type-changed, ERR) unless the subject
            # has its own "specialized" rule (oasdiff: a property of a parameter).
            suffixes = ("type-specialized",) if not where.request else ("type-specialized", "type-changed")
        elif loose:
            suffixes = ("type-compatible", "type-generalized" if where.request else "type-specialized")
        else:
            suffixes = ("type-changed",)
        pair.emit(
            suffixes,
            f"the type of {pair.phrase} changed from `{old_type or 'any'}` to `{new_type or 'any'}`",
            "type",
        )
        return widened or narrowed or loose
    old_format, new_format = old.keywords.get("format"), new.keywords.get("format")
    if old_format != new_format:
        if new_format is None:
            suffix = "type-generalized"
        elif old_format is None and not where.request:
            suffix = "type-specialized"
        else:
            suffix = "type-changed"
        pair.emit(
            suffix,
            f"the format of {pair.phrase} changed from `{old_format or 'none'}` to `{new_format or 'none'}`",
            "format",
        )
    return True


# -- values ---------------------------------------------------------------------------------------
@check
def _nullable(pair: Pair) -> None:
    was, now = pair.old.flag("nullable"), pair.new.flag("nullable")
    if now and not was:
        pair.emit("became-nullable", f"{pair.phrase} became nullable", "nullable")
    elif was and not now:
        pair.emit("became-not-nullable", f"{pair.phrase} is no longer nullable")


def _values(schema: Schema, keyword: str) -> list[Any] | None:
    value = schema.keywords.get(keyword)
    return value if isinstance(value, list) else None


@check
def _enum(pair: Pair) -> None:
    old_enum, new_enum = _values(pair.old, "enum"), _values(pair.new, "enum")
    old_open, new_open = _values(pair.old, EXTENSIBLE_ENUM), _values(pair.new, EXTENSIBLE_ENUM)
    phrase = pair.phrase
    if old_enum is not None and new_enum is None and new_open is not None:
        pair.emit(
            "enum-became-extensible",
            f"{phrase} changed from a closed enum to an open list (x-extensible-enum: "
            f"{', '.join(show(value) for value in new_open)}); other values may now occur",
            EXTENSIBLE_ENUM,
        )
        return
    if old_open is not None and old_enum is None and new_enum is not None:
        pair.emit(
            "extensible-enum-became-closed", f"{phrase} changed from an open list to a closed enum", "enum"
        )
        return
    if old_open is not None and new_open is not None:
        for value in old_open:
            if value not in new_open:
                pair.emit(
                    "x-extensible-enum-value-removed",
                    f"removed the value {show(value)} from the open list (x-extensible-enum) of {phrase}",
                    EXTENSIBLE_ENUM,
                )
        for value in new_open:
            if value not in old_open:
                pair.emit(
                    "x-extensible-enum-value-added",
                    f"added the value {show(value)} to the open list (x-extensible-enum) of {phrase}; "
                    "clients must already accept values they do not know",
                    EXTENSIBLE_ENUM,
                )
    if old_enum is None and new_enum is not None:
        values = ", ".join(show(value) for value in new_enum)
        pair.emit("became-enum", f"{phrase} was restricted to the values {values}", "enum")
    elif old_enum is not None and new_enum is None:
        pair.emit("became-not-enum", f"{phrase} is no longer restricted to a list of values")
    elif old_enum is not None and new_enum is not None:
        for value in old_enum:
            if value not in new_enum:
                pair.emit(
                    "enum-value-removed", f"removed the value {show(value)} from the enum of {phrase}", "enum"
                )
        for value in new_enum:
            if value not in old_enum:
                pair.emit(
                    "enum-value-added", f"added the value {show(value)} to the enum of {phrase}", "enum"
                )


@check
def _default(pair: Pair) -> None:
    old, new = pair.old.keywords, pair.new.keywords
    if "default" not in old and "default" in new:
        pair.emit("default-value-added", f"{pair.phrase} got the default {show(new['default'])}", "default")
    elif "default" in old and "default" not in new:
        pair.emit("default-value-removed", f"the default {show(old['default'])} of {pair.phrase} was removed")
    elif "default" in old and old["default"] != new["default"]:
        pair.emit(
            "default-value-changed",
            f"the default of {pair.phrase} changed from {show(old['default'])} to {show(new['default'])}",
            "default",
        )


@check
def _pattern(pair: Pair) -> None:
    old, new = pair.old.keywords.get("pattern"), pair.new.keywords.get("pattern")
    if old == new:
        return
    if old is None:
        pair.emit("pattern-added", f"added the pattern `{new}` to {pair.phrase}", "pattern")
    elif new is None:
        pair.emit("pattern-removed", f"removed the pattern `{old}` from {pair.phrase}")
    elif new == ".*":
        pair.emit(
            "pattern-generalized", f"the pattern of {pair.phrase} changed from `{old}` to `.*`", "pattern"
        )
    else:
        pair.emit(
            "pattern-changed", f"the pattern of {pair.phrase} changed from `{old}` to `{new}`", "pattern"
        )


# Numeric and size bounds: (keyword, name in the rule id, is an upper bound, exclusive flag (3.0)).
BOUNDS: tuple[tuple[str, str, bool, str | None], ...] = (
    ("maxLength", "max-length", True, None),
    ("minLength", "min-length", False, None),
    ("maximum", "max", True, "exclusiveMaximum"),
    ("minimum", "min", False, "exclusiveMinimum"),
    ("maxItems", "max-items", True, None),
    ("minItems", "min-items", False, None),
)
# minLength and minItems default to 0: setting or removing them is an increase or decrease.
_ZERO_DEFAULT = frozenset({"minLength"})


@check
def _bounds(pair: Pair) -> None:
    for keyword, name, upper, exclusive in BOUNDS:
        old_value, new_value = pair.old.keywords.get(keyword), pair.new.keywords.get(keyword)
        if keyword in _ZERO_DEFAULT:
            old_value, new_value = old_value or 0, new_value or 0
        old_exclusive = bool(exclusive and pair.old.flag(exclusive))
        new_exclusive = bool(exclusive and pair.new.flag(exclusive))
        if (old_value, old_exclusive) == (new_value, new_exclusive):
            continue
        if old_value is None and new_value is None:
            continue  # only the exclusive flag changed, without a bound: it means nothing
        tighter, looser = ("decreased", "increased") if upper else ("increased", "decreased")
        shown_old = f"{old_value}{' (exclusive)' if old_exclusive else ''}"
        shown_new = f"{new_value}{' (exclusive)' if new_exclusive else ''}"
        phrase = pair.phrase
        if old_value is None:
            named = f"exclusive-{name}" if new_exclusive else name
            pair.emit(
                (f"{named}-set", f"{named}-{tighter}", f"{name}-{tighter}"),
                f"{keyword} of {phrase} was set to {shown_new}",
                keyword,
            )
        elif new_value is None:
            named = f"exclusive-{name}" if old_exclusive else name
            pair.emit(
                (f"{named}-unset", f"{name}-unset", f"{named}-{looser}", f"{name}-{looser}"),
                f"{keyword} {shown_old} of {phrase} was removed",
            )
        elif new_value == old_value:
            flag = exclusive or ""
            if new_exclusive:
                pair.emit(
                    (f"exclusive-{name}-set", f"{name}-{tighter}"),
                    f"{keyword} {new_value} of {phrase} became exclusive ({flag}: true)",
                    flag,
                )
            else:
                pair.emit(
                    (f"exclusive-{name}-{looser}", f"{name}-{looser}"),
                    f"{keyword} {new_value} of {phrase} is no longer exclusive",
                    keyword,
                )
        else:
            word = tighter if (new_value < old_value if upper else new_value > old_value) else looser
            named = f"exclusive-{name}" if new_exclusive else name
            pair.emit(
                (f"{named}-{word}", f"{name}-{word}"),
                f"{keyword} of {phrase} {word} from {shown_old} to {shown_new}",
                keyword,
            )


@check
def _multiple_of(pair: Pair) -> None:
    old, new = pair.old.keywords.get("multipleOf"), pair.new.keywords.get("multipleOf")
    if old == new:
        return
    if old is None:
        pair.emit("multiple-of-set", f"{pair.phrase} must now be a multiple of {new}", "multipleOf")
    elif new is None:
        pair.emit("multiple-of-unset", f"{pair.phrase} need no longer be a multiple of {old}")
    else:
        pair.emit(
            "multiple-of-changed", f"multipleOf of {pair.phrase} changed from {old} to {new}", "multipleOf"
        )


@check
def _unique_items(pair: Pair) -> None:
    was, now = pair.old.flag("uniqueItems"), pair.new.flag("uniqueItems")
    if now and not was:
        pair.emit("unique-items-set", f"the items of {pair.phrase} must now be distinct", "uniqueItems")
    elif was and not now:
        pair.emit("unique-items-unset", f"the items of {pair.phrase} may now repeat")


# -- lifecycle of properties ------------------------------------------------------------------------
@check
def _property_lifecycle(pair: Pair) -> None:
    if not pair.path or pair.path[-1] == "[]":
        return
    old, new = pair.old.keywords, pair.new.keywords
    if new.get("deprecated") is True and old.get("deprecated") is not True:
        judged = lifecycle.judge_deprecation(new, pair.context.options)
        suffix = {
            "deprecated": "deprecated",
            "with-sunset": "deprecated-with-sunset",
            "sunset-missing": "deprecated-sunset-missing",
            "sunset-parse": "deprecated-sunset-invalid",
            "sunset-too-small": "sunset-date-too-small",
        }[judged.suffix]
        detail = f" ({judged.detail})" if judged.detail else ""
        pair.emit(suffix, f"{pair.phrase} was deprecated{detail}", "deprecated")
    elif old.get("deprecated") is True and new.get("deprecated") is not True:
        pair.emit("reactivated", f"{pair.phrase} is no longer deprecated")
    try:
        old_rank = lifecycle.rank(lifecycle.stability_of(old))
        new_rank = lifecycle.rank(lifecycle.stability_of(new))
    except lifecycle.BadValue:
        return
    if old_rank != new_rank and (lifecycle.STABILITY in old or lifecycle.STABILITY in new):
        word = "decreased" if new_rank < old_rank else "increased"
        shown_old, shown_new = old.get(lifecycle.STABILITY, "stable"), new.get(lifecycle.STABILITY, "stable")
        pair.emit(
            f"stability-{word}",
            f"the stability level of {pair.phrase} {word} from {shown_old} to {shown_new}",
            lifecycle.STABILITY,
        )


# -- discriminator ------------------------------------------------------------------------------------
@check
def _discriminator(pair: Pair) -> None:
    old, new = pair.old.keywords.get("discriminator"), pair.new.keywords.get("discriminator")
    if not isinstance(old, dict) and not isinstance(new, dict):
        return
    if not isinstance(old, dict):
        pair.emit("discriminator-added", f"added a discriminator to {pair.phrase}", "discriminator")
        return
    if not isinstance(new, dict):
        pair.emit("discriminator-removed", f"removed the discriminator of {pair.phrase}")
        return
    if old.get("propertyName") != new.get("propertyName"):
        pair.emit(
            "discriminator-property-name-changed",
            f"the discriminator property of {pair.phrase} changed from "
            f"`{old.get('propertyName')}` to `{new.get('propertyName')}`",
            "discriminator",
        )
    old_map, new_map = old.get("mapping") or {}, new.get("mapping") or {}
    added = [key for key in new_map if key not in old_map]
    removed = [key for key in old_map if key not in new_map]
    changed = [key for key in new_map if key in old_map and old_map[key] != new_map[key]]
    if added:
        pair.emit(
            "discriminator-mapping-added",
            f"added {', '.join(map(show, added))} to the discriminator mapping of {pair.phrase}",
            "discriminator",
        )
    if removed:
        pair.emit(
            "discriminator-mapping-deleted",
            f"removed {', '.join(map(show, removed))} from the discriminator mapping of {pair.phrase}",
            "discriminator",
        )
    for key in changed:
        pair.emit(
            "discriminator-mapping-changed",
            f"the discriminator mapping {show(key)} of {pair.phrase} changed from "
            f"`{old_map[key]}` to `{new_map[key]}`",
            "discriminator",
        )


# -- oneOf / anyOf / allOf ----------------------------------------------------------------------------
def _keyed(context: Context, spec_doc: Any, branches: list[Sub]) -> dict[str, Sub]:
    return {branch_key(spec_doc, sub, index): sub for index, sub in enumerate(branches)}


def _compare_branches(pair: Pair, seen: frozenset[tuple[str, str]]) -> bool:
    """Compare the branches of oneOf, anyOf and allOf; True when the body was wrapped into a oneOf."""
    context, old, new = pair.context, pair.old, pair.new
    wrapped = False
    if not old.one_of and new.one_of and old.properties:
        pair.emit(
            "wrapped-in-one-of",
            f"{pair.phrase} was restructured into a oneOf; a payload that was valid may no longer be",
        )
        wrapped = True
    for keyword, suffix, old_list, new_list in (
        ("oneOf", "one-of", old.one_of, new.one_of),
        ("anyOf", "any-of", old.any_of, new.any_of),
        ("allOf", "all-of", old.all_of, new.all_of),
    ):
        if keyword == "allOf" and not (old_list and new_list):
            continue  # allOf is merged: writing a schema as branches (or back) changes nothing by itself
        if wrapped and keyword == "oneOf":
            continue
        old_keyed, new_keyed = (
            _keyed(context, context.old.doc, old_list),
            _keyed(context, context.new.doc, new_list),
        )
        added = [key for key in new_keyed if key not in old_keyed]
        removed = [key for key in old_keyed if key not in new_keyed]
        for keys, word, doc, keyed, side in (
            (added, "added", context.new.doc, new_keyed, "to"),
            (removed, "removed", context.old.doc, old_keyed, "from"),
        ):
            if not keys:
                continue
            plain = [key for key in keys if not (keyword == "allOf" and is_annotation_only(doc, keyed[key]))]
            notes = [key for key in keys if key not in plain]
            for selected, extra in ((plain, ""), (notes, "-annotation-only")):
                if selected:
                    names = ", ".join(branch_label(key) for key in selected)
                    pair.emit(
                        f"{suffix}-{word}{extra}",
                        f"{word} {names} {side} the {keyword} list of {pair.phrase}",
                        keyword,
                    )
        if keyword == "allOf":
            continue  # matched allOf branches are compared through the merged schema
        for key, old_sub in old_keyed.items():
            if key in new_keyed:
                _walk(
                    context,
                    old_sub,
                    new_keyed[key],
                    pair.where,
                    (*pair.path, f"{keyword}[{branch_label(key)}]"),
                    seen,
                    pair.hidden,
                )
    return wrapped


# -- properties -----------------------------------------------------------------------------------------
def _compare_properties(pair: Pair, seen: frozenset[tuple[str, str]], wrapped: bool) -> None:
    context, old, new, where, path = pair.context, pair.old, pair.new, pair.where, pair.path
    hide = "readOnly" if where.request else "writeOnly"
    moved: set[str] = set()
    if wrapped:
        for sub in new.one_of:
            moved |= set(normalize(context.new.doc, *sub).properties)

    for name, sub in old.properties.items():
        if name in new.properties or name in moved:
            continue
        was = normalize(context.old.doc, *sub)
        part = (*path, name)
        location, phrase = where.location_of(part), where.phrase_of(part)
        if where.request:
            if was.flag("readOnly"):
                continue
            rule_id = (
                "request-property-removed-and-rejected"
                if new.additional is False
                else "request-property-removed"
            )
            extra = (
                "; the object rejects unknown fields, so clients that still send it get an error"
                if (new.additional is False)
                else ""
            )
            context.emit(rule_id, location, f"removed the {phrase}{extra}", new.location, sub[1])
        else:
            kind = "required" if name in old.required else "optional"
            write_only = "write-only-" if was.flag("writeOnly") else ""
            context.emit(
                f"response-{kind}-{write_only}property-removed",
                location,
                f"removed the {kind} {phrase}",
                new.location,
                sub[1],
            )

    for name, sub in new.properties.items():
        part = (*path, name)
        location, phrase = where.location_of(part), where.phrase_of(part)
        required, was_required = name in new.required, name in old.required
        now = normalize(context.new.doc, *sub)
        kind = "required" if required else "optional"
        if name not in old.properties:
            if where.request:
                if now.flag("readOnly"):
                    continue
                if required and where.header_parameter:
                    rule_id = "new-required-request-header-property"
                elif required and "default" in now.keywords:
                    rule_id = "new-required-request-property-with-default"
                else:
                    rule_id = f"new-{kind}-request-property"
            else:
                write_only = "write-only-" if now.flag("writeOnly") else ""
                rule_id = f"response-{kind}-{write_only}property-added"
            context.emit(rule_id, location, f"added the {kind} {phrase}", sub[1])
            continue
        old_sub = old.properties[name]
        was = normalize(context.old.doc, *old_sub)
        hidden = pair.hidden or now.flag(hide)
        side = "request" if where.request else "response"
        for flag, words in (("readOnly", "read-only"), ("writeOnly", "write-only")):
            if now.flag(flag) != was.flag(flag):
                state = words if now.flag(flag) else f"not-{words}"
                context.emit(
                    f"{side}-{kind}-property-became-{state}",
                    location,
                    f"{phrase} {'became' if now.flag(flag) else 'is no longer'} {words}",
                    sub[1],
                    old_sub[1],
                )
        nested = Pair(context, was, now, where, part, hidden)
        if where.request and not now.flag("readOnly"):
            if required and not was_required:
                suffix = "became-required-with-default" if "default" in now.keywords else "became-required"
                nested.emit(suffix, f"{phrase} became required", "required")
            elif was_required and not required:
                nested.emit("became-optional", f"{phrase} became optional")
        elif not where.request:
            prefix = "response-write-only-property" if now.flag("writeOnly") else "response-property"
            if was_required and not required:
                context.emit(f"{prefix}-became-optional", location, f"{phrase} is no longer required", sub[1])
            elif required and not was_required:
                context.emit(f"{prefix}-became-required", location, f"{phrase} became required", sub[1])
        _walk(context, old_sub, sub, where, part, seen, hidden)

    location, phrase = where.location_of(path), where.phrase_of(path)
    if where.request and old.additional is not False and new.additional is False:
        context.emit(
            "request-body-additional-properties-disallowed",
            location,
            f"{phrase} no longer accepts unknown fields (additionalProperties: false)",
            child(new.location, "additionalProperties"),
        )
    elif where.request and old.additional is False and new.additional is not False:
        context.emit(
            "request-body-additional-properties-allowed",
            location,
            f"{phrase} now accepts unknown fields",
            new.location,
        )
    elif not where.request and old.additional is False and new.additional is not False:
        context.emit(
            "response-property-additional-properties-allowed",
            location,
            f"{phrase} may now carry fields it does not document; clients that ignore unknown "
            "fields are unaffected",
            new.location,
            old.location,
        )
    elif not where.request and old.additional is not False and new.additional is False:
        context.emit(
            "response-property-additional-properties-disallowed",
            location,
            f"{phrase} no longer carries unknown fields",
            child(new.location, "additionalProperties"),
        )
