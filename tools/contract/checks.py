"""Checks of the kit's own, loaded by schemathesis as a hooks module (`hooks = "tools.contract.checks"`).

`valid_input_not_refused_as_invalid` (always on):

The contract documents 400 for schema-valid requests that break a business rule (`CSBS.4000` backup
not available, `CSBS.6015` server already restoring, `CSBS.6017` volume backup not in the backup,
...), so the built-in `positive_data_acceptance` check is told to accept 400 (see config.py). That
alone would let a provider refuse valid input as malformed, so this check closes the gap: a
schema-valid request may be refused for a business rule, not as an invalid parameter
(`CSBS.9001`). The one exception is a volume mapping that is not one-to-one (a `backup_id` or a
`volume_id` named twice): the mapping must be one-to-one, and JSON Schema cannot say "unique by
property", so such a request is schema-valid and still an invalid parameter.

`undocumented_response_content` (on with `--strict`): the published contract lets a response carry
fields and status values it does not list, so that clients keep working when the service grows;
`response_schema_conformance` therefore accepts them. With `--strict` the answer is also held to
the strict profile (`generated/csbs-restore.strict.yaml`), and whatever it carries beyond the
contract, a field or a value, is reported as this check's own finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import schemathesis
import yaml
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from server.kit import STRICT_SPEC
from server.openapi import Document, Located, child

STRICT_PROFILE = STRICT_SPEC
STRICT_URI = "urn:csbs-kit:strict-profile"
# Keywords the strict profile adds: a closed object and a closed value list.
UNDOCUMENTED_KEYWORDS = frozenset({"additionalProperties", "enum"})

# "Parameter verification failed": the code the contract gives to malformed input.
INVALID_PARAMETER_CODES = frozenset({"CSBS.9001"})


def _mapping_is_not_one_to_one(body: Any) -> bool:
    try:
        volumes = body["restore"]["parameters"]["targets"]["volumes"]
        backup_ids = [mapping["backup_id"] for mapping in volumes]
        volume_ids = [mapping["volume_id"] for mapping in volumes]
    except (KeyError, TypeError):
        return False
    return len(set(backup_ids)) < len(backup_ids) or len(set(volume_ids)) < len(volume_ids)


@schemathesis.check
def valid_input_not_refused_as_invalid(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A schema-valid request answered 400 must name a business rule, not an invalid parameter."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        answer = json.loads(response.content)
    except ValueError:
        return None  # the answer's shape is response_schema_conformance's concern
    code = answer.get("error_code") if isinstance(answer, dict) else None
    if code in INVALID_PARAMETER_CODES and not _mapping_is_not_one_to_one(case.body):
        raise AssertionError(
            f"Schema-valid request refused as an invalid parameter ({code}: {answer.get('error_msg')!r}); "
            "a 400 for valid input must name the business rule it breaks"
        )
    return None


@cache
def _strict_profile() -> tuple[Document, Registry[Any]]:
    root = yaml.safe_load(STRICT_PROFILE.read_text(encoding="utf-8"))
    return Document(root), Registry().with_resource(STRICT_URI, DRAFT4.create_resource(root))


def _response_schema_pointer(document: Document, path: str, method: str, status: int) -> str | None:
    operation = document.lookup(child("#/paths", path, method.lower()))
    if operation is None or not isinstance(operation.node, Mapping):
        return None
    responses = operation.node.get("responses") or {}
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            response = document.follow(Located(child(operation.pointer, "responses", key), responses[key]))
            break
    else:
        return None  # an undocumented status is status_code_conformance's concern
    media = ((response.node if response else {}).get("content") or {}).get("application/json")
    if response is None or not isinstance(media, Mapping) or "schema" not in media:
        return None
    return child(response.pointer, "content", "application/json", "schema")


@schemathesis.check
def undocumented_response_content(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """The answer carries no field and no value the contract does not document (strict profile)."""
    document, registry = _strict_profile()
    pointer = _response_schema_pointer(document, case.operation.path, case.method, response.status_code)
    if pointer is None:
        return None
    try:
        answer = json.loads(response.content)
    except ValueError:
        return None  # the answer's shape is response_schema_conformance's concern
    validator = OAS30ReadValidator({"$ref": f"{STRICT_URI}#{pointer}"}, registry=registry)
    found = sorted(
        {
            f"{child('', *error.absolute_path) or '/'}: {error.message}"
            for error in validator.iter_errors(answer)
            if error.validator in UNDOCUMENTED_KEYWORDS
        }
    )
    if found:
        raise AssertionError(
            "The answer carries what the contract does not document (strict profile): " + "; ".join(found[:5])
        )
    return None
