"""The rule catalogue: every change the comparer can report, with a stable id and a level.

Ids are oasdiff's (its `checker` package, `oasdiff checks`), so a reviewer or a pipeline that
knows oasdiff reads ours the same way. `_OASDIFF` below is every oasdiff check that applies to
OpenAPI 3.0 documents, with oasdiff's level; each one is implemented here (tests/tools/fixtures/
rules/ holds a before/after pair per rule). `NOT_APPLICABLE` lists every other oasdiff id with
the reason it cannot occur in a 3.0 document. `OWN` are this kit's additions, for changes that
oasdiff does not name. `KIT_LEVELS` are the levels this kit chose differently, each with why.

Request and response schemas are walked with opposite rules: a request change that accepts
fewer payloads (narrows) breaks clients, and so does a response change that can produce more
payloads (widens). Rule ids name their subject: `request-body-*` / `response-body-*` is the
body's own schema, `request-property-*` / `response-property-*` a property inside it,
`request-parameter-*` a parameter, `response-header-*` a response header.
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
    origin: str = "oasdiff"  # "oasdiff" (same id as oasdiff) or "own" (this kit's)


@dataclass(frozen=True)
class Source:
    """Where a change is in one of the two specs, as oasdiff reports it (1-based)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Change:
    """One reported change. `location` and `operation` are what an ignore entry matches on."""

    rule_id: str
    level: Level
    operation: str  # "POST /v1/{project_id}/restores"; "" for a change outside operations
    operation_id: str | None
    location: str  # "" for the operation itself, else e.g. "request body restore.parameters.power_on"
    message: str
    method: str = ""  # "POST"
    path: str = ""  # "/v1/{project_id}/restores"
    section: str = "paths"  # paths, components, security, tags, info (oasdiff's sections)
    pointer: str | None = None  # location (file#pointer) of the changed node in the new spec
    base_source: Source | None = None
    revision_source: Source | None = None
    ignored_reason: str | None = None

    @property
    def ignored(self) -> bool:
        return self.ignored_reason is not None

    @property
    def line(self) -> int | None:
        """The line to annotate in the new spec's file, when the change is in that file."""
        source = self.revision_source
        return source.line if source is not None else None


ERR, WARN, INFO = Level.ERR, Level.WARN, Level.INFO

