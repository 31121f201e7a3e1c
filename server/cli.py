"""Command line of the stub: `python -m server --host 127.0.0.1 --port 8080 ...`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import ipaddress
import json
import logging
import logging.config
import os
import shlex
import signal
import sys
import warnings
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from .connection import JsonRefusals
from .kit import add_version_option, program_name
from .openapi import parse_yaml
from .proxy import serve as proxy_mode
from .seeds import ADMIN_TOKEN_ENV, DEMO_TOKENS, TENANT_TOKENS_ENV, Seed, SeedError, parse_token_environment
from .settings import CONTRACT_SPEC, CONTROL_PREFIX, DEFAULT_SEED, Settings
from .store import Store, open_store, redacted_url, sqlite_path

# connexion imports starlette.testclient, which warns about httpx at import time; the stub never
# uses the test client, so the warning is only noise in its output.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

SETTINGS_ENV = "CSBS_STUB_SETTINGS"
STORE_ENV = "CSBS_STUB_STORE"
"""How the parent process hands the settings to uvicorn's worker processes."""
DEFAULT_DATA_DIR = Path("data") / "stub"
STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per log line (hand-written: the standard library has no JSON formatter)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD_RECORD_FIELDS and not key.startswith("_") and key != "color_message":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "server": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            # The stub writes its own access log (server.access), without credentials.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "connexion": {"handlers": ["main"], "level": "WARNING", "propagate": False},
            # psycopg's pool says when it cannot connect; in the stub's format, not bare lines.
            "psycopg": {"handlers": ["main"], "level": "WARNING", "propagate": False},
        },
    }


def settings_to_env(settings: Settings) -> str:
    raw = asdict(settings)
    return json.dumps({key: (str(value) if isinstance(value, Path) else value) for key, value in raw.items()})


def settings_from_env() -> Settings:
    raw = json.loads(os.environ[SETTINGS_ENV])
    for key in ("data_dir", "seed_path", "contract_spec", "strict_spec", "control_spec"):
        if raw.get(key) is not None:
            raw[key] = Path(raw[key])
    if raw.get("tenant_tokens") is not None:
        raw["tenant_tokens"] = tuple((token, project) for token, project in raw["tenant_tokens"])
    if raw.get("admin_tokens") is not None:
        raw["admin_tokens"] = tuple(raw["admin_tokens"])
    return Settings(**raw)


YOUNG_COLLECTION_THRESHOLD = 10_000
MIN_STORE_TIMEOUT_S = 0.05
MAX_STORE_TIMEOUT_S = 60.0


