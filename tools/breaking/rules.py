"""The rule catalogue: every change the comparer can report, with a stable id and a level.

Ids follow oasdiff's checks (`oasdiff checks changelog`) wherever oasdiff has one; the few
that oasdiff lacks are marked "own" below. Levels follow oasdiff too, except where issue 6
of this kit asks otherwise (marked "oasdiff: ..."): tightening a request constraint and
loosening a response constraint are WARN here (oasdiff says ERR for most of them), and a
changed operationId or renamed path parameter is ERR because it renames the generated
client's function or argument.

Request and response schemas are walked with opposite rules: a request change that accepts
fewer payloads (narrows) breaks clients, and so does a response change that can produce more
payloads (widens). The schema families below are therefore listed once per subject.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    """How bad a change is for existing clients; ordered so that `>=` means "at least as bad"."""

    INFO = 1  # additions and other changes that keep every existing client working
    WARN = 2  # may break some clients
    ERR = 3  # breaks clients


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    description: str


@dataclass(frozen=True)
class Change:
    """One reported change. `location` and `operation` are what an ignore entry matches on."""

    rule_id: str
    level: Level
    operation: str  # "POST /v1/{project_id}/restores"
    operation_id: str | None
    location: str  # "" for the operation itself, else e.g. "request body restore.parameters.power_on"
    message: str
    pointer: str | None = None  # JSON pointer of the changed node in the new spec, when it exists
    line: int | None = None  # line of that node (or of its operation) in the new spec's file
    ignored_reason: str | None = None

    @property
    def ignored(self) -> bool:
        return self.ignored_reason is not None


ERR, WARN, INFO = Level.ERR, Level.WARN, Level.INFO

_FIXED_RULES: list[Rule] = [
    # Operations and paths.
    Rule("endpoint-added", INFO, "an operation was added"),
    Rule("api-path-removed-without-deprecation", ERR, "a path was removed without being deprecated first"),
    Rule("api-path-removed-with-deprecation", INFO, "a path was removed after being deprecated"),
    Rule("api-removed-without-deprecation", ERR, "an operation was removed without being deprecated first"),
    Rule("api-removed-with-deprecation", INFO, "an operation was removed after being deprecated"),
    Rule("endpoint-deprecated", INFO, "an operation was deprecated"),
    Rule("endpoint-reactivated", INFO, "an operation is no longer deprecated"),
    # oasdiff: INFO. Here ERR: generated clients name their function after the operationId.
    Rule(
        "api-operation-id-removed", ERR, "the operationId was removed or changed (renames client functions)"
    ),
    Rule("api-operation-id-added", INFO, "an operationId was added"),
    # own: oasdiff reports a rename as removal plus addition.
    Rule(
        "request-path-parameter-renamed",
        ERR,
        "a path parameter was renamed (same URL, but client arguments are renamed)",
    ),
    # Parameters.
    Rule("new-required-request-parameter", ERR, "a required parameter was added"),
    Rule("new-optional-request-parameter", INFO, "an optional parameter was added"),
    Rule("request-parameter-removed", WARN, "a parameter was removed"),
    Rule("request-parameter-became-required", ERR, "a parameter became required"),
    Rule("request-parameter-became-optional", INFO, "a parameter became optional"),
    # Request body.
    Rule("request-body-added-required", ERR, "a required request body was added"),
    Rule("request-body-added-optional", INFO, "an optional request body was added"),
    Rule("request-body-removed", ERR, "the request body was removed"),
    Rule("request-body-became-required", ERR, "the request body became required"),
    Rule("request-body-became-optional", INFO, "the request body became optional"),
    Rule("request-body-media-type-removed", ERR, "a request media type was removed"),
    Rule("request-body-media-type-added", INFO, "a request media type was added"),
    # Request properties.
    Rule("new-required-request-property", ERR, "a required request property was added"),
    Rule("new-optional-request-property", INFO, "an optional request property was added"),
    Rule("request-property-removed", WARN, "a request property was removed"),
    # own: the object rejects unknown fields, so a client still sending the property gets a 400.
    Rule(
        "request-property-removed-and-rejected",
        ERR,
        "a request property was removed from an object that rejects unknown fields",
    ),
    Rule("request-property-became-required", ERR, "a request property became required"),
    Rule("request-property-became-optional", INFO, "a request property became optional"),
    # own: unknown fields in a request object are newly rejected (additionalProperties: false).
    Rule(
        "request-body-additional-properties-disallowed",
        ERR,
        "a request object newly rejects unknown fields",
    ),
    Rule("request-body-additional-properties-allowed", INFO, "a request object newly accepts unknown fields"),
    # Responses.
    Rule("response-success-status-removed", ERR, "a success (2xx) response status was removed"),
    Rule("response-success-status-added", INFO, "a success (2xx) response status was added"),
    # oasdiff: INFO. Clients that handle a documented error status may rely on it.
    Rule("response-non-success-status-removed", WARN, "an error response status was removed"),
    Rule("response-non-success-status-added", INFO, "an error response status was added"),
    Rule("response-media-type-removed", ERR, "a response media type was removed"),
    Rule("response-media-type-added", INFO, "a response media type was added"),
    Rule("required-response-header-removed", ERR, "a required response header was removed"),
    Rule("optional-response-header-removed", WARN, "an optional response header was removed"),
    Rule("response-header-added", INFO, "a response header was added"),
    # Response properties.
    Rule("response-required-property-removed", ERR, "a required response property was removed"),
    # oasdiff: INFO. Issue 6: clients may read an optional property.
    Rule("response-optional-property-removed", WARN, "an optional response property was removed"),
    Rule("response-required-property-added", INFO, "a required response property was added"),
    Rule("response-optional-property-added", INFO, "an optional response property was added"),
    Rule("response-property-became-optional", ERR, "a response property is no longer required"),
    Rule("response-property-became-required", INFO, "a response property became required"),
]

REQUEST_SUBJECTS = ("request-property", "request-parameter")
RESPONSE_SUBJECT = "response-property"
SUBJECT_WORDS = {
    "request-property": "request property",
    "request-parameter": "request parameter",
    "response-property": "response property",
}

# Numeric and size bounds: (keyword in the schema, name in the rule id, is an upper bound).
BOUNDS: tuple[tuple[str, str, bool], ...] = (
    ("maxLength", "max-length", True),
    ("minLength", "min-length", False),
    ("maximum", "max", True),
    ("minimum", "min", False),
    ("maxItems", "max-items", True),
    ("minItems", "min-items", False),
)
# minLength and minItems default to 0, so setting or removing them is just an increase or
# decrease; the other bounds can be absent, which gets its own "-set" / "-unset" rule.
BOUNDS_WITH_ZERO_DEFAULT = frozenset({"minLength", "minItems"})


def _schema_rules() -> list[Rule]:
    """The schema families, once per subject, with the level flipped between request and response."""
    rules: list[Rule] = []
    for subject in (*REQUEST_SUBJECTS, RESPONSE_SUBJECT):
        request = subject != RESPONSE_SUBJECT
        word = SUBJECT_WORDS[subject]
        narrows = WARN if request else INFO  # a constraint that accepts/produces fewer values
        widens = INFO if request else WARN

        def add(suffix: str, level: Level, what: str, word: str = word, subject: str = subject) -> None:
            rules.append(Rule(f"{subject}-{suffix}", level, f"{word}: {what}"))

        add("type-changed", ERR, "type or format changed")
        add("type-generalized", INFO if request else ERR, "type or format widened (e.g. integer to number)")
        if not request:
            add("type-specialized", INFO, "type or format narrowed (e.g. number to integer)")
        add("became-nullable", INFO if request else ERR, "null became allowed")
        add("became-not-nullable", ERR if request else INFO, "null is no longer allowed")
        add("became-enum", ERR if request else INFO, "restricted to a list of values")
        add("became-not-enum", INFO if request else WARN, "no longer restricted to a list of values")
        add("enum-value-added", INFO if request else WARN, "enum value added")
        add("enum-value-removed", ERR if request else INFO, "enum value removed")
        add("pattern-added", narrows, "pattern added")
        add("pattern-changed", WARN, "pattern changed")
        add("pattern-removed", widens, "pattern removed")
        for keyword, name, upper in BOUNDS:
            tighter, looser = ("decreased", "increased") if upper else ("increased", "decreased")
            add(f"{name}-{tighter}", narrows, f"{keyword} {tighter}")
            add(f"{name}-{looser}", widens, f"{keyword} {looser}")
            if keyword not in BOUNDS_WITH_ZERO_DEFAULT:
                # A request gets "-set" (a new bound narrows); a response gets "-unset" (a
                # dropped bound widens). The other direction is folded into tighter/looser.
                if request:
                    add(f"{name}-set", narrows, f"{keyword} set where there was none")
                else:
                    add(f"{name}-unset", widens, f"{keyword} removed")
    return rules


RULES: dict[str, Rule] = {rule.id: rule for rule in (*_FIXED_RULES, *_schema_rules())}


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError here is a bug in the comparer, not bad input."""
    return RULES[rule_id]
