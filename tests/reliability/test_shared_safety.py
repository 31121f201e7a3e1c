"""A stub others can reach is not served with the public demo tokens, and keeps its secrets.

- Bound to anything but loopback, or on PostgreSQL (a database others share), the stub refuses
  to start with the bundled seed's well-known tokens: one line on stderr, exit status 2, no
  banner, unless `--allow-demo-tokens` says so explicitly.
- A seed with its own tokens starts on PostgreSQL without the flag; the demo tokens then mean
  nothing, and the stub-control API answers its own admin token only.
- Tokens given in the environment (`CSBS_STUB_TOKENS`, `CSBS_STUB_ADMIN_TOKEN`) replace the
  seed's: of their own, the stub starts on PostgreSQL without the flag and never prints them;
  the demo tokens given there are refused as from a seed; a malformed value is refused in one
  line that names no token.
- The password in the store URL never reaches the stub's output, its start-up errors or any
  `/_stub` answer, also while the database is unreachable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from server.cli import demo_token_problem
from server.seeds import SeedError, parse_seed, parse_token_environment
from server.settings import Settings
from server.store import redacted_url
from tools.harness.postgres import PostgresServer, StubStore, missing_reason
from tools.harness.seeds import (
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    OTHER_PROJECT,
    OTHER_TOKEN,
    SeedServer,
    write_seed,
)
from tools.harness.stub_process import REPO_ROOT, StubProcess, free_port

from .test_tenant_isolation import CONTROL_CALLS

OWN_TENANT_TOKEN = "own-tenant-token-6c1e0b"
OWN_ADMIN_TOKEN = "own-admin-token-f27d45"
CANARY_PASSWORD = "canary-db-password-b8e413"
START_TIMEOUT_S = 90


def run_stub(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m server ...` on a free loopback port (unless told otherwise), to its exit."""
    return subprocess.run(
        [sys.executable, "-m", "server", "--port", str(free_port()), "--workers", "1", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert result.stdout == "", "the banner (with its tokens) must not be printed"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("cannot start the stub: refusing to serve the well-known demo tokens"), line
    assert "--allow-demo-tokens" in line and "--seed" in line, line
    for text in expected:
        assert text in line, line
    return line


def test_demo_tokens_are_refused_on_an_address_others_can_reach(tmp_path: Path) -> None:
    result = run_stub("--host", "0.0.0.0", "--data-dir", str(tmp_path / "data"))
    assert_refused_in_one_line(result, "on 0.0.0.0", ADMIN_TOKEN, DEMO_TOKEN)


@pytest.fixture(scope="module")
def shared_database(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database("safety")


def with_password(url: str, password: str = CANARY_PASSWORD) -> str:
    """The URL with a password (the test cluster trusts loopback, so any password connects)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{password}@{host}"


def test_demo_tokens_are_refused_on_a_shared_database(tmp_path: Path, shared_database: str) -> None:
    url = with_password(shared_database)
    by_option = run_stub("--store", url, "--data-dir", str(tmp_path / "data"))
    line = assert_refused_in_one_line(by_option, "on a shared database", "stub:***@")
    assert CANARY_PASSWORD not in line
    by_environment = run_stub("--data-dir", str(tmp_path / "data"), env={"CSBS_STUB_STORE": url})
    assert assert_refused_in_one_line(by_environment) == line
    assert not (tmp_path / "data").exists(), "a refused stub must not have created its state"


def test_a_password_in_the_query_string_is_kept_out_too(tmp_path: Path, shared_database: str) -> None:
    """libpq also reads `password` from the URL's query string."""
    url = f"{shared_database}?password={CANARY_PASSWORD}&application_name=safety"
    line = assert_refused_in_one_line(run_stub("--store", url, "--data-dir", str(tmp_path / "data")))
    assert "password=***&application_name=safety" in line, line
    assert CANARY_PASSWORD not in line


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://stub:pw@db:5432/stub", "postgresql://stub:***@db:5432/stub"),
        ("postgresql://:pw@db/stub", "postgresql://***@db/stub"),
        ("postgresql://stub@db/stub?password=pw", "postgresql://stub@db/stub?password=***"),
        (
            "postgresql://stub@db/stub?sslmode=require&sslpassword=pw",
            "postgresql://stub@db/stub?sslmode=require&sslpassword=***",
        ),
        ("postgresql://u:pw@db/stub?password=pw", "postgresql://u:***@db/stub?password=***"),
        ("postgresql://stub@db/stub?application_name=a", "postgresql://stub@db/stub?application_name=a"),
        ("sqlite:///relative/stub.sqlite3", "sqlite:///relative/stub.sqlite3"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_redacted_urls_keep_everything_but_the_password(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_the_check_itself_names_every_place_others_can_reach() -> None:
    sqlite = Settings(data_dir=Path("/nonexistent"))
    postgres = Settings(store_url="postgresql://stub@db.example:5432/stub")
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.5"):
        assert demo_token_problem(sqlite, host, allow=False) is None, host
    for host in ("0.0.0.0", "::", "10.1.2.3", "stub.example"):
        assert demo_token_problem(sqlite, host, allow=False) is not None, host
        assert demo_token_problem(sqlite, host, allow=True) is None, host
    assert demo_token_problem(postgres, "127.0.0.1", allow=False) is not None
    assert demo_token_problem(postgres, "0.0.0.0", allow=True) is None


def test_demo_tokens_are_served_on_a_shared_database_when_allowed(
    tmp_path: Path, shared_database: str
) -> None:
    store = StubStore("postgresql", shared_database)
    assert "--allow-demo-tokens" in store.args()
    seed = tmp_path / "seed.yaml"
    server = write_seed(seed, 1)[DEMO_PROJECT][0]
    with StubProcess(tmp_path / "data", workers=1, seed=seed, args=store.args()) as stub:
        answer = httpx.post(
            f"{stub.base_url}/v1/{DEMO_PROJECT}/restores",
            json=server.create_body(),
            headers={"X-Auth-Token": DEMO_TOKEN},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
    assert "refusing" not in stub.logs()


def write_own_seed(path: Path) -> list[SeedServer]:
    """A seed like the generated ones, with tokens of its own instead of the demo tokens."""
    servers = write_seed(path, 3)[DEMO_PROJECT]
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["admin_tokens"] = [OWN_ADMIN_TOKEN]
    for index, project in enumerate(document["projects"]):
        project["tokens"] = [OWN_TENANT_TOKEN if project["project_id"] == DEMO_PROJECT else f"own-{index}"]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return servers


@pytest.fixture(scope="module")
def own_token_stub(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[tuple[StubProcess, list[SeedServer]]]:
    root = tmp_path_factory.mktemp("own-tokens")
    servers = write_own_seed(root / "seed.yaml")
    url = postgres_server.create_database("own_tokens")
    # No --allow-demo-tokens: the seed has none of them.
    stub = StubProcess(root / "data", workers=1, seed=root / "seed.yaml", args=("--store", url))
    stub.start()
    try:
        yield stub, servers
    finally:
        stub.stop()


def test_a_seed_with_its_own_tokens_starts_on_postgresql_without_the_flag(
    own_token_stub: tuple[StubProcess, list[SeedServer]],
) -> None:
    stub, servers = own_token_stub
    path = f"{stub.base_url}/v1/{DEMO_PROJECT}/restores"
    for token in (DEMO_TOKEN, OTHER_TOKEN, ADMIN_TOKEN):
        refused = httpx.post(path, json=servers[0].create_body(), headers={"X-Auth-Token": token}, timeout=30)
        assert refused.status_code == 401, (token, refused.text)
    accepted = httpx.post(
        path, json=servers[0].create_body(), headers={"X-Auth-Token": OWN_TENANT_TOKEN}, timeout=30
    )
    assert accepted.status_code == 200, accepted.text
    banner = stub.logs()
    assert OWN_TENANT_TOKEN in banner and OWN_ADMIN_TOKEN in banner, "the banner names the seed's tokens"
    assert DEMO_TOKEN not in banner


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"X-Admin-Token": ADMIN_TOKEN},
        {"X-Admin-Token": OWN_TENANT_TOKEN},
        {"X-Auth-Token": OWN_ADMIN_TOKEN},
    ],
    ids=["none", "demo-admin", "own-tenant-as-admin", "own-admin-in-tenant-header"],
)
def test_the_admin_api_answers_only_its_own_token_on_postgresql(
    own_token_stub: tuple[StubProcess, list[SeedServer]], credentials: dict[str, str]
) -> None:
    stub, _ = own_token_stub
    admin = {"X-Admin-Token": OWN_ADMIN_TOKEN}
    with httpx.Client(base_url=f"{stub.base_url}/_stub", timeout=30) as http:
        before = http.get("/restores", headers=admin)
        assert before.status_code == 200, before.text
        for method, path, payload in CONTROL_CALLS:
            answer = http.request(method, path, headers=credentials, json=payload)
            # 401 without a valid credential, 403 for a tenant token (STUB.0403).
            assert answer.status_code in (401, 403), (method, path, answer.status_code, answer.text)
            assert answer.json()["error_code"], answer.text
        # Nothing changed: no reset, no seed, no fault, no journal cleared.
        assert http.get("/restores", headers=admin).json() == before.json()
        assert http.get("/faults", headers=admin).json() == {"faults": []}
        assert http.get("/health").status_code == 200  # the one open endpoint


# --- tokens from the environment ----------------------------------------------------------------

ENV_TENANT_TOKEN = "env-tenant-token-93d0aa"
ENV_OTHER_TOKEN = "env-other=token-5be1"  # a token may hold "="; the project ID follows the last one
ENV_ADMIN_TOKEN = "env-admin-token-07c4e2"
OWN_TOKENS_ENV = {
    "CSBS_STUB_TOKENS": f"{ENV_TENANT_TOKEN}={DEMO_PROJECT}, {ENV_OTHER_TOKEN}={OTHER_PROJECT}",
    "CSBS_STUB_ADMIN_TOKEN": ENV_ADMIN_TOKEN,
}


@pytest.fixture(scope="module")
def env_token_stub(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[tuple[StubProcess, list[SeedServer]]]:
    """The generated seed (the demo tokens) on PostgreSQL, its tokens replaced by the
    environment's; two workers, so the workers get them too. No --allow-demo-tokens."""
    root = tmp_path_factory.mktemp("env-tokens")
    servers = write_seed(root / "seed.yaml", 4)[DEMO_PROJECT]
    url = postgres_server.create_database("env_tokens")
    stub = StubProcess(
        root / "data", workers=2, seed=root / "seed.yaml", args=("--store", url), env=OWN_TOKENS_ENV
    )
    stub.start()
    try:
        yield stub, servers
    finally:
        stub.stop()


def test_tokens_from_the_environment_replace_the_seeds_on_postgresql(
    env_token_stub: tuple[StubProcess, list[SeedServer]],
) -> None:
    stub, servers = env_token_stub
    path = f"{stub.base_url}/v1/{DEMO_PROJECT}/restores"
    with httpx.Client(timeout=30) as http:
        # Several requests, so both workers answer some of them.
        for token in (DEMO_TOKEN, OTHER_TOKEN, ADMIN_TOKEN, ENV_ADMIN_TOKEN) * 2:
            refused = http.post(path, json=servers[0].create_body(), headers={"X-Auth-Token": token})
            assert refused.status_code == 401, (token, refused.text)
        other = http.post(path, json=servers[0].create_body(), headers={"X-Auth-Token": ENV_OTHER_TOKEN})
        assert other.status_code == 403, other.text  # a token of the other project
        for server in servers[:2]:
            accepted = http.post(path, json=server.create_body(), headers={"X-Auth-Token": ENV_TENANT_TOKEN})
            assert accepted.status_code == 200, accepted.text
        control = f"{stub.base_url}/_stub"
        assert http.get(f"{control}/faults", headers={"X-Admin-Token": ADMIN_TOKEN}).status_code == 401
        reset = http.post(f"{control}/reset", headers={"X-Admin-Token": ENV_ADMIN_TOKEN})
        assert reset.status_code == 200, reset.text
        assert reset.json()["tenant_tokens"] == 2
        # The seed the reset goes back to is the one with the environment's tokens.
        again = http.post(path, json=servers[0].create_body(), headers={"X-Auth-Token": ENV_TENANT_TOKEN})
        assert again.status_code == 200, again.text
        assert (
            http.post(path, json=servers[1].create_body(), headers={"X-Auth-Token": DEMO_TOKEN}).status_code
            == 401
        )
    output = stub_output(stub)
    assert "<CSBS_STUB_TOKENS>" in output and "<CSBS_STUB_ADMIN_TOKEN>" in output, output[-2000:]
    for token in (ENV_TENANT_TOKEN, ENV_OTHER_TOKEN, ENV_ADMIN_TOKEN):
        assert token not in output, "tokens from the environment are never printed"
    assert "refusing" not in output


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"CSBS_STUB_ADMIN_TOKEN": ENV_ADMIN_TOKEN}, [DEMO_TOKEN, OTHER_TOKEN]),
        ({"CSBS_STUB_TOKENS": f"{ENV_TENANT_TOKEN}={DEMO_PROJECT}"}, [ADMIN_TOKEN]),
        ({**OWN_TOKENS_ENV, "CSBS_STUB_TOKENS": f"{DEMO_TOKEN}={DEMO_PROJECT}"}, [DEMO_TOKEN]),
        ({**OWN_TOKENS_ENV, "CSBS_STUB_ADMIN_TOKEN": f"{ENV_ADMIN_TOKEN},{ADMIN_TOKEN}"}, [ADMIN_TOKEN]),
    ],
    ids=["admin-only", "tenants-only", "demo-tenant-token", "demo-admin-token"],
)
def test_demo_tokens_are_refused_whether_from_the_seed_or_the_environment(
    tmp_path: Path, env: dict[str, str], refused: list[str]
) -> None:
    line = assert_refused_in_one_line(
        run_stub("--host", "0.0.0.0", "--data-dir", str(tmp_path / "data"), env=env), *refused
    )
    assert "CSBS_STUB_TOKENS" in line and "CSBS_STUB_ADMIN_TOKEN" in line, line
    for token in (ENV_TENANT_TOKEN, ENV_ADMIN_TOKEN):
        assert token not in line, line


def test_the_check_passes_tokens_of_ones_own_from_the_environment() -> None:
    """The demo-token check sees the environment's tokens in place of the seed's (not started
    on a non-loopback address here: the tests listen on loopback only)."""
    tenant, admin = parse_token_environment(OWN_TOKENS_ENV)
    assert tenant == ((ENV_TENANT_TOKEN, DEMO_PROJECT), (ENV_OTHER_TOKEN, OTHER_PROJECT))
    own = Settings(data_dir=Path("/nonexistent"), tenant_tokens=tenant, admin_tokens=admin)
    assert demo_token_problem(own, "0.0.0.0", allow=False) is None
    shared = Settings(store_url="postgresql://stub@db.example/stub", tenant_tokens=tenant, admin_tokens=admin)
    assert demo_token_problem(shared, "127.0.0.1", allow=False) is None
    half = Settings(data_dir=Path("/nonexistent"), admin_tokens=admin)
    assert demo_token_problem(half, "0.0.0.0", allow=False) is not None
    assert ENV_ADMIN_TOKEN not in repr(own) and ENV_TENANT_TOKEN not in repr(own)


SECRET = "secret-token-4a7f19"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"CSBS_STUB_TOKENS": SECRET}, "CSBS_STUB_TOKENS: entry 1 is not token=project_id"),
        (
            {"CSBS_STUB_TOKENS": f"{ENV_TENANT_TOKEN}={DEMO_PROJECT},{SECRET}=x"},
            "entry 2 names no project ID",
        ),
        (
            {"CSBS_STUB_TOKENS": f"{SECRET}={DEMO_PROJECT},{SECRET}={OTHER_PROJECT}"},
            "entry 2 repeats the token",
        ),
        ({"CSBS_STUB_TOKENS": f"{SECRET}={'0' * 32}"}, "entry 1 names a project the seed does not have"),
        ({"CSBS_STUB_ADMIN_TOKEN": f"{SECRET},,other"}, "CSBS_STUB_ADMIN_TOKEN: an empty token"),
        (
            {"CSBS_STUB_TOKENS": f"{SECRET}={DEMO_PROJECT}", "CSBS_STUB_ADMIN_TOKEN": SECRET},
            "a token is both in CSBS_STUB_TOKENS and in CSBS_STUB_ADMIN_TOKEN",
        ),
        ({"CSBS_STUB_TOKENS": f"{ADMIN_TOKEN}={DEMO_PROJECT}"}, "repeats a token used before"),
    ],
    ids=["no-project", "bad-project", "twice", "unknown-project", "empty-admin", "both", "seed-admin"],
)
def test_malformed_tokens_in_the_environment_are_refused_without_naming_them(
    tmp_path: Path, env: dict[str, str], problem: str
) -> None:
    url = f"postgresql://stub:{CANARY_PASSWORD}@127.0.0.1:{free_port()}/stub"
    result = run_stub("--store", url, "--data-dir", str(tmp_path / "data"), env=env)
    assert result.returncode in (1, 2), (result.returncode, result.stderr[-2000:])
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cannot start the stub: "), result.stderr
    assert problem in lines[0], lines[0]
    for secret in (SECRET, ENV_TENANT_TOKEN, ADMIN_TOKEN, CANARY_PASSWORD):
        assert secret not in result.stderr, result.stderr


