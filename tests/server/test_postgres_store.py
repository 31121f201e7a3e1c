"""The PostgreSQL store held to what test_lifecycle.py asks of the SQLite store's internals.

Each test gets a fresh database on the session's cluster (`postgres_server`), and drives
`PostgresStore` on one event loop per simulated process, as a stub worker does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from stub_helpers import (
    DEMO_TOKEN,
    FAILING_CHECKPOINT,
    RESTORES_PATH,
    InProcessStub,
    assert_error,
    document_request,
    due_plan,
    journal_row,
    request_for,
)

from server.seeds import load_seed_file
from server.settings import DEFAULT_SEED
from server.store import CreateOutcome, CreatePlan, Store, StoreUnavailable, migrations
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore
from tests.stub_process import StubServer
from tools.harness.postgres import PostgresServer
from tools.harness.stub_process import free_port

PROCESSES = 4


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database("store")


async def _seeded(url: str, *, journal_keep: int = 1000) -> PostgresStore:
    store = PostgresStore(url, journal_keep=journal_keep)
    await store.open()
    await store.ensure_seeded(load_seed_file(DEFAULT_SEED))
    return store


def _scalar(url: str, query: str) -> Any:
    with psycopg.connect(url) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_outcomes_are_applied_exactly_once_by_concurrent_processes(database: str) -> None:
    """Four stores (as four replicas have) settle the same due restores at the same time."""
    due = 12

    async def create_due() -> list[CreateOutcome]:
        store = await _seeded(database)
        try:
            return list(await asyncio.gather(*(store.create(due_plan(store, i)) for i in range(due))))
        finally:
            await store.close()

    assert asyncio.run(create_due()) == [CreateOutcome.CREATED] * due
    finished: list[int] = []
    barrier = threading.Barrier(PROCESSES)

    def process() -> None:
        async def settle_repeatedly() -> None:
            store = PostgresStore(database)
            await store.open()
            try:
                barrier.wait()
                for _ in range(20):
                    finished.append(await store.settle(time.time()))
            finally:
                await store.close()

        asyncio.run(settle_repeatedly())

    threads = [threading.Thread(target=process) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(finished) == PROCESSES * 20
    assert sum(finished) == due
    assert _scalar(database, "SELECT string_agg(DISTINCT status, ',') FROM restores") == "success"


def test_journal_keeps_only_the_most_recent_entries(database: str) -> None:
    async def write_many() -> list[str]:
        store = await _seeded(database, journal_keep=5)
        try:
            for index in range(70):
                store.journal(journal_row(f"request-{index}", store.snapshot.generation))
                await asyncio.sleep(0)
                if index % 10 == 9:
                    await store.flush_journal()
            return [row["request_id"] for row in await store.list_journal(5, 0)]
        finally:
            await store.close()

    assert asyncio.run(write_many()) == [f"request-{index}" for index in range(65, 70)]
    assert _scalar(database, "SELECT COUNT(*) FROM journal") < 70


def test_queued_journal_entries_are_seen_by_reads_and_dropped_by_a_reset(database: str) -> None:
    seed = load_seed_file(DEFAULT_SEED)

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        store = await _seeded(database)
        try:
            store.journal(journal_row("queued", store.snapshot.generation))
            listed = [row["request_id"] for row in await store.list_journal(10, 0)]  # before the writer ran
            store.journal(journal_row("queued-2", store.snapshot.generation))
            await store.replace_seed(seed, clear_state=True)
            after_reset = [row["request_id"] for row in await store.list_journal(10, 0)]
            store.journal(journal_row("queued-3", store.snapshot.generation))
            await store.clear_journal()
            after_clear = [row["request_id"] for row in await store.list_journal(10, 0)]
            return listed, after_reset, after_clear
        finally:
            await store.close()

    assert asyncio.run(scenario()) == (["queued"], [], [])


def test_a_read_of_the_journal_sees_entries_the_writer_is_committing(database: str) -> None:
    """The writer takes queued entries and commits them; a read of the journal that starts in
    between must wait for that commit, not answer without them."""

    async def scenario() -> list[list[str]]:
        store = await _seeded(database)
        seen = []
        try:
            for index in range(5):
                store.journal(journal_row(f"in-flight-{index}", store.snapshot.generation))
                for _ in range(3):  # the writer wakes and takes the entry
                    await asyncio.sleep(0)
                seen.append([row["request_id"] for row in await store.list_journal(10, 0)])
            return seen
        finally:
            await store.close()

    expected = [[f"in-flight-{index}" for index in range(count + 1)] for count in range(5)]
    assert asyncio.run(scenario()) == expected


def test_creates_queued_together_share_one_transaction(database: str) -> None:
    """Group commit: creates waiting for the writer are committed by one transaction (rows
    written by one transaction carry its id, `xmin`)."""

    async def five_creates() -> list[CreateOutcome]:
        store = await _seeded(database)
        try:
            plans = [due_plan(store, index, finish_at=time.time() + 60) for index in range(5)]
            return list(await asyncio.gather(*(store.create(plan) for plan in plans)))
        finally:
            await store.close()

    assert asyncio.run(five_creates()) == [CreateOutcome.CREATED] * 5
    assert _scalar(database, "SELECT COUNT(*) FROM restores") == 5
    assert _scalar(database, "SELECT COUNT(DISTINCT xmin::text) FROM restores") == 1


def test_text_with_nul_characters_is_stored_as_sqlite_stores_it(database: str) -> None:
    """PostgreSQL's text type cannot hold U+0000, which valid UTF-8 bodies, decoded paths and
    seed strings may carry: the store keeps them anyway, and a journal entry holding one does
    not fail the creates committed with it."""
    odd = "a\x00b \uffff\uffff0 \\0"
    seed = load_seed_file(DEFAULT_SEED)
    backup = dataclasses.replace(seed.backups[0], name=odd, fail_reason=odd)
    seed = dataclasses.replace(seed, backups=(backup, *seed.backups[1:]), digest="odd")

    async def scenario() -> tuple[list[CreateOutcome], list[str], str, str]:
        store = PostgresStore(database)
        await store.open()
        try:
            await store.ensure_seeded(seed)
            row = dataclasses.replace(journal_row("odd", store.snapshot.generation), body=odd, path=odd)
            store.journal(row)
            plan = dataclasses.replace(due_plan(store, 0), outcome="fail", fail_reason=odd)
            outcomes = [await store.create(plan)]
            entries = await store.list_journal(10, 0)
            backups = await store.list_backups(None)
            stored = await store.get_restore("r0")
        finally:
            await store.close()
        assert stored is not None
        named = next(b for b in backups if b.id == backup.id)
        return outcomes, [entries[0]["body"], entries[0]["path"]], named.name, _fail_reason(stored)

    outcomes, journaled, name, reason = asyncio.run(scenario())
    assert outcomes == [CreateOutcome.CREATED]
    assert journaled == [odd, odd]
    assert name == odd
    assert reason == odd


def _fail_reason(stored: Any) -> str:
    """The reason a finished, failed restore reports for its server."""
    return str(next(iter(stored.document["resources_reason"].values())))


def test_an_unreachable_database_leaves_no_unretrieved_failure_behind() -> None:
    """A caller that gives up at its deadline lets go of the shared read (asyncio.shield); the
    read's failure must still count as seen, or asyncio logs "Future exception was never
    retrieved" with a traceback for every request during an outage."""
    unreachable = f"postgresql://stub@127.0.0.1:{free_port()}/stub"
    reported: list[str] = []

    async def scenario() -> list[str]:
        asyncio.get_running_loop().set_exception_handler(
            lambda _, context: reported.append(context["message"])
        )
        store = PostgresStore(unreachable, timeout=0.5)
        await store.attach()
        failures = []
        try:
            for _ in range(3):
                try:
                    await store.checkpoint()
                except StoreUnavailable as problem:
                    failures.append(str(problem))
                await asyncio.sleep(0.3)  # the shared read ends after the caller gave up
        finally:
            await store.close()
        gc.collect()
        await asyncio.sleep(0)
        return failures

    assert len(asyncio.run(scenario())) == 3
    assert reported == [], reported


