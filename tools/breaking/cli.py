"""Command line: `python -m tools.breaking --base REF` or `--old FILE --new FILE`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from server.kit import add_version_option, program_name

from .compare import compare
from .context import Options
from .ignore import IgnoreFileError, apply_ignore, load_ignore
from .loader import SpecError, load_file, load_git
from .render import FORMATS, RENDERERS, Report
from .rules import NOT_APPLICABLE, RULES, Level

DEFAULT_SPEC = "openapi/csbs-restore.yaml"
DEFAULT_IGNORE = "openapi/breaking-ignore.yaml"
EXIT_OK, EXIT_FAIL_ON, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program_name("python -m tools.breaking"),
        description="Report what changed in the OpenAPI contract and whether it breaks clients.",
        epilog=(
            "--format json prints oasdiff's changelog JSON: an array of changes with id, text, level "
            "(3 ERR, 2 WARN, 1 INFO), operation (the method), operationId, path, section, baseSource and "
            "revisionSource ({file, line, column}), fingerprint, and location (what an ignore entry "
            "matches); accepted (ignored) changes are left out, as oasdiff leaves them out. "
            "Exit status: 0 without changes at or above --fail-on, 1 with such changes, 2 on bad input."
        ),
    )
    add_version_option(parser, "csbs-breaking")
    old = parser.add_mutually_exclusive_group()
    old.add_argument("--base", metavar="REF", help="git ref of the old contract (e.g. HEAD~1, origin/main)")
    old.add_argument("--old", metavar="FILE", help="old contract as a file, instead of --base")
    parser.add_argument("--new", metavar="FILE", help="new contract (default: the working tree's --spec)")
    parser.add_argument(
        "--spec", default=DEFAULT_SPEC, help=f"contract path in the repository (default {DEFAULT_SPEC})"
    )
    parser.add_argument("--repo", default=".", help="git repository for --base and default paths (default .)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument(
        "--fail-on",
        choices=[level.name for level in Level],
        type=str.upper,
        help="exit 1 when a change at this level or worse is not ignored (default: never)",
    )
    ignore = parser.add_mutually_exclusive_group()
    ignore.add_argument(
        "--ignore", metavar="FILE", help=f"accepted changes (default {DEFAULT_IGNORE} if present)"
    )
    ignore.add_argument("--no-ignore", action="store_true", help="report every change, ignore file or not")
    parser.add_argument(
        "--deprecation-days-beta",
        type=int,
        default=0,
        metavar="N",
        help="a deprecated beta element needs a sunset date at least N days ahead (default 0)",
    )
    parser.add_argument(
        "--deprecation-days-stable",
        type=int,
        default=0,
        metavar="N",
        help="a deprecated stable element needs a sunset date at least N days ahead (default 0)",
    )
    parser.add_argument(
        "--version-policy",
        action="store_true",
        help="also say when a change that may break clients comes without a new info.version",
    )
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="print every rule id with its level and meaning, then the oasdiff ids that do not apply",
    )
    return parser


def _list_rules() -> str:
    width = max(len(rule_id) for rule_id in (*RULES, *NOT_APPLICABLE))
    lines = [f"{rule.level.name:<4}  {rule.id:<{width}}  {rule.description}\n" for rule in RULES.values()]
    lines.append(f"\noasdiff ids that cannot occur in an OpenAPI 3.0 document ({len(NOT_APPLICABLE)}):\n")
    lines += [f"n/a   {rule_id:<{width}}  {why}\n" for rule_id, why in NOT_APPLICABLE.items()]
    return "".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        sys.stdout.write(_list_rules())
        return EXIT_OK
    if args.base is None and args.old is None:
        parser.error("give --base REF (compare with a git ref) or --old FILE")
    repo = Path(args.repo)
    try:
        old = load_git(args.base, args.spec, repo) if args.base is not None else load_file(args.old)
        if args.new is not None:
            new = load_file(args.new)
        else:
            new = load_file(repo / args.spec)
            new.label, new.path = f"{args.spec} (working tree)", args.spec
        try:
            options = Options(
                deprecation_days_beta=args.deprecation_days_beta,
                deprecation_days_stable=args.deprecation_days_stable,
                version_policy=args.version_policy,
            )
            changes = compare(old, new, options)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as error:
            # A document that parses but is not OpenAPI-shaped (a list where a mapping belongs...).
            raise SpecError(
                f"{old.label} or {new.label} is not a well-formed OpenAPI 3.0 document "
                f"({type(error).__name__}: {error}); `make lint` shows where"
            ) from error
        ignore_path = None if args.no_ignore else args.ignore
        if ignore_path is None and not args.no_ignore and (repo / DEFAULT_IGNORE).is_file():
            ignore_path = repo / DEFAULT_IGNORE
        if ignore_path is not None:
            changes, unused = apply_ignore(changes, load_ignore(ignore_path))
            for entry in unused:
                print(f"breaking: note: ignore entry {entry.describe()} matched no change", file=sys.stderr)
    except (SpecError, IgnoreFileError) as error:
        print(f"breaking: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = Report(changes=changes, base=old.label, revision=new.label, file=new.path)
    sys.stdout.write(RENDERERS[args.format](report))
    if args.fail_on is not None:
        threshold = Level[args.fail_on]
        if any(change.level >= threshold for change in report.counted):
            return EXIT_FAIL_ON
    return EXIT_OK
