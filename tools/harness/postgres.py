"""A throw-away PostgreSQL server for tests and benchmarks: its own cluster in a temporary
directory, on a free loopback port, started and stopped by the caller.

It uses the binaries of Debian's `postgresql` package (`.ci/run` installs it). PostgreSQL
refuses to run as root, so under root the cluster belongs to the `postgres` system user that
package creates. Authentication is `trust` on loopback only: the cluster lives as long as a
test and holds nothing else.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from server.settings import DATABASE_FILE_NAME

from .stub_process import free_port

DATABASE = "stub"
USER = "stub"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (or no user to run them as)."""


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return versions[0] if versions else None


def missing_reason() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None when it can."""
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        return "PostgreSQL server binaries are not installed (Debian package `postgresql`)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without `runuser` to start PostgreSQL as the postgres user"
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            return "running as root and there is no `postgres` user to own the cluster"
    return None


class PostgresServer:
    def __init__(self) -> None:
        reason = missing_reason()
        if reason is not None:
            raise PostgresUnavailable(reason)
        bin_dir = _bin_dir()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="csbs-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            self.root.chmod(0o755)
            shutil.chown(self.root, user="postgres")
        self._databases = itertools.count(1)

    @property
    def url(self) -> str:
        return self.url_of(DATABASE)

    def url_of(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "stub") -> str:
        """A new, empty database (`CREATE DATABASE`) on this server; returns its URL. Tests get
        one each, so they share the cluster but never each other's state."""
        name = f"{prefix}_{next(self._databases)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_of(name)

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, *command], check=check, capture_output=True, text=True, timeout=120
        )

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = on\nmax_connections = 200\nshared_buffers = 64MB\n"
            )
        self.pg_ctl("start")
        self._run(
            str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE
        )
        return self

    def pg_ctl(self, action: str, *options: str) -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *options, action
        )

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def halt(self) -> None:
        """Stop the server (fast shutdown: sessions are cut), keeping its data for `resume()`."""
        self.pg_ctl("stop", "-m", "fast")

    def resume(self) -> None:
        """Start the server again after `halt()`, on the same port and data."""
        self.pg_ctl("start")

    def stop(self) -> None:
        if self.data.exists():
            self._run(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


@dataclass(frozen=True)
class StubStore:
    """Where a stub under test keeps its state: its `--data-dir` SQLite file (`url` None), or a
    PostgreSQL database (`url`)."""

    kind: str
    url: str | None = None

    def args(self) -> tuple[str, ...]:
        """The stub's command-line arguments for this store. The default seed's demo tokens are
        refused on a shared database unless allowed; tests run on their own cluster."""
        return () if self.url is None else ("--store", self.url, "--allow-demo-tokens")

    def location(self, data_dir: Path) -> str:
        """The store URL of a stub started with these arguments and `--data-dir data_dir`."""
        if self.url is not None:
            return self.url
        return f"sqlite:///{(data_dir / DATABASE_FILE_NAME).resolve()}"
