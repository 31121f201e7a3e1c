"""A check of the kit's own, loaded by schemathesis as a hooks module (`hooks = "tools.contract.checks"`).

The contract documents 400 for schema-valid requests that break a business rule (`CSBS.4000` backup
not available, `CSBS.6015` server already restoring, `CSBS.6017` volume backup not in the backup,
...), so the built-in `positive_data_acceptance` check is told to accept 400 (see config.py). That
alone would let a provider refuse valid input as malformed, so this check closes the gap: a
schema-valid request may be refused for a business rule, not as an invalid parameter
(`CSBS.9001`). The one exception is a volume mapping that is not one-to-one (a `backup_id` or a
`volume_id` named twice): the mapping must be one-to-one, and JSON Schema cannot say "unique by
property", so such a request is schema-valid and still an invalid parameter.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

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
