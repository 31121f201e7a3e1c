"""App factory: the stub as one ASGI app, the envelope around the pipeline and connexion.

    uvicorn -> JsonRefusals (connection.py) -> Envelope (envelope.py)
        -> ContractPipeline (pipeline.py)  for the contract's operation
        -> connexion (connexion_app.py)    for everything else, and for the contract when the
                                           pipeline is off (`--no-fast-lane`)

The contract is read once from its strict profile (requests as published, responses closed),
the stub-control API from its file; the published contract is what the stub serves to people
and Swagger UI (`/openapi.json`, `/openapi.yaml`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator
from typing import Any

import yaml

from . import answers, connexion_app
from .contract import Router
from .envelope import Envelope
from .lifecycle import run_settler
from .openapi import load_document
from .pipeline import CONTRACT_OPERATION, ContractPipeline, NotServed
from .runtime import Runtime
from .seeds import Seed
from .settings import CONTROL_PREFIX, Settings
from .simulation import ExampleCatalog
from .store import Store, StoreUnavailable, open_store
from .store.postgres import PostgresStore
from .store.sqlite import SqliteStore

logger = logging.getLogger("server")

CONTRACT_PATH = "/v1/{project_id}/restores"


def published_documents(prefix: str, document: dict[str, Any]) -> dict[str, tuple[bytes, bytes]]:
    """A document as served at `<prefix>/openapi.json` and `.yaml` (path -> (media type, bytes)),
    with `servers` pointing at the stub itself so Swagger UI's "try it out" reaches it."""
    served = {**document, "servers": [{"url": prefix or "/", "description": "This stub."}]}
    return {
        f"{prefix}/openapi.json": (b"application/json", answers.json_bytes(served)),
        f"{prefix}/openapi.yaml": (
            b"text/yaml",
            yaml.safe_dump(served, sort_keys=False, allow_unicode=True).encode("utf-8"),
        ),
    }


class StubApp:
    """The ASGI app of one stub. `.runtime` and `.connexion_app` for tests; `.pipeline` is None
    when the pipeline is off."""

    def __init__(self, connexion_app: Any, stub: Runtime, pipeline: ContractPipeline | None) -> None:
        self.connexion_app = connexion_app
        self.runtime = stub
        self.pipeline = pipeline
        self.asgi = Envelope(connexion_app, stub, pipeline)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.asgi(scope, receive, send)

    @property
    def store(self) -> Store:
        return self.runtime.store

    def close(self) -> None:
        store = self.runtime.store
        if isinstance(store, SqliteStore):
            store.close_now()


async def prepare(store: Store, seed: Seed, settings: Settings) -> None:
    """Open `store` and give it the seed, with restores that came due while the stub was down
    finished."""
    await store.open()
    try:
        if await store.ensure_seeded(seed):
            logger.info("loaded seed %s", settings.seed_path)
        await store.settle()
    except BaseException:
        await store.close()
        raise


def create_app(settings: Settings | None = None, store: Store | None = None) -> StubApp:
    """Build the stub on its settings' store, or on `store` (opened and seeded already).

    The embedded SQLite store is opened here, so the app answers at once (also where no ASGI
    lifespan runs, as in-process tests). A PostgreSQL store belongs to the event loop that
    serves the app, so it is opened when the app starts (lifespan)."""
    settings = settings or Settings()
    seed = settings.load_seed()
    if store is None:
        store = open_store(
            settings.store, journal_keep=settings.journal_limit, timeout=settings.store_timeout
        )
        if isinstance(store, SqliteStore) and store.prepare_now(seed):
            logger.info("loaded seed %s", settings.seed_path)
    strict = load_document(settings.strict_spec)
    control = load_document(settings.control_spec)
    stub = Runtime(
        settings=settings,
        store=store,
        startup_seed=seed,
        examples=ExampleCatalog.from_document(strict, CONTRACT_PATH, "post"),
        router=Router([("", strict), (CONTROL_PREFIX, control)], compiled=frozenset({CONTRACT_OPERATION})),
        published={
            **published_documents("", load_document(settings.contract_spec)),
            **published_documents(CONTROL_PREFIX, copy.deepcopy(control)),
        },
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if not stub.store.opened:
            try:
                await prepare(stub.store, seed, settings)
            except StoreUnavailable as problem:
                # A worker of a stub whose database is prepared already must not end the whole
                # stub because the database is away right now: it serves 503 until it is back.
                if not (settings.store_prepared and isinstance(stub.store, PostgresStore)):
                    raise
                logger.warning("the database is unavailable (%s); answering 503 until it is back", problem)
                await stub.store.attach()
        stop = asyncio.Event()
        task = asyncio.create_task(run_settler(stub.store, settings.settle_interval, stop))
        try:
            yield
        finally:
            stop.set()
            await task
            await stub.store.close()

    app = connexion_app.build(strict, control, swagger_ui=settings.swagger_ui, lifespan=lifespan)
    pipeline: ContractPipeline | None = None
    if settings.fast_lane:
        try:
            pipeline = ContractPipeline(stub)
        except NotServed as reason:
            logger.warning("connexion serves the contract: %s", reason)
    return StubApp(app, stub, pipeline)