# Every oasdiff check that applies to OpenAPI 3.0, with oasdiff's level.
_OASDIFF = """
request-property-deprecated INFO
request-property-deprecated-with-sunset INFO
request-property-deprecated-sunset-missing ERR
request-property-deprecated-sunset-invalid ERR
request-property-reactivated INFO
request-property-sunset-date-too-small ERR
response-property-deprecated INFO
response-property-deprecated-with-sunset INFO
response-property-deprecated-sunset-missing ERR
response-property-deprecated-sunset-invalid ERR
response-property-reactivated INFO
response-property-sunset-date-too-small ERR
endpoint-added INFO
api-security-component-removed INFO
api-security-component-added INFO
api-security-component-oauth-url-changed INFO
api-security-component-type-changed INFO
api-security-component-oauth-token-url-changed INFO
api-security-component-oauth-scope-added INFO
api-security-component-oauth-scope-removed INFO
api-security-component-oauth-scope-changed INFO
api-security-removed INFO
api-security-added INFO
api-security-scope-added INFO
api-security-scope-removed INFO
api-global-security-removed INFO
api-global-security-added INFO
api-global-security-scope-added INFO
api-global-security-scope-removed INFO
api-version-not-bumped INFO
api-version-decreased INFO
api-major-version-not-bumped INFO
api-stability-decreased ERR
api-stability-increased INFO
request-property-stability-decreased ERR
request-property-stability-increased INFO
response-property-stability-decreased ERR
response-property-stability-increased INFO
endpoint-reactivated INFO
api-deprecated-sunset-parse ERR
api-deprecated-sunset-missing ERR
api-invalid-stability-level ERR
api-sunset-date-too-small ERR
endpoint-deprecated INFO
endpoint-deprecated-with-sunset INFO
request-parameter-reactivated INFO
request-parameter-deprecated-sunset-missing ERR
request-parameter-sunset-date-too-small ERR
request-parameter-deprecated INFO
api-path-removed-without-deprecation ERR
api-path-removed-with-deprecation INFO
api-path-sunset-parse ERR
api-path-removed-before-sunset ERR
api-removed-without-deprecation ERR
api-removed-with-deprecation INFO
api-removed-before-sunset ERR
sunset-deleted ERR
api-sunset-date-changed-too-small ERR
request-parameter-sunset-deleted ERR
request-parameter-sunset-date-changed-too-small ERR
request-body-added-required ERR
request-body-added-optional INFO
new-required-request-default-parameter-to-existing-path ERR
new-optional-request-default-parameter-to-existing-path INFO
new-required-request-parameter ERR
new-optional-request-parameter INFO
new-request-path-parameter ERR
new-required-request-header-property ERR
request-body-became-enum ERR
request-body-media-type-added INFO
request-body-media-type-removed ERR
request-body-media-type-schema-added ERR
request-body-media-type-schema-removed INFO
response-body-media-type-schema-added INFO
response-body-media-type-schema-removed WARN
request-body-removed ERR
request-body-became-optional INFO
request-body-became-required ERR
request-body-discriminator-added INFO
request-body-discriminator-removed INFO
request-body-discriminator-property-name-changed INFO
request-body-discriminator-mapping-added INFO
request-body-discriminator-mapping-deleted INFO
request-body-discriminator-mapping-changed INFO
request-property-discriminator-added INFO
request-property-discriminator-removed INFO
request-property-discriminator-property-name-changed INFO
request-property-discriminator-mapping-added INFO
request-property-discriminator-mapping-deleted INFO
request-property-discriminator-mapping-changed INFO
request-header-property-became-enum ERR
request-header-property-became-required ERR
request-parameter-became-enum ERR
request-parameter-became-nullable INFO
request-parameter-became-not-nullable ERR
request-parameter-property-became-nullable INFO
request-parameter-property-became-not-nullable ERR
request-parameter-default-value-changed ERR
request-parameter-default-value-added ERR
request-parameter-default-value-removed ERR
request-parameter-enum-value-added INFO
request-parameter-enum-value-removed ERR
request-parameter-property-enum-value-added INFO
request-parameter-property-enum-value-removed ERR
request-parameter-max-items-increased INFO
request-parameter-max-items-decreased ERR
request-parameter-max-length-set WARN
request-parameter-max-length-increased INFO
request-parameter-max-length-decreased ERR
request-parameter-max-set WARN
request-parameter-exclusive-max-set WARN
request-parameter-max-increased INFO
request-parameter-max-decreased ERR
request-parameter-exclusive-max-increased INFO
request-parameter-exclusive-max-decreased ERR
request-parameter-min-items-set WARN
request-parameter-min-items-increased ERR
request-parameter-min-items-decreased INFO
request-parameter-min-length-increased ERR
request-parameter-min-length-decreased INFO
request-parameter-min-set WARN
request-parameter-exclusive-min-set WARN
request-parameter-min-increased ERR
request-parameter-min-decreased INFO
request-parameter-exclusive-min-increased ERR
request-parameter-exclusive-min-decreased INFO
request-parameter-pattern-added ERR
request-parameter-pattern-removed INFO
request-parameter-pattern-changed WARN
request-parameter-pattern-generalized INFO
request-parameter-removed WARN
request-parameter-removed-with-deprecation INFO
request-parameter-sunset-parse ERR
request-parameter-removed-before-sunset ERR
request-parameter-became-required ERR
request-parameter-became-optional INFO
request-parameter-type-changed ERR
request-parameter-type-generalized INFO
request-parameter-property-type-changed WARN
request-parameter-property-type-generalized INFO
request-parameter-property-type-specialized ERR
request-parameter-x-extensible-enum-value-removed ERR
request-body-all-of-added ERR
request-body-all-of-removed WARN
request-property-all-of-added ERR
request-property-all-of-removed WARN
request-body-all-of-added-annotation-only INFO
request-body-all-of-removed-annotation-only INFO
request-property-all-of-added-annotation-only INFO
request-property-all-of-removed-annotation-only INFO
request-body-any-of-added INFO
request-body-any-of-removed ERR
request-property-any-of-added INFO
request-property-any-of-removed ERR
request-property-became-enum ERR
request-body-became-not-nullable ERR
request-body-became-nullable INFO
request-property-became-not-nullable ERR
request-property-became-nullable INFO
request-body-default-value-added INFO
request-body-default-value-removed INFO
request-body-default-value-changed INFO
request-property-default-value-added INFO
request-property-default-value-removed INFO
request-property-default-value-changed INFO
request-property-enum-value-removed ERR
request-read-only-property-enum-value-removed INFO
request-property-enum-value-added INFO
request-body-max-decreased ERR
request-body-max-increased INFO
request-property-max-decreased ERR
request-read-only-property-max-decreased INFO
request-property-max-increased INFO
request-body-exclusive-max-decreased ERR
request-body-exclusive-max-increased INFO
request-property-exclusive-max-decreased ERR
request-read-only-property-exclusive-max-decreased INFO
request-property-exclusive-max-increased INFO
request-body-max-length-set WARN
request-property-max-length-set WARN
request-body-max-length-decreased ERR
request-body-max-length-increased INFO
request-property-max-length-decreased ERR
request-read-only-property-max-length-decreased INFO
request-property-max-length-increased INFO
request-body-max-set WARN
request-property-max-set WARN
request-body-exclusive-max-set WARN
request-property-exclusive-max-set WARN
request-body-min-increased ERR
request-body-min-decreased INFO
request-property-min-increased ERR
request-read-only-property-min-increased INFO
request-property-min-decreased INFO
request-body-exclusive-min-increased ERR
request-body-exclusive-min-decreased INFO
request-property-exclusive-min-increased ERR
request-read-only-property-exclusive-min-increased INFO
request-property-exclusive-min-decreased INFO
request-body-min-items-increased ERR
request-property-min-items-increased ERR
request-body-min-items-set WARN
request-property-min-items-set WARN
request-body-min-length-increased ERR
request-body-min-length-decreased INFO
request-property-min-length-increased ERR
request-property-min-length-decreased INFO
request-body-min-set WARN
request-property-min-set WARN
request-body-exclusive-min-set WARN
request-property-exclusive-min-set WARN
request-body-one-of-added INFO
request-body-one-of-removed ERR
request-property-one-of-added INFO
request-property-one-of-removed ERR
request-property-pattern-removed INFO
request-property-pattern-added ERR
request-property-pattern-changed WARN
request-property-pattern-generalized INFO
request-property-became-required ERR
request-property-became-required-with-default ERR
request-property-became-optional INFO
request-body-type-generalized INFO
request-body-type-compatible INFO
request-body-type-changed ERR
request-property-type-generalized INFO
request-property-type-compatible INFO
request-property-type-changed ERR
request-property-removed WARN
new-required-request-property ERR
new-required-request-property-with-default ERR
new-optional-request-property INFO
request-body-wrapped-in-one-of ERR
request-optional-property-became-not-write-only INFO
request-optional-property-became-write-only INFO
request-optional-property-became-read-only INFO
request-optional-property-became-not-read-only INFO
request-required-property-became-not-write-only INFO
request-required-property-became-write-only INFO
request-required-property-became-read-only INFO
request-required-property-became-not-read-only INFO
request-property-x-extensible-enum-value-removed ERR
response-body-discriminator-added INFO
response-body-discriminator-removed INFO
response-body-discriminator-property-name-changed INFO
response-body-discriminator-mapping-added INFO
response-body-discriminator-mapping-deleted INFO
response-body-discriminator-mapping-changed INFO
response-property-discriminator-added INFO
response-property-discriminator-removed INFO
response-property-discriminator-property-name-changed INFO
response-property-discriminator-mapping-added INFO
response-property-discriminator-mapping-deleted INFO
response-property-discriminator-mapping-changed INFO
response-header-became-optional ERR
required-response-header-removed ERR
optional-response-header-removed WARN
response-header-added INFO
response-header-type-changed ERR
response-header-type-generalized ERR
response-header-type-specialized INFO
response-header-type-compatible INFO
response-header-became-nullable ERR
response-header-became-not-nullable INFO
response-media-type-removed ERR
response-media-type-added INFO
response-media-type-name-changed INFO
response-media-type-name-generalized ERR
response-media-type-name-specialized INFO
response-optional-property-removed WARN
response-optional-write-only-property-removed INFO
response-optional-property-added INFO
response-optional-write-only-property-added INFO
response-optional-property-became-not-write-only INFO
response-optional-property-became-write-only INFO
response-optional-property-became-read-only INFO
response-optional-property-became-not-read-only INFO
response-property-pattern-added INFO
response-property-pattern-changed INFO
response-property-pattern-removed INFO
response-body-all-of-added INFO
response-body-all-of-removed INFO
response-property-all-of-added INFO
response-property-all-of-removed INFO
response-body-all-of-added-annotation-only INFO
response-body-all-of-removed-annotation-only INFO
response-property-all-of-added-annotation-only INFO
response-property-all-of-removed-annotation-only INFO
response-body-any-of-added INFO
response-body-any-of-removed INFO
response-property-any-of-added INFO
response-property-any-of-removed INFO
response-property-became-nullable ERR
response-body-became-nullable ERR
response-property-became-not-nullable INFO
response-body-became-not-nullable INFO
response-property-became-optional ERR
response-write-only-property-became-optional INFO
response-property-became-required INFO
response-write-only-property-became-required INFO
response-body-default-value-added INFO
response-body-default-value-removed INFO
response-body-default-value-changed INFO
response-property-default-value-added INFO
response-property-default-value-removed INFO
response-property-default-value-changed INFO
response-property-enum-value-added WARN
response-write-only-property-enum-value-added INFO
response-body-max-increased ERR
response-property-max-increased ERR
response-body-exclusive-max-increased ERR
response-property-exclusive-max-increased ERR
response-body-max-length-increased ERR
response-property-max-length-increased ERR
response-body-max-length-unset ERR
response-property-max-length-unset ERR
response-body-min-decreased ERR
response-property-min-decreased ERR
response-body-exclusive-min-decreased ERR
response-property-exclusive-min-decreased ERR
response-body-min-items-decreased ERR
response-property-min-items-decreased ERR
response-body-min-items-unset ERR
response-property-min-items-unset ERR
response-body-min-length-decreased ERR
response-property-min-length-decreased ERR
response-body-one-of-added ERR
response-body-one-of-removed INFO
response-property-one-of-added ERR
response-property-one-of-removed INFO
response-body-type-changed ERR
response-body-type-generalized ERR
response-body-type-specialized INFO
response-body-type-compatible INFO
response-property-type-changed ERR
response-property-type-generalized ERR
response-property-type-specialized INFO
response-property-type-compatible INFO
response-required-property-removed ERR
response-required-write-only-property-removed INFO
response-required-property-added INFO
response-required-write-only-property-added INFO
response-body-wrapped-in-one-of ERR
response-required-property-became-not-write-only WARN
response-required-property-became-write-only INFO
response-required-property-became-read-only INFO
response-required-property-became-not-read-only INFO
response-success-status-removed ERR
response-success-status-added INFO
response-non-success-status-removed INFO
response-non-success-status-added INFO
api-operation-id-removed INFO
api-operation-id-added INFO
api-tag-removed INFO
api-tag-added INFO
api-schema-removed INFO
response-property-enum-value-removed INFO
response-mediatype-enum-value-removed INFO
request-body-enum-value-removed ERR
"""