def test_the_settings_store_timeout_bounds_each_wait_for_the_database(
    make_stub: Callable[..., InProcessStub], database: str
) -> None:
    """`Settings.store_timeout` reaches the store: with the database busy (a lock held by another
    session) a create is answered 503 after that long, not after the default 1.5 s, and nothing
    of it is stored."""
    stub = make_stub(store_url=database, store_timeout=0.4)
    assert stub.create(document_request()).status_code == 200
    blocked = request_for(FAILING_CHECKPOINT)
    with psycopg.connect(database) as other:
        other.execute("LOCK TABLE stub_state IN ACCESS EXCLUSIVE MODE")
        started = time.perf_counter()
        answer = stub.create(blocked)
        waited = time.perf_counter() - started
        # The app's loop runs only during a call here: let the store meet the lock to the end
        # (the shared read, the journal entry's commit), as a served stub does meanwhile.
        stub.run(asyncio.sleep(0.6))
    assert_error(answer, 503, "CSBS.9998")
    assert 0.4 <= waited < 1.2, waited
    assert stub.create(blocked).status_code == 200  # not stored by the 503, and served again


def _icu_database(server: PostgresServer) -> str:
    """A database that sorts text by an English ICU locale ("alpha" before "Zeta"), as a shared
    database often does; skipped where this PostgreSQL has no ICU."""
    name = f"icu_{free_port()}"
    try:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
    except psycopg.Error as problem:
        pytest.skip(f"this PostgreSQL cannot create an ICU database: {problem}")
    return server.url_of(name)


