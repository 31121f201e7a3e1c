"""The contract in TypeScript: openapi-typescript (types) and @hey-api/openapi-ts (types and an
SDK), each pinned in tests/portability/node/package-lock.json, compiled by the pinned `tsc`.

For each generator, one project in a temporary folder holds the generated code, the suite's
JSON documents and two TypeScript files from tests/portability/typescript/<generator>/:
`check.ts` assigns the document's request and response examples, the minimal request and the
tolerant response (read from the JSON files) to the generated types and, run with node, prints
what a client sends and reads; `wrong.ts` assigns two documents the contract refuses and must
not compile. One strict `tsc` run compiles both: errors are expected in `wrong.ts` only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.portability.conftest import NODE_DIR, NodeTools
from tests.portability.documents import (
    SPEC,
    UNKNOWN_MAP_ENTRY,
    UNKNOWN_STATUS,
    contract,
    documents,
    write_documents,
)
from tests.portability.generators import unexpected_lines

pytestmark = pytest.mark.portability

SOURCES = Path(__file__).resolve().with_name("typescript")
GENERATE_TIMEOUT_S = 120
TSC_TIMEOUT_S = 240
NODE_TIMEOUT_S = 60
TSC_ERROR = re.compile(r"^(?P<file>[^\s(]+)\((?P<line>\d+),(?P<column>\d+)\): error (?P<code>TS\d+): ", re.M)


@dataclass(frozen=True)
class Generator:
    name: str  # the folder of its TypeScript sources
    package: str  # its npm package
    command: Callable[[NodeTools, Path], list[str]]  # to generate into the project folder
    output: Callable[[str], list[re.Pattern[str]]]  # the lines it may print, given its version


def _openapi_typescript(tools: NodeTools, project: Path) -> list[str]:
    (project / "generated").mkdir()
    return [
        str(tools.tool("openapi-typescript")),
        str(SPEC),
        "--output",
        str(project / "generated" / "schema.ts"),
    ]


def _hey_api(tools: NodeTools, project: Path) -> list[str]:
    # An absolute input path: a relative one of the form `a/b` is read as a Hey API registry name.
    return [
        str(tools.tool("openapi-ts")),
        "--input",
        str(SPEC),
        "--output",
        str(project / "generated"),
        "--no-log-file",
    ]


GENERATORS = [
    Generator(
        name="openapi-typescript",
        package="openapi-typescript",
        command=_openapi_typescript,
        output=lambda version: [
            re.compile(rf"✨ openapi-typescript {re.escape(version)}"),
            re.compile(r"🚀 \S*csbs-restore\.yaml → \S*schema\.ts \[[0-9.]+m?s\]"),
        ],
    ),
    Generator(
        name="hey-api",
        package="@hey-api/openapi-ts",
        command=_hey_api,
        output=lambda version: [
            re.compile(rf"@hey-api/openapi-ts v{re.escape(version)}"),
            re.compile(r"\[Job 1\] ⏳ Generating from 1 input:"),
            re.compile(r"\[Job 1\] +\[1\] \S*csbs-restore\.yaml"),
            re.compile(r"\[Job 1\] ✅ Done! Your output is in \S+"),
        ],
    ),
]

HEY_API = GENERATORS[1]


@dataclass(frozen=True)
class Project:
    generator: Generator
    version: str
    folder: Path
    generated: subprocess.CompletedProcess[str]
    compiled: subprocess.CompletedProcess[str]
    ran: subprocess.CompletedProcess[str] | None

    def printed(self) -> Any:
        assert self.ran is not None and self.ran.returncode == 0, self.compiled.stdout + (
            self.ran.stderr if self.ran else ""
        )
        return json.loads(self.ran.stdout)


def _run(command: list[str], cwd: Path, tools: NodeTools, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=tools.env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module", params=GENERATORS, ids=lambda generator: generator.name)
def project(
    request: pytest.FixtureRequest, node_tools: NodeTools, tmp_path_factory: pytest.TempPathFactory
) -> Project:
    generator: Generator = request.param
    folder = tmp_path_factory.mktemp(generator.name)
    shutil.copy(SOURCES / "tsconfig.json", folder)
    for source in (SOURCES / generator.name).glob("*.ts"):
        shutil.copy(source, folder)
    # The JSON files: the same documents every generator of the suite reads.
    write_documents(folder / "examples")
    generated = _run(generator.command(node_tools, folder), folder, node_tools, GENERATE_TIMEOUT_S)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    compiled = _run([str(node_tools.tool("tsc")), "-p", "tsconfig.json"], folder, node_tools, TSC_TIMEOUT_S)
    program = folder / "out" / "check.js"
    ran = (
        _run([str(node_tools.node), str(program)], folder, node_tools, NODE_TIMEOUT_S)
        if program.is_file()
        else None
    )
    return Project(generator, node_tools.version(generator.package), folder, generated, compiled, ran)


def test_each_tool_is_the_version_package_json_pins(node_tools: NodeTools) -> None:
    manifest = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    pins: dict[str, str] = manifest["devDependencies"]
    assert set(pins) == {"openapi-typescript", "@hey-api/openapi-ts", "typescript"}
    lock = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    for package, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package} is not pinned exactly: {version}"
        assert lock["packages"][f"node_modules/{package}"]["version"] == version
        assert node_tools.version(package) == version


def test_generation_prints_no_warning(project: Project) -> None:
    output = project.generated.stdout + project.generated.stderr
    assert unexpected_lines(output, project.generator.output(project.version)) == [], output
    assert list((project.folder / "generated").rglob("*.ts")), "nothing was generated"


def test_the_generated_code_and_the_documents_compile_and_the_wrong_ones_do_not(project: Project) -> None:
    output = project.compiled.stdout + project.compiled.stderr
    errors = [match.groupdict() for match in TSC_ERROR.finditer(output)]
    assert project.compiled.returncode != 0 and errors, output
    # Nothing but the two deliberate mistakes: generated code, check.ts and every document compile.
    assert [(error["file"], error["line"], error["code"]) for error in errors] == [
        ("wrong.ts", "7", "TS2322"),
        ("wrong.ts", "8", "TS2322"),
    ], output
    assert "Type 'string' is not assignable to type 'boolean | null | undefined'" in output
    assert "Property 'status' is missing" in output


def _sent_and_read(project: Project) -> tuple[dict[str, Any], dict[str, Any]]:
    printed = project.printed()
    if project.generator.name == "hey-api":
        # Through the SDK: the document request is answered with the document response, the
        # minimal request with the tolerant response.
        sent = {name: exchange["sent"] for name, exchange in printed.items()}
        read = {"document": printed["document"]["read"], "tolerant": printed["minimal"]["read"]}
        return sent, read
    return printed["sent"], printed["read"]


def test_what_a_client_sends_is_the_document_and_the_contract_accepts_it(project: Project) -> None:
    sent, _ = _sent_and_read(project)
    expected = documents()
    assert sent == {"document": expected["document_request"], "minimal": expected["minimal_request"]}
    for name, body in sent.items():
        assert contract().request_refusal(body) is None, name


def test_the_document_response_and_a_response_with_unknown_fields_and_status_are_read(
    project: Project,
) -> None:
    _, read = _sent_and_read(project)
    document = documents()["document_response"]["restore"]
    assert read["document"] == {
        "id": document["id"],
        "status": document["status"],
        "power_on": document["parameters"]["power_on"],
        "volumes": [mapping["volume_id"] for mapping in document["parameters"]["targets"]["volumes"]],
        "resources_status": document["resources_status"],
    }
    key, value = UNKNOWN_MAP_ENTRY
    assert read["tolerant"] == {
        **read["document"],
        "status": UNKNOWN_STATUS,
        "resources_status": {key: value},
    }


@pytest.mark.parametrize("project", [HEY_API], ids=[HEY_API.name], indirect=True)
def test_the_sdk_posts_to_the_documented_path_with_the_token_header(project: Project) -> None:
    """Only @hey-api/openapi-ts makes an SDK; openapi-typescript makes types only."""
    project_id = documents()["path_parameters"]["project_id"]
    for exchange in project.printed().values():
        assert exchange["method"] == "POST"
        assert exchange["url"] == f"https://csbs.example.invalid/v1/{project_id}/restores"
        assert exchange["headers"]["x-auth-token"] == "t0ken"
        assert exchange["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize("generator", GENERATORS, ids=lambda generator: generator.name)
def test_a_line_the_generator_is_not_known_to_print_is_reported(generator: Generator) -> None:
    allowed = generator.output("1.2.3")
    assert unexpected_lines("\x1b[33m⚠ Warning: something was skipped\x1b[39m\n\n", allowed) == [
        "⚠ Warning: something was skipped"
    ]
    # Another version's banner is not this one's.
    banner = (
        "✨ openapi-typescript 9.9.9"
        if generator.name == "openapi-typescript"
        else "@hey-api/openapi-ts v9.9.9"
    )
    assert unexpected_lines(banner, allowed) == [banner]