def freeze_startup_heap() -> None:
    """Move everything allocated while building the app (specs, schemas, routes: tens of
    thousands of objects that live as long as the process) out of the garbage collector's
    sight, so its full collections during requests no longer walk them: each cost tens of
    milliseconds of CPU and of latency for every request waiting meanwhile. Once per worker
    process, after the app is built; objects made later are collected as usual.

    The youngest generation is collected every `YOUNG_COLLECTION_THRESHOLD` allocations instead
    of Python's 700: a create allocates a few hundred objects that reference counting frees,
    yet each young collection walks every object still alive (the requests in flight), about
    3 % of a create's instructions (callgrind, gc_collect_main)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def app_from_env() -> Any:
    """uvicorn factory used by every worker process (imported there, so the parent stays light)."""
    from .app import create_app

    app = create_app(settings_from_env())
    freeze_startup_heap()
    return app


def default_workers(in_memory: bool) -> int:
    """Without --workers: one worker per CPU, the configuration docs/performance.md measures
    (workers share state through the store); one for an in-memory stub."""
    return 1 if in_memory else max(1, os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program_name("python -m server"),
        description="Stub of CSBS create-restore (POST /v1/{project_id}/restores) with the stub-control API.",
    )
    add_version_option(parser, "csbs-stub")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="uvicorn worker processes (default: one per CPU, the configuration docs/performance.md"
        " measures; 1 with --in-memory)",
    )
    parser.add_argument(
        "--store",
        default=os.environ.get(STORE_ENV),
        metavar="URL",
        help=f"where the state lives: sqlite:///FILE (default: stub.sqlite3 in --data-dir) or"
        f" postgresql://USER@HOST:PORT/DB, shared by many replicas (also {STORE_ENV})",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"directory of the SQLite state file when --store is not given (default {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="keep state in memory only (one worker; lost on exit)"
    )
    parser.add_argument(
        "--seed", type=Path, default=DEFAULT_SEED, help="seed YAML (default: the bundled seed)"
    )
    parser.add_argument(
        "--allow-demo-tokens",
        action="store_true",
        help="serve the seed's well-known demo tokens even on a non-loopback address or a shared"
        " database (refused otherwise)",
    )
    parser.add_argument(
        "--restore-seconds",
        type=float,
        default=Settings.restore_seconds,
        help=f"how long a restore stays in_progress (default {Settings.restore_seconds})",
    )
    parser.add_argument(
        "--store-timeout",
        type=float,
        default=Settings.store_timeout,
        metavar="SECONDS",
        help="longest wait for a PostgreSQL database per call; past it the request is answered 503"
        f" (default {Settings.store_timeout})",
    )
    parser.add_argument(
        "--body-limit", type=int, default=Settings.body_limit, help="largest request body in bytes"
    )
    parser.add_argument("--no-journal", action="store_true", help="do not record contract requests")
    parser.add_argument("--no-swagger-ui", action="store_true", help="do not serve Swagger UI")
    parser.add_argument(
        "--no-fast-lane",
        action="store_true",
        help="let connexion answer the contract too (the stub's own pipeline answers it by default;"
        " both give the same answers)",
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="log line format")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    proxy_mode.add_arguments(parser)
    return parser


def _read_seed(path: Path) -> dict[str, Any]:
    loaded = parse_yaml(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def banner(settings: Settings, host: str, port: int) -> str:
    """Where the stub listens, its tokens, and a curl command that sends the document's example.
    Tokens given in the environment are not printed: the banner often ends up in a log."""
    seed = _read_seed(settings.seed_path)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown_host}:{port}"
    lines = [f"CSBS stub listening on {base}"]
    project = (seed.get("projects") or [{}])[0]
    token = (project.get("tokens") or ["<token>"])[0]
    project_id = project.get("project_id", "<project_id>")
    if settings.tenant_tokens is not None:
        token, project_id = f"<{TENANT_TOKENS_ENV}>", settings.tenant_tokens[0][1]
    admin = (seed.get("admin_tokens") or ["<admin token>"])[0]
    if settings.admin_tokens is not None:
        admin = f"<{ADMIN_TOKEN_ENV}>"
    lines += [
        f"  tenant token  {token}  (X-Auth-Token, project {project_id})",
        f"  admin token   {admin}  (X-Admin-Token, stub control under {CONTROL_PREFIX})",
        f"  Swagger UI    {base}/ui/  and  {base}{CONTROL_PREFIX}/ui/",
        f"  state         {redacted_url(settings.store)}",
    ]
    spec = parse_yaml(CONTRACT_SPEC.read_text(encoding="utf-8"))
    example = spec["components"]["examples"]["DocumentRequest"]["value"]
    body = json.dumps(example, separators=(",", ":"))
    lines += [
        "Send the document's example:",
        f"  curl -sS -X POST {base}/v1/{project_id}/restores \\",
        "    -H 'Content-Type: application/json' \\",
        f"    -H {shlex.quote('X-Auth-Token: ' + token)} \\",
        f"    -d {shlex.quote(body)}",
    ]
    return "\n".join(lines)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_token_problem(settings: Settings, host: str, allow: bool) -> str | None:
    """Why the stub must not start with the default demo tokens here, or None."""
    if allow:
        return None
    shared = not _is_loopback(host) or not settings.store.startswith("sqlite:")
    if not shared:
        return None
    seed = settings.load_seed()
    tokens = set(seed.admin_tokens) | set(seed.tenant_tokens)
    known = sorted(tokens & DEMO_TOKENS)
    if not known:
        return None
    where = (
        f"on {host}" if not _is_loopback(host) else f"on a shared database ({redacted_url(settings.store)})"
    )
    return (
        f"refusing to serve the well-known demo tokens {', '.join(known)} {where}: give a seed with your"
        f" own tokens (--seed FILE) or your own tokens in {TENANT_TOKENS_ENV} and {ADMIN_TOKEN_ENV},"
        f" or pass --allow-demo-tokens to serve them anyway"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.workers is None:
        args.workers = 1 if args.proxy else default_workers(args.in_memory)
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if args.in_memory and args.workers > 1:
        print(
            "--in-memory works with one worker only: workers share state through the store", file=sys.stderr
        )
        return 2
    if args.in_memory and args.store:
        print("--in-memory and --store exclude each other", file=sys.stderr)
        return 2
    if not MIN_STORE_TIMEOUT_S <= args.store_timeout <= MAX_STORE_TIMEOUT_S:  # NaN fails too
        print(
            f"--store-timeout must be between {MIN_STORE_TIMEOUT_S:g} and {MAX_STORE_TIMEOUT_S:g} seconds",
            file=sys.stderr,
        )
        return 2
    try:
        tenant_tokens, admin_tokens = parse_token_environment(os.environ)
    except SeedError as invalid:  # names entries by position, never a token
        print(f"cannot start the stub: {invalid}", file=sys.stderr)
        return 2
    settings = Settings(
        data_dir=None if args.in_memory else args.data_dir.resolve(),
        store_url=_absolute_sqlite(args.store) if args.store else None,
        seed_path=args.seed.resolve(),
        tenant_tokens=tenant_tokens,
        admin_tokens=admin_tokens,
        restore_seconds=args.restore_seconds,
        store_timeout=args.store_timeout,
        body_limit=args.body_limit,
        journal_enabled=not args.no_journal,
        swagger_ui=not args.no_swagger_ui,
        fast_lane=not args.no_fast_lane,
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that was
    # installed before it: make that an ordinary exit, status 0.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    log_config = logging_config(args.log_format, args.log_level.upper())
    logging.config.dictConfig(log_config)
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_config": log_config,
        "access_log": False,  # the stub writes its own access log, without credentials
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
        # Requests uvicorn cannot parse get the service's JSON error body, not text/plain.
        "http": JsonRefusals,
        # No WebSockets: an Upgrade header is ignored and the request answered as HTTP.
        "ws": "none",
    }
    try:
        problem = demo_token_problem(settings, args.host, args.allow_demo_tokens)
        if problem is not None:
            print(f"cannot start the stub: {problem}", file=sys.stderr)
            return 2
        if args.proxy:
            try:
                proxy = proxy_mode.settings_from(args, settings)
            except ValueError as invalid:
                print(f"cannot start the proxy: {invalid}", file=sys.stderr)
                return 2
            return proxy_mode.run(proxy, settings, args.host, args.port, common)
        # The schema is migrated and the seed loaded once, here; every worker then opens the store.
        from .app import create_app

        store = open_store(
            settings.store, journal_keep=settings.journal_limit, timeout=settings.store_timeout
        )
        asyncio.run(_prepare_and_close(store, settings.load_seed(), settings))
        # Workers (uvicorn starts them, and starts a new one when one dies) find it prepared.
        settings = dataclasses.replace(settings, store_prepared=True)
        os.environ[SETTINGS_ENV] = settings_to_env(settings)
        app: Any = None
        if args.workers == 1:
            app = create_app(settings)
            freeze_startup_heap()
    except Exception as problem:  # a bad seed, spec, store or data directory: say so, no traceback
        print(f"cannot start the stub: {_redacted(str(problem), settings.store)}", file=sys.stderr)
        return 1
    print(banner(settings, args.host, args.port), flush=True)
    if args.workers == 1:
        uvicorn.run(app, **common)
    else:
        uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=args.workers, **common)
    return 0


async def _prepare_and_close(store: Store, seed: Seed, settings: Settings) -> None:
    """Migrate and seed the store, then close it, on one event loop: a PostgreSQL store's pool
    and writer task belong to the loop that opened them."""
    from .app import prepare

    await prepare(store, seed, settings)
    await store.close()


def _absolute_sqlite(url: str) -> str:
    """A relative sqlite URL made absolute, so every worker opens the same file."""
    if not url.startswith("sqlite:"):
        return url
    path = sqlite_path(url)
    return url if path is None else f"sqlite:///{path.resolve()}"


def _redacted(text: str, url: str) -> str:
    return text.replace(url, redacted_url(url)) if url else text
