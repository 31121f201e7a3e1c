"""Fixtures of the stub tests: in-process stubs (state in memory unless a data_dir is given)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_helpers import InProcessStub

from server.app import create_app
from server.settings import Settings


@pytest.fixture
def make_stub() -> Iterator[Callable[..., InProcessStub]]:
    made: list[InProcessStub] = []

    def make(**settings: Any) -> InProcessStub:
        settings.setdefault("restore_seconds", 0.3)
        stub = InProcessStub(create_app(Settings(**settings)))
        made.append(stub)
        return stub

    yield make
    for stub in made:
        stub.close()


@pytest.fixture
def stub(make_stub: Callable[..., InProcessStub]) -> InProcessStub:
    return make_stub()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