_NOT_APPLICABLE_REASONS = {
    "json-schema-2020": "the keyword (const, if/then/else, contains, dependentRequired, dependentSchemas, "
    "patternProperties, propertyNames, unevaluated*, prefixItems, contentSchema/contentMediaType/"
    "contentEncoding) is JSON Schema 2020-12, which only OpenAPI 3.1 schemas use",
    "type-list": "`type` as a list of types is OpenAPI 3.1 only (3.0 has one type and `nullable`)",
    "webhooks": "`webhooks` is an OpenAPI 3.1 top-level field",
}

# Every other oasdiff id, and why it cannot occur in an OpenAPI 3.0 document.
_NOT_APPLICABLE = """
request-body-const-added json-schema-2020
request-body-const-removed json-schema-2020
request-body-const-changed json-schema-2020
request-property-const-added json-schema-2020
request-property-const-removed json-schema-2020
request-property-const-changed json-schema-2020
response-body-const-added json-schema-2020
response-body-const-removed json-schema-2020
response-body-const-changed json-schema-2020
response-property-const-added json-schema-2020
response-property-const-removed json-schema-2020
response-property-const-changed json-schema-2020
webhook-added webhooks
webhook-removed webhooks
request-body-list-of-types-widened type-list
request-body-list-of-types-narrowed type-list
request-property-list-of-types-widened type-list
request-property-list-of-types-narrowed type-list
response-body-list-of-types-widened type-list
response-body-list-of-types-narrowed type-list
response-property-list-of-types-widened type-list
response-property-list-of-types-narrowed type-list
request-parameter-list-of-types-widened type-list
request-parameter-list-of-types-narrowed type-list
request-parameter-property-list-of-types-widened type-list
request-parameter-property-list-of-types-narrowed type-list
request-body-prefix-items-added json-schema-2020
request-body-prefix-items-removed json-schema-2020
request-property-prefix-items-added json-schema-2020
request-property-prefix-items-removed json-schema-2020
response-body-prefix-items-added json-schema-2020
response-body-prefix-items-removed json-schema-2020
response-property-prefix-items-added json-schema-2020
response-property-prefix-items-removed json-schema-2020
request-body-if-added json-schema-2020
request-body-if-removed json-schema-2020
request-body-then-added json-schema-2020
request-body-then-removed json-schema-2020
request-body-else-added json-schema-2020
request-body-else-removed json-schema-2020
request-property-if-added json-schema-2020
request-property-if-removed json-schema-2020
request-property-then-added json-schema-2020
request-property-then-removed json-schema-2020
request-property-else-added json-schema-2020
request-property-else-removed json-schema-2020
response-body-if-added json-schema-2020
response-body-if-removed json-schema-2020
response-body-then-added json-schema-2020
response-body-then-removed json-schema-2020
response-body-else-added json-schema-2020
response-body-else-removed json-schema-2020
response-property-if-added json-schema-2020
response-property-if-removed json-schema-2020
response-property-then-added json-schema-2020
response-property-then-removed json-schema-2020
response-property-else-added json-schema-2020
response-property-else-removed json-schema-2020
request-body-contains-added json-schema-2020
request-body-contains-removed json-schema-2020
request-body-min-contains-increased json-schema-2020
request-body-min-contains-decreased json-schema-2020
request-body-max-contains-increased json-schema-2020
request-body-max-contains-decreased json-schema-2020
request-property-contains-added json-schema-2020
request-property-contains-removed json-schema-2020
request-property-min-contains-increased json-schema-2020
request-property-min-contains-decreased json-schema-2020
request-property-max-contains-increased json-schema-2020
request-property-max-contains-decreased json-schema-2020
response-body-contains-added json-schema-2020
response-body-contains-removed json-schema-2020
response-body-min-contains-increased json-schema-2020
response-body-min-contains-decreased json-schema-2020
response-body-max-contains-increased json-schema-2020
response-body-max-contains-decreased json-schema-2020
response-property-contains-added json-schema-2020
response-property-contains-removed json-schema-2020
response-property-min-contains-increased json-schema-2020
response-property-min-contains-decreased json-schema-2020
response-property-max-contains-increased json-schema-2020
response-property-max-contains-decreased json-schema-2020
request-body-dependent-required-added json-schema-2020
request-body-dependent-required-removed json-schema-2020
request-body-dependent-required-changed json-schema-2020
request-property-dependent-required-added json-schema-2020
request-property-dependent-required-removed json-schema-2020
request-property-dependent-required-changed json-schema-2020
response-body-dependent-required-added json-schema-2020
response-body-dependent-required-removed json-schema-2020
response-body-dependent-required-changed json-schema-2020
response-property-dependent-required-added json-schema-2020
response-property-dependent-required-removed json-schema-2020
response-property-dependent-required-changed json-schema-2020
request-body-dependent-schema-added json-schema-2020
request-body-dependent-schema-removed json-schema-2020
request-property-dependent-schema-added json-schema-2020
request-property-dependent-schema-removed json-schema-2020
response-body-dependent-schema-added json-schema-2020
response-body-dependent-schema-removed json-schema-2020
response-property-dependent-schema-added json-schema-2020
response-property-dependent-schema-removed json-schema-2020
request-body-pattern-property-added json-schema-2020
request-body-pattern-property-removed json-schema-2020
request-property-pattern-property-added json-schema-2020
request-property-pattern-property-removed json-schema-2020
response-body-pattern-property-added json-schema-2020
response-body-pattern-property-removed json-schema-2020
response-property-pattern-property-added json-schema-2020
response-property-pattern-property-removed json-schema-2020
request-body-property-names-added json-schema-2020
request-body-property-names-removed json-schema-2020
request-property-property-names-added json-schema-2020
request-property-property-names-removed json-schema-2020
response-body-property-names-added json-schema-2020
response-body-property-names-removed json-schema-2020
response-property-property-names-added json-schema-2020
response-property-property-names-removed json-schema-2020
request-body-unevaluated-items-added json-schema-2020
request-body-unevaluated-items-removed json-schema-2020
request-body-unevaluated-properties-added json-schema-2020
request-body-unevaluated-properties-removed json-schema-2020
request-property-unevaluated-items-added json-schema-2020
request-property-unevaluated-items-removed json-schema-2020
request-property-unevaluated-properties-added json-schema-2020
request-property-unevaluated-properties-removed json-schema-2020
response-body-unevaluated-items-added json-schema-2020
response-body-unevaluated-items-removed json-schema-2020
response-body-unevaluated-properties-added json-schema-2020
response-body-unevaluated-properties-removed json-schema-2020
response-property-unevaluated-items-added json-schema-2020
response-property-unevaluated-items-removed json-schema-2020
response-property-unevaluated-properties-added json-schema-2020
response-property-unevaluated-properties-removed json-schema-2020
request-body-content-schema-added json-schema-2020
request-body-content-schema-removed json-schema-2020
request-body-content-media-type-changed json-schema-2020
request-body-content-encoding-changed json-schema-2020
request-property-content-schema-added json-schema-2020
request-property-content-schema-removed json-schema-2020
request-property-content-media-type-changed json-schema-2020
request-property-content-encoding-changed json-schema-2020
response-body-content-schema-added json-schema-2020
response-body-content-schema-removed json-schema-2020
response-body-content-media-type-changed json-schema-2020
response-body-content-encoding-changed json-schema-2020
response-property-content-schema-added json-schema-2020
response-property-content-schema-removed json-schema-2020
response-property-content-media-type-changed json-schema-2020
response-property-content-encoding-changed json-schema-2020
"""
NOT_APPLICABLE: dict[str, str] = {
    line.split()[0]: _NOT_APPLICABLE_REASONS[line.split()[1]] for line in _NOT_APPLICABLE.strip().splitlines()
}