def test_backups_are_listed_in_code_point_order_whatever_the_database_locale(
    postgres_server: PostgresServer, tmp_path: Any
) -> None:
    """SQLite sorts text by code points; so must PostgreSQL, whose order otherwise follows the
    database's locale, or one stub would list backups in another order than the other."""
    url = _icu_database(postgres_server)
    names = ("Zeta", "alpha", "_under", "Beta", "beta", "a-b", "ab")
    seed = load_seed_file(DEFAULT_SEED)
    seed = dataclasses.replace(
        seed,
        backups=tuple(
            dataclasses.replace(backup, name=f"{names[index % len(names)]}")
            for index, backup in enumerate(seed.backups)
        ),
        digest="renamed",
    )
    assert _scalar(url, "SELECT 'alpha' < 'Zeta'") is True  # the locale really orders them so

    async def listed(store: Store) -> list[list[tuple[str, str, str]]]:
        await store.ensure_seeded(seed)
        return [
            [(b.project_id, b.name, b.id) for b in await store.list_backups(project)]
            for project in (None, seed.backups[0].project_id)
        ]

    async def on_postgres() -> list[list[tuple[str, str, str]]]:
        store = PostgresStore(url)
        await store.open()
        try:
            return await listed(store)
        finally:
            await store.close()

    sqlite = SqliteStore(tmp_path / "stub.sqlite3")
    sqlite.open_now()
    try:
        expected = asyncio.run(listed(sqlite))
    finally:
        sqlite.close_now()
    everything, one_project = asyncio.run(on_postgres())
    assert [everything, one_project] == expected
    assert everything == sorted(everything) and one_project == sorted(one_project)
    assert len({name for _, name, _ in everything}) > 3


def test_the_command_line_store_timeout_reaches_every_worker(database: str, tmp_path: Any) -> None:
    """`--store-timeout 0.4`: with the database busy, a create of a served stub is answered 503
    after about that long, not after the default 1.5 s."""
    server = StubServer(
        data_dir=tmp_path / "data",
        log_path=tmp_path / "stub.log",
        args=("--store", database, "--store-timeout", "0.4", "--allow-demo-tokens", "--workers", "2"),
    ).start()
    try:
        url = f"{server.base_url}{RESTORES_PATH}"
        headers = {"X-Auth-Token": DEMO_TOKEN}
        assert httpx.post(url, json=document_request(), headers=headers, timeout=15).status_code == 200
        with psycopg.connect(database) as other:
            other.execute("LOCK TABLE stub_state IN ACCESS EXCLUSIVE MODE")
            waits = []
            for _ in range(4):  # both workers, whichever each request meets
                started = time.perf_counter()
                answer = httpx.post(url, json=request_for(FAILING_CHECKPOINT), headers=headers, timeout=15)
                waits.append(time.perf_counter() - started)
                assert_error(answer, 503, "CSBS.9998")
        assert all(0.4 <= waited < 1.2 for waited in waits), waits
    finally:
        server.stop()


def _lasting_plan(store: Store, item: int, server: str, restore_id: str) -> CreatePlan:
    """A create of backup `item-<item>` onto `server` that stays in progress for the test."""
    base = due_plan(store, item, finish_at=time.time() + 600)
    return dataclasses.replace(base, server_id=server, document={**(base.document or {}), "id": restore_id})


def _two_writers_create(
    database: str, first_creates: list[tuple[int, str]], second_creates: list[tuple[int, str]]
) -> list[Any]:
    """Two stores (as two workers have) queue their creates (item, server) in one loop turn, so
    each commits its own as one group, at the same moment; outcomes or exceptions, in order."""

    async def scenario() -> list[Any]:
        first = await _seeded(database)
        second = PostgresStore(database)
        await second.open()
        await second.checkpoint(claim_fault=False)
        try:
            return list(
                await asyncio.gather(
                    *(
                        first.create(_lasting_plan(first, i, s, f"a-{n}"))
                        for n, (i, s) in enumerate(first_creates)
                    ),
                    *(
                        second.create(_lasting_plan(second, i, s, f"b-{n}"))
                        for n, (i, s) in enumerate(second_creates)
                    ),
                    return_exceptions=True,
                )
            )
        finally:
            await first.close()
            await second.close()

    return asyncio.run(scenario())


