"""Fixtures: a stub jiapei and one police-platform simulator process shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jiapei.integrations.police.tests.support import SimProcess, StubJiapei


@pytest.fixture(scope="module")
def stub_jiapei() -> Iterator[StubJiapei]:
    stub = StubJiapei()
    try:
        yield stub
    finally:
        stub.close()


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("police-sim")


@pytest.fixture(scope="module")
def sim(sim_dir: Path, stub_jiapei: StubJiapei) -> Iterator[SimProcess]:
    process = SimProcess(sim_dir / "state.json", stub_jiapei.url, sim_dir / "sim.log")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def healthy(sim: SimProcess) -> Iterator[SimProcess]:
    """The shared simulator, guaranteed out of outage mode whatever a test did to it."""
    sim.post("/control", {"fail": False, "delay_ms": 0})
    try:
        yield sim
    finally:
        sim.post("/control", {"fail": False, "delay_ms": 0})