_REQUEST_TIGHTENED = (
    "issue 6 of this kit: a tightened request constraint rejects only values near the old limit, "
    "so it may break some clients (WARN); oasdiff says ERR"
)
_RESPONSE_LOOSENED = (
    "issue 6 of this kit: a loosened response constraint breaks only clients that validate it, "
    "so it may break some clients (WARN); oasdiff says ERR"
)
_CONSTRAINTS = (
    "max",
    "min",
    "max-length",
    "min-length",
    "max-items",
    "min-items",
    "exclusive-max",
    "exclusive-min",
)

# Levels this kit chose differently from oasdiff, and why.
KIT_LEVELS: dict[str, tuple[Level, str]] = {
    "api-operation-id-removed": (ERR, "generated clients name their function after the operationId"),
    "response-non-success-status-removed": (
        WARN,
        "clients that handle a documented error status may rely on it",
    ),
    "response-property-pattern-changed": (
        WARN,
        "a client that validates the old pattern may reject new values",
    ),
    "response-property-pattern-removed": (
        WARN,
        "responses may carry values a client validating the pattern rejects",
    ),
}
_TIGHTER = {
    "max": "decreased",
    "max-length": "decreased",
    "max-items": "decreased",
    "exclusive-max": "decreased",
}
for _subject in ("request-body", "request-property", "request-parameter"):
    for _name in _CONSTRAINTS:
        for _word in (_TIGHTER.get(_name, "increased"), "set"):
            KIT_LEVELS[f"{_subject}-{_name}-{_word}"] = (WARN, _REQUEST_TIGHTENED)
    KIT_LEVELS[f"{_subject}-pattern-added"] = (WARN, _REQUEST_TIGHTENED)
