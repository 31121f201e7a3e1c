"""Breaking-change report and changelog for the OpenAPI contract.

The reference tool for this job, oasdiff, is written in Go and cannot be installed in this
kit's environment (Python, pip, Node and Debian apt only), and no maintained Python package
compares two OpenAPI documents and classifies the changes for clients. So this is a focused,
hand-written comparer for OpenAPI 3.0 documents like ours: it resolves local `$ref`s, merges
`allOf`, walks request schemas (where narrowing breaks clients) and response schemas (where
widening does) and reports each change with an oasdiff-style rule id and a level
(ERR / WARN / INFO). See `rules.py` for the catalogue and README "Reviewing spec changes".

    python -m tools.breaking --base HEAD~1 [--format text|json|markdown|githubactions|changelog]
    python -m tools.breaking --old before.yaml --new after.yaml --fail-on ERR
"""

from .compare import compare
from .ignore import IgnoreEntry, apply_ignore, load_ignore, parse_ignore
from .loader import Spec, SpecError, load_file, load_git, parse_spec
from .render import FORMATS, RENDERERS, Report
from .rules import RULES, Change, Level, Rule

__all__ = [
    "FORMATS",
    "RENDERERS",
    "RULES",
    "Change",
    "IgnoreEntry",
    "Level",
    "Report",
    "Rule",
    "Spec",
    "SpecError",
    "apply_ignore",
    "compare",
    "load_file",
    "load_git",
    "load_ignore",
    "parse_ignore",
    "parse_spec",
]