def test_seed_errors_name_a_repeated_token_by_its_place_not_its_value() -> None:
    document = {"admin_tokens": [SECRET], "projects": [{"project_id": DEMO_PROJECT, "tokens": [SECRET]}]}
    with pytest.raises(SeedError) as raised:
        parse_seed(document)
    assert "projects[0].tokens[0]" in str(raised.value) and SECRET not in str(raised.value)
    with pytest.raises(SeedError) as raised:
        parse_seed({"admin_tokens": [SECRET, SECRET], "projects": []})
    assert "admin_tokens[1]" in str(raised.value) and SECRET not in str(raised.value)


# --- the database password ----------------------------------------------------------------------


def stub_output(stub: StubProcess) -> str:
    """What the stub itself wrote (the harness's own start lines left out)."""
    return "\n".join(line for line in stub.logs().splitlines() if not line.startswith("--- start"))


def test_the_database_password_stays_out_of_start_up_errors(tmp_path: Path) -> None:
    # Nothing listens on this port: the stub cannot reach its database and must say so.
    port = free_port()
    url = f"postgresql://stub:{CANARY_PASSWORD}@127.0.0.1:{port}/stub"
    result = run_stub(
        "--store", url, "--allow-demo-tokens", "--log-format", "json", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    *logged, last = result.stderr.strip().splitlines()
    # The last line says what is wrong, naming the database without its password.
    assert last.startswith(
        f"cannot start the stub: cannot reach the database postgresql://stub:***@127.0.0.1:{port}/stub:"
        " connection failed"
    ), last
    # Before it, the attempts were logged, in the stub's own (JSON) format, not as bare lines.
    assert logged, result.stderr
    for line in logged:
        assert isinstance(json.loads(line), dict), line
    assert "Traceback" not in result.stderr, result.stderr
    assert CANARY_PASSWORD not in result.stdout + result.stderr, result.stderr


def test_the_database_password_stays_out_of_logs_and_answers(tmp_path: Path) -> None:
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    postgres = PostgresServer().start()  # its own: the test stops it
    try:
        seed = tmp_path / "seed.yaml"
        server = write_seed(seed, 2)[DEMO_PROJECT][0]
        store = StubStore("postgresql", with_password(postgres.url))
        args = (*store.args(), "--log-format", "json")
        with StubProcess(tmp_path / "data", workers=1, seed=seed, args=args) as stub:
            answers: list[str] = []
            with httpx.Client(base_url=stub.base_url, timeout=30) as http:
                admin = {"X-Admin-Token": ADMIN_TOKEN}
                created = http.post(
                    f"/v1/{DEMO_PROJECT}/restores",
                    json=server.create_body(),
                    headers={"X-Auth-Token": DEMO_TOKEN},
                )
                assert created.status_code == 200, created.text
                paths = ("/health", "/restores", "/backups", "/journal", "/faults")

                def read_everything() -> list[int]:
                    statuses = []
                    for path in paths:
                        answer = http.get(f"/_stub{path}", headers=admin)
                        answers.append(answer.text)
                        statuses.append(answer.status_code)
                    return statuses

                assert read_everything() == [200] * len(paths)
                postgres.halt()
                time.sleep(0.5)  # the settle loop meets the outage too
                assert read_everything() == [503] * len(paths)
                unavailable = http.post(
                    f"/v1/{DEMO_PROJECT}/restores",
                    json=server.create_body(),
                    headers={"X-Auth-Token": DEMO_TOKEN},
                )
                assert unavailable.status_code == 503, unavailable.text
                answers.append(unavailable.text)
        output = stub_output(stub)
    finally:
        postgres.stop()
    assert "stub:***@127.0.0.1" in output, "the banner names the store, without its password"
    assert "unavailable" in output, "the outage reached the log, so the check below means something"
    for line in output.splitlines():
        if "error connecting" in line:  # psycopg's pool, in the stub's log format
            assert isinstance(json.loads(line), dict), line
    assert CANARY_PASSWORD not in output, output[-3000:]
    assert CANARY_PASSWORD not in stub.logs()
    for answer in answers:
        assert CANARY_PASSWORD not in answer, answer