for _subject in ("response-body", "response-property"):
    for _name in _CONSTRAINTS:
        _looser = "increased" if _name in _TIGHTER else "decreased"
        for _word in (_looser, "unset"):
            KIT_LEVELS[f"{_subject}-{_name}-{_word}"] = (WARN, _RESPONSE_LOOSENED)

_EXTENSIBLE = (
    "an `x-extensible-enum` is an open list: the documented values are known, any other is allowed, "
    "so clients must already handle values they do not know"
)

# This kit's own rules: changes oasdiff does not name, with the kit's level and why.
OWN: dict[str, tuple[Level, str]] = {
    "request-path-parameter-renamed": (ERR, "same URL, but the generated client's argument is renamed"),
    "request-property-removed-and-rejected": (
        ERR,
        "a request property was removed from an object that rejects unknown fields, "
        "so clients still sending it get an error",
    ),
    "request-body-additional-properties-disallowed": (ERR, "a request object newly rejects unknown fields"),
    "request-body-additional-properties-allowed": (INFO, "a request object newly accepts unknown fields"),
    "response-property-additional-properties-allowed": (
        WARN,
        "a response object may now carry fields it does not document; tolerant readers (that ignore "
        "unknown fields, as clients of an extensible API must) are unaffected, strict validators break",
    ),
    "response-property-additional-properties-disallowed": (
        INFO,
        "a response object no longer carries unknown fields",
    ),
    "request-property-became-not-enum": (INFO, "a request value is no longer restricted to a list"),
    "request-parameter-became-not-enum": (INFO, "a parameter value is no longer restricted to a list"),
    "response-property-became-enum": (INFO, "a response value is now restricted to a list"),
    "response-property-became-not-enum": (WARN, "a response value is no longer restricted to a list"),
    "request-property-max-items-decreased": (WARN, _REQUEST_TIGHTENED),
    "request-property-max-items-increased": (INFO, "a request array may hold more items"),
    "request-property-max-items-set": (WARN, _REQUEST_TIGHTENED),
    "request-property-min-items-decreased": (INFO, "a request array may hold fewer items"),
    "request-parameter-max-items-set": (WARN, _REQUEST_TIGHTENED),
    "response-property-max-length-decreased": (INFO, "response strings get shorter at most"),
    "response-property-min-length-increased": (INFO, "response strings get longer at least"),
    "response-property-max-decreased": (INFO, "response numbers get smaller at most"),
    "response-property-max-unset": (WARN, _RESPONSE_LOOSENED),
    "response-property-min-increased": (INFO, "response numbers get larger at least"),
    "response-property-min-unset": (WARN, _RESPONSE_LOOSENED),
    "response-property-max-items-decreased": (INFO, "response arrays hold fewer items at most"),
    "response-property-max-items-increased": (WARN, _RESPONSE_LOOSENED),
    "response-property-max-items-unset": (WARN, _RESPONSE_LOOSENED),
    "response-property-min-items-increased": (INFO, "response arrays hold more items at least"),
    "request-property-multiple-of-set": (WARN, "request numbers must now be a multiple of a value"),
    "request-property-multiple-of-changed": (WARN, "request numbers must be a multiple of another value"),
    "request-property-multiple-of-unset": (INFO, "request numbers need no longer be a multiple of a value"),
    "request-parameter-multiple-of-set": (WARN, "parameter numbers must now be a multiple of a value"),
    "request-parameter-multiple-of-changed": (WARN, "parameter numbers must be a multiple of another value"),
    "request-parameter-multiple-of-unset": (
        INFO,
        "parameter numbers need no longer be a multiple of a value",
    ),
    "response-property-multiple-of-set": (INFO, "response numbers are now a multiple of a value"),
    "response-property-multiple-of-changed": (WARN, "response numbers are a multiple of another value"),
    "response-property-multiple-of-unset": (WARN, "response numbers need no longer be a multiple of a value"),
    "request-property-unique-items-set": (WARN, "request arrays must now hold distinct items"),
    "request-property-unique-items-unset": (INFO, "request arrays may now repeat items"),
    "request-parameter-unique-items-set": (WARN, "parameter arrays must now hold distinct items"),
    "request-parameter-unique-items-unset": (INFO, "parameter arrays may now repeat items"),
    "response-property-unique-items-set": (INFO, "response arrays now hold distinct items"),
    "response-property-unique-items-unset": (WARN, "response arrays may now repeat items"),
    "request-parameter-style-changed": (
        ERR,
        "the parameter's serialization `style` changed: clients encode it the old way",
    ),
    "request-parameter-explode-changed": (
        ERR,
        "the parameter's `explode` changed: clients encode arrays and objects the old way",
    ),
    "request-parameter-allow-reserved-disabled": (
        WARN,
        "`allowReserved` was turned off: clients that send reserved characters unencoded are refused",
    ),
    "request-parameter-allow-reserved-enabled": (INFO, "`allowReserved` was turned on"),
    "request-property-x-extensible-enum-value-added": (INFO, _EXTENSIBLE),
    "request-parameter-x-extensible-enum-value-added": (INFO, _EXTENSIBLE),
    "response-property-x-extensible-enum-value-added": (INFO, _EXTENSIBLE),
    "response-property-x-extensible-enum-value-removed": (
        INFO,
        "a value left a response's open list: clients stop seeing it, which they must already tolerate",
    ),
    "request-property-enum-became-extensible": (
        INFO,
        "a closed request enum became an open list: it loosens",
    ),
    "request-parameter-enum-became-extensible": (
        INFO,
        "a closed parameter enum became an open list: it loosens",
    ),
    "response-property-enum-became-extensible": (
        WARN,
        "a closed response enum became an open list (`x-extensible-enum`): clients written against the "
        "closed list still work for every value they know, but may now see one they do not",
    ),
    "response-property-extensible-enum-became-closed": (INFO, "a response's open list became a closed enum"),
    "request-property-extensible-enum-became-closed": (ERR, "a request's open list became a closed enum"),
}

