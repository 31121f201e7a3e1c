"""schemathesis hooks for fuzzing the stub-control API without locking the run out.

`PUT /_stub/seed` replaces the admin tokens. A generated (or the documented example) seed names
tokens schemathesis does not know, so every later request of the run would meet 401 and test
nothing. Before each schema-valid `PUT /seed` the run's admin token is added to the seed's
`admin_tokens`; the request stays schema-valid, and schemathesis re-validates it after the hook.
Negative cases are left alone so they stay invalid.
"""

from __future__ import annotations

from typing import Any

import schemathesis

CONTROL_TITLE = "CSBS Stub Control API"
ADMIN_TOKEN = "stub-admin-token"


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    operation = case.operation
    if operation.schema.title != CONTROL_TITLE or operation.label != "PUT /seed":
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    body = case.body
    tokens = body.get("admin_tokens") if isinstance(body, dict) else None
    if isinstance(tokens, list) and ADMIN_TOKEN not in tokens:
        tokens.append(ADMIN_TOKEN)
