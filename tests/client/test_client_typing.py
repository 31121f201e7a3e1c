"""The usage examples type-check with `mypy --strict` against the generated package, and stay in the docs.

One mypy run checks the usage example, the example in the generated package's README, and a
deliberately wrong snippet that proves the check can fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from client_spec import CLIENT_DIR, REPO_ROOT

USAGE_EXAMPLE = Path(__file__).with_name("usage_example.py")
KIT_README = REPO_ROOT / "generated" / "README.md"
PACKAGE_README = CLIENT_DIR / "README.md"
MYPY_TIMEOUT_S = 240

# A UUID field given a str, and an ErrorResponse read as if it were the restore.
WRONG_SNIPPET = """\
from csbs_restore_client.models import CreateRestoreResult, ErrorResponse, VolumeMapping

mapping = VolumeMapping(backup_id="bc118c24-3234-4afd-8423-d66d3d677649", volume_id="x")


def restore_id(answer: CreateRestoreResult | ErrorResponse) -> str:
    return str(answer.restore.id)
"""


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


def test_the_kit_readme_quotes_the_usage_example_verbatim() -> None:
    blocks = python_blocks(KIT_README.read_text(encoding="utf-8"))
    assert USAGE_EXAMPLE.read_text(encoding="utf-8") in blocks


def test_the_examples_pass_mypy_strict_and_a_wrong_one_does_not(tmp_path: Path) -> None:
    (readme_example,) = [
        block
        for block in python_blocks(PACKAGE_README.read_text(encoding="utf-8"))
        if "create_restore" in block
    ]
    readme_file = tmp_path / "package_readme_example.py"
    readme_file.write_text(readme_example, encoding="utf-8")
    wrong_file = tmp_path / "wrong_example.py"
    wrong_file.write_text(WRONG_SNIPPET, encoding="utf-8")

    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-absolute-path",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(USAGE_EXAMPLE),
            str(readme_file),
            str(wrong_file),
        ],
        cwd=tmp_path,
        env={"MYPYPATH": str(CLIENT_DIR), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=MYPY_TIMEOUT_S,
        check=False,
    )
    errors = [line for line in answer.stdout.splitlines() if ": error:" in line]
    assert answer.returncode == 1, answer.stdout + answer.stderr
    # Only the wrong snippet has errors: not the examples, and not the generated package they import.
    assert errors and all(line.startswith(str(wrong_file)) for line in errors), answer.stdout
    assert any('"str"' in line and '"UUID"' in line for line in errors), answer.stdout
    assert any(
        'Item "ErrorResponse" of "CreateRestoreResult | ErrorResponse" has no attribute "restore"' in line
        for line in errors
    ), answer.stdout