_SUBJECTS = (
    ("request-read-only-property-", "read-only request property"),
    ("request-parameter-property-", "property of a request parameter"),
    ("request-header-property-", "property of a request header"),
    ("request-optional-property-", "optional request property"),
    ("request-required-property-", "required request property"),
    ("request-property-", "request property"),
    ("request-parameter-", "request parameter"),
    ("request-body-", "request body"),
    ("response-optional-write-only-property-", "optional write-only response property"),
    ("response-required-write-only-property-", "required write-only response property"),
    ("response-write-only-property-", "write-only response property"),
    ("response-optional-property-", "optional response property"),
    ("response-required-property-", "required response property"),
    ("response-property-", "response property"),
    ("response-body-", "response body"),
    ("response-header-", "response header"),
    ("response-mediatype-", "response media type"),
    ("api-security-component-", "security scheme"),
    ("api-global-security-", "API-wide security requirement"),
    ("api-security-", "operation security requirement"),
    ("api-", "operation"),
    ("", ""),
)
_KEYWORDS = {
    "max": "maximum",
    "min": "minimum",
    "max-length": "maxLength",
    "min-length": "minLength",
    "max-items": "maxItems",
    "min-items": "minItems",
    "exclusive-max": "exclusive maximum",
    "exclusive-min": "exclusive minimum",
    "multiple-of": "multipleOf",
    "unique-items": "uniqueItems",
    "pattern": "pattern",
    "default-value": "default value",
    "discriminator": "discriminator",
    "discriminator-mapping": "discriminator mapping",
    "discriminator-property-name": "discriminator propertyName",
    "one-of": "oneOf branch",
    "any-of": "anyOf branch",
    "all-of": "allOf branch",
    "enum-value": "enum value",
    "x-extensible-enum-value": "value of the open list (x-extensible-enum)",
    "media-type-schema": "schema of a media type",
    "media-type-name": "media type name",
    "media-type": "media type",
    "stability": "stability level (x-stability-level)",
    "sunset-date": "sunset date (x-sunset)",
    "oauth-scope": "OAuth scope",
    "oauth-url": "OAuth authorization URL",
    "oauth-token-url": "OAuth token URL",
    "scope": "scope",
    "type": "type or format",
}
_PHRASES = {
    "became-nullable": "null became allowed",
    "became-not-nullable": "null is no longer allowed",
    "became-enum": "restricted to a list of values",
    "became-required": "became required",
    "became-required-with-default": "became required (it has a default)",
    "became-optional": "became optional",
    "became-read-only": "became read-only",
    "became-not-read-only": "is no longer read-only",
    "became-write-only": "became write-only",
    "became-not-write-only": "is no longer write-only",
    "type-generalized": "type or format widened (e.g. integer to number)",
    "type-specialized": "type or format narrowed (e.g. number to integer)",
    "type-compatible": "type changed where values are text anyway (compatible)",
    "type-changed": "type or format changed",
    "pattern-generalized": "pattern changed to `.*`",
    "wrapped-in-one-of": "restructured into a oneOf",
    "deprecated": "deprecated",
    "deprecated-with-sunset": "deprecated with a sunset date",
    "deprecated-sunset-missing": "deprecated without the sunset date the policy requires",
    "deprecated-sunset-invalid": "deprecated with a sunset date that cannot be parsed",
    "reactivated": "no longer deprecated",
    "sunset-date-too-small": "sunset date earlier than the deprecation policy allows",
    "sunset-deleted": "sunset date removed from a deprecated element",
    "sunset-date-changed-too-small": "sunset date moved earlier than the policy allows",
    "sunset-parse": "sunset date cannot be parsed",
    "invalid-stability-level": "x-stability-level is not draft, alpha, beta or stable",
    "added-annotation-only": "added a branch that only annotates",
    "removed-annotation-only": "removed a branch that only annotates",
    "removed-with-deprecation": "removed after being deprecated",
    "removed-before-sunset": "removed before its sunset date",
    "became-extensible": "closed enum became an open list (x-extensible-enum)",
    "extensible-enum-became-closed": "open list (x-extensible-enum) became a closed enum",
    "additional-properties-allowed": "newly accepts unknown fields",
    "additional-properties-disallowed": "newly rejects unknown fields",
}
_FIXED = {
    "endpoint-added": "an operation was added",
    "endpoint-deprecated": "an operation was deprecated",
    "endpoint-deprecated-with-sunset": "an operation was deprecated with a sunset date",
    "endpoint-reactivated": "an operation is no longer deprecated",
    "api-path-removed-without-deprecation": "a path was removed without being deprecated first",
    "api-path-removed-with-deprecation": "a deprecated path was removed",
    "api-path-removed-before-sunset": "a deprecated path was removed before its sunset date",
    "api-path-sunset-parse": "a removed path's sunset date cannot be parsed",
    "api-removed-without-deprecation": "an operation was removed without being deprecated first",
    "api-removed-with-deprecation": "a deprecated operation was removed",
    "api-removed-before-sunset": "a deprecated operation was removed before its sunset date",
    "api-deprecated-sunset-parse": "an operation was deprecated with a sunset date that cannot be parsed",
    "api-deprecated-sunset-missing": "an operation was deprecated without the sunset date policy asks for",
    "api-sunset-date-too-small": "an operation's sunset date is earlier than the deprecation policy allows",
    "api-sunset-date-changed-too-small": "a deprecated operation's sunset date moved earlier than allowed",
    "sunset-deleted": "a deprecated operation's sunset date was removed",
    "api-invalid-stability-level": "an operation's x-stability-level is not draft, alpha, beta or stable",
    "api-stability-decreased": "an operation's stability level decreased (e.g. stable to beta)",
    "api-stability-increased": "an operation's stability level increased",
    "api-operation-id-removed": "the operationId was removed or changed (renames client functions)",
    "api-operation-id-added": "an operationId was added",
    "api-tag-removed": "a tag was removed from an operation",
    "api-tag-added": "a tag was added to an operation",
    "api-schema-removed": "a schema was removed from components",
    "api-version-not-bumped": "a breaking change, but info.version is unchanged",
    "api-version-decreased": "a breaking change, and info.version decreased",
    "api-major-version-not-bumped": "a breaking change, but the major version did not increase",
    "api-security-added": "an operation security requirement was added",
    "api-security-removed": "an operation security requirement was removed",
    "api-global-security-added": "an API-wide security requirement was added",
    "api-global-security-removed": "an API-wide security requirement was removed",
    "api-security-component-added": "a security scheme was added to components",
    "api-security-component-removed": "a security scheme was removed from components",
    "api-security-component-type-changed": "a security scheme's type changed",
    "api-security-component-oauth-scope-changed": "an OAuth scope's description changed",
    "new-required-request-parameter": "a required parameter was added",
    "new-optional-request-parameter": "an optional parameter was added",
    "new-request-path-parameter": "a path parameter was added to an existing operation",
    "new-required-request-default-parameter-to-existing-path": "a required path-level parameter was added",
    "new-optional-request-default-parameter-to-existing-path": "an optional path-level parameter was added",
    "new-required-request-header-property": "a required property was added to an object request header",
    "new-required-request-property": "a required request property was added",
    "new-required-request-property-with-default": "a required request property with a default was added",
    "new-optional-request-property": "an optional request property was added",
    "request-body-added-required": "a required request body was added",
    "request-body-added-optional": "an optional request body was added",
    "request-body-removed": "the request body was removed",
    "request-body-enum-value-removed": "a value was removed from the request body's enum",
    "response-mediatype-enum-value-removed": "a value was removed from a response body's enum",
    "request-parameter-removed": "a parameter was removed",
    "request-parameter-removed-with-deprecation": "a deprecated parameter was removed",
    "request-parameter-removed-before-sunset": "a deprecated parameter was removed before its sunset date",
    "request-parameter-sunset-parse": "a removed parameter's sunset date cannot be parsed",
    "request-parameter-sunset-deleted": "a deprecated parameter's sunset date was removed",
    "request-parameter-sunset-date-changed-too-small": "a deprecated parameter's sunset date moved earlier",
    "response-success-status-removed": "a success (2xx) response status was removed",
    "response-success-status-added": "a success (2xx) response status was added",
    "response-non-success-status-removed": "an error response status was removed",
    "response-non-success-status-added": "an error response status was added",
    "response-media-type-removed": "a response media type was removed",
    "response-media-type-added": "a response media type was added",
    "response-media-type-name-changed": "a response media type was renamed",
    "response-media-type-name-generalized": "a response media type was renamed to a wider one (a wildcard)",
    "response-media-type-name-specialized": "a response media type was renamed to a narrower one",
    "required-response-header-removed": "a required response header was removed",
    "optional-response-header-removed": "an optional response header was removed",
    "response-header-added": "a response header was added",
    "response-header-became-optional": "a response header is no longer required",
    "response-required-property-removed": "a required response property was removed",
    "response-optional-property-removed": "an optional response property was removed",
    "response-required-property-added": "a required response property was added",
    "response-optional-property-added": "an optional response property was added",
    "response-body-wrapped-in-one-of": "the response body was restructured into a oneOf",
    "request-property-removed": "a request property was removed",
}


