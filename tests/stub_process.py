"""`StubServer`: the stub as users run it (tools/stub_process.py), under the name the `live_stub`
fixture (tests/conftest.py) and tests/server use (`from tests.stub_process import StubServer`)."""

from __future__ import annotations

from tools.harness.stub_process import REPO_ROOT, StubProcess

StubServer = StubProcess

__all__ = ["REPO_ROOT", "StubServer"]
