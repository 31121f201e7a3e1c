"""Everything the stub can be configured with, in one immutable object."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .kit import CONTRACT_SPEC as CONTRACT_SPEC
from .kit import CONTROL_SPEC as CONTROL_SPEC
from .kit import STRICT_SPEC as STRICT_SPEC
from .seeds import DEFAULT_SEED_FILE, Seed, load_seed_file

DEFAULT_SEED = DEFAULT_SEED_FILE
DATABASE_FILE_NAME = "stub.sqlite3"

CONTROL_PREFIX = "/_stub"
"""Where the stub-control API is mounted; contract paths never start with it."""


@dataclass(frozen=True)
class Settings:
    """Configuration of one stub app (shared by every worker of one server)."""

    data_dir: Path | None = None
    """Directory of the SQLite file; None keeps all state in memory (one process only)."""
    store_url: str | None = None
    """Where the state lives (`sqlite:///FILE`, `postgresql://...`); None: from `data_dir`."""
    store_timeout: float = 1.5
    """Longest wait for the database before a request is answered 503 (PostgreSQL)."""
    store_prepared: bool = False
    """The store's schema and seed are in place (the command line prepares them before it
    starts workers): a worker that finds the database away starts anyway and answers 503."""
    seed_path: Path = DEFAULT_SEED
    """YAML seed with tokens, projects and backups."""
    tenant_tokens: tuple[tuple[str, str], ...] | None = field(default=None, repr=False)
    """(token, project_id) pairs in place of every project token of the seed (`CSBS_STUB_TOKENS`)."""
    admin_tokens: tuple[str, ...] | None = field(default=None, repr=False)
    """Admin tokens in place of the seed's (`CSBS_STUB_ADMIN_TOKEN`)."""
    restore_seconds: float = 2.0
    """How long a restore stays `in_progress` before it ends in `success` or `fail`."""
    settle_interval: float = 0.2
    """How often the background task applies due restore outcomes."""
    body_limit: int = 1_048_576
    """Largest accepted request body in bytes; larger bodies get 413."""
    max_prefer_delay_ms: int = 10_000
    """Upper bound of `Prefer: delay=<ms>`."""
    journal_limit: int = 1000
    """How many received contract requests the journal keeps (oldest dropped first)."""
    journal_enabled: bool = True
    swagger_ui: bool = True
    fast_lane: bool = True
    """Answer the contract's operation in the stub's own pipeline (server/pipeline.py) rather than
    through connexion; both give the same bytes (`--no-fast-lane` turns it off)."""
    contract_spec: Path = CONTRACT_SPEC
    strict_spec: Path = STRICT_SPEC
    control_spec: Path = CONTROL_SPEC

    def load_seed(self) -> Seed:
        """The seed the stub starts with (and `POST /_stub/reset` goes back to)."""
        return load_seed_file(
            self.seed_path, tenant_tokens=self.tenant_tokens, admin_tokens=self.admin_tokens
        )

    @property
    def database_path(self) -> Path | None:
        return None if self.data_dir is None else self.data_dir / DATABASE_FILE_NAME

    @property
    def store(self) -> str:
        """The store URL in effect."""
        if self.store_url is not None:
            return self.store_url
        path = self.database_path
        return "sqlite://" if path is None else f"sqlite:///{path}"