def describe(rule_id: str) -> str:
    """A one-line meaning built from the id's subject and change."""
    if rule_id in _FIXED:
        return _FIXED[rule_id]
    subject, rest = next(
        (words, rule_id[len(prefix) :]) for prefix, words in _SUBJECTS if rule_id.startswith(prefix)
    )
    if rest in _PHRASES:
        what = _PHRASES[rest]
    else:
        keyword, _, action = rest.rpartition("-")
        name = _KEYWORDS.get(keyword, keyword.replace("-", " "))
        what = {
            "set": f"{name} set where there was none",
            "unset": f"{name} removed",
            "deleted": f"{name} removed",
        }.get(action, f"{name} {action}")
    return f"{subject}: {what}" if subject else what


def _catalogue() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for line in _OASDIFF.strip().splitlines():
        rule_id, level_name = line.split()
        level = Level[level_name]
        if rule_id in KIT_LEVELS and (level == ERR or not rule_id.endswith("-set")):
            level = KIT_LEVELS[rule_id][0]
        rules[rule_id] = Rule(rule_id, level, describe(rule_id))
    for rule_id, (level, why) in OWN.items():
        rules[rule_id] = Rule(rule_id, level, f"{describe(rule_id)} (own rule: {why})", origin="own")
    return rules


RULES: dict[str, Rule] = _catalogue()
OASDIFF_IDS = frozenset(line.split()[0] for line in _OASDIFF.strip().splitlines())


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError here is a bug in the comparer, not bad input."""
    return RULES[rule_id]