def test_two_writers_committing_the_same_servers_in_opposite_orders_do_not_deadlock(database: str) -> None:
    """Two workers' group commits insert restores of the same servers, one in the opposite
    order of the other: each row waits for the other's uncommitted index entry of its server,
    which without one order for all writers is a deadlock (PostgreSQL aborts one commit after
    its deadlock_timeout, and its creates were answered 503)."""
    servers = 300
    creates = [(index, f"server-{index}") for index in range(servers)]
    outcomes = _two_writers_create(database, creates, creates[::-1])
    assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []
    assert outcomes.count(CreateOutcome.CREATED) == servers
    assert outcomes.count(CreateOutcome.SERVER_RESTORING) == servers


def test_commits_whose_servers_and_backups_cross_in_order_end_their_deadlock_by_running_again(
    database: str,
) -> None:
    """Creates that restore backups onto other servers: writer A's servers and backups both
    ascend, writer B's servers ascend while its backups descend, so the two inserts meet in the
    backup index from opposite ends. PostgreSQL ends the deadlock by rolling one back; that
    commit runs again and finds the backups restoring."""
    count = 200
    outcomes = _two_writers_create(
        database,
        [(i, f"a-{i:04d}") for i in range(count)],
        [(count - 1 - i, f"b-{i:04d}") for i in range(count)],
    )
    assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []
    assert outcomes.count(CreateOutcome.CREATED) == count
    assert outcomes.count(CreateOutcome.BACKUP_RESTORING) == count


async def _one_group_of_every_outcome(store: Store) -> tuple[list[CreateOutcome], list[str]]:
    """One group commit holding a create of each kind, with journal rows of this and an older
    seed generation; the outcomes and the journal's request ids afterwards."""
    await store.ensure_seeded(load_seed_file(DEFAULT_SEED))
    await store.create(_lasting_plan(store, 7, "busy-server", "earlier"))
    generation = store.snapshot.generation
    due = due_plan(store, 1)
    plans = [
        _lasting_plan(store, 2, "server-2", "new"),
        _lasting_plan(store, 3, "server-2", "same-server"),  # the row above is in progress
        _lasting_plan(store, 4, "busy-server", "busy"),
        dataclasses.replace(_lasting_plan(store, 5, "server-5", "stale"), generation=generation - 1),
        dataclasses.replace(due_plan(store, 7), server_id="server-7", document=None),  # backup 7 busy
        dataclasses.replace(due_plan(store, 8), document=None),  # refused by the snapshot only
        due,
    ]
    store.journal(journal_row("current", generation))
    store.journal(journal_row("before-the-seed", generation - 1))
    outcomes = list(await asyncio.gather(*(store.create(plan) for plan in plans)))
    journal = [row["request_id"] for row in await store.list_journal(10, 0)]
    return outcomes, journal


def test_the_group_commit_function_decides_every_outcome_as_the_sqlite_store_does(
    database: str, tmp_path: Any
) -> None:
    """PostgreSQL commits a group in one call of `stub_group_commit`, which repeats the
    statements SQLite runs one by one: both must give each create the same outcome and keep the
    same journal rows."""

    async def on(store: Store) -> tuple[list[CreateOutcome], list[str]]:
        await store.open()
        try:
            return await _one_group_of_every_outcome(store)
        finally:
            await store.close()

    postgres = asyncio.run(on(PostgresStore(database)))
    sqlite = asyncio.run(on(SqliteStore(tmp_path / "stub.sqlite3")))
    assert postgres == sqlite
    assert postgres[0] == [
        CreateOutcome.CREATED,
        CreateOutcome.SERVER_RESTORING,
        CreateOutcome.SERVER_RESTORING,
        CreateOutcome.STALE,
        CreateOutcome.BACKUP_RESTORING,
        CreateOutcome.REFUSED,
        CreateOutcome.CREATED,
    ]
    assert postgres[1] == ["current"]


def test_a_database_of_schema_version_1_gains_the_group_commit_function(
    postgres_server: PostgresServer,
) -> None:
    """A database made by a stub before the function existed is migrated when a stub opens it,
    and its restores stay."""
    url = postgres_server.create_database("old")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in migrations.POSTGRESQL[0].statements:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version (version) VALUES (1)")
        connection.execute(
            "INSERT INTO restores (id, project_id, checkpoint_item_id, server_id, status, outcome,"
            " fail_reason, finish_at, created_at, updated_at, document)"
            " VALUES ('kept', 'p', 'i', 's', 'success', 'success', '', 0, 0, 0, '{}')"
        )

    async def create_once() -> CreateOutcome:
        store = await _seeded(url)
        try:
            return await store.create(due_plan(store, 1, finish_at=time.time() + 60))
        finally:
            await store.close()

    assert asyncio.run(create_once()) is CreateOutcome.CREATED
    assert _scalar(url, "SELECT MAX(version) FROM schema_version") == 2
    assert _scalar(url, "SELECT COUNT(*) FROM restores") == 2
