"""Compare two OpenAPI 3.0 documents and classify every change.

The work is split by family: paths.py (paths and operations, lifecycle), parameters.py,
bodies.py (request bodies and media types), responses.py (statuses and headers), schemas.py
(one schema diff with a direction flag), security.py and components.py (document-wide rules).
"""

from __future__ import annotations

from .components import check_version_policy, compare_component_schemas
from .context import Context, Options
from .loader import Spec
from .paths import compare_paths
from .rules import Change
from .security import compare_global_security, compare_security_schemes

__all__ = ["Options", "compare"]


def compare(old: Spec, new: Spec, options: Options | None = None) -> list[Change]:
    """Every change from `old` to `new`: operations in spec order, worst first within each one,
    then document-wide changes."""
    context = Context(old, new, options)
    compare_paths(context)
    compare_global_security(context)
    compare_security_schemes(context)
    compare_component_schemas(context)
    check_version_policy(context)
    return context.changes
