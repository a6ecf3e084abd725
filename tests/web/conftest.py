"""Fixtures for the web tests: a small test catalog, a scenario, and a stand-in planner.

The stand-in planner returns the report tests' sample Plan, renamed after the scenario, so these
tests exercise the web layer alone (the planning chain has its own tests).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flatbed.plan.result import Plan
from flatbed.scenario import Scenario

DATA = Path(__file__).parent / "data"
SAMPLES = Path(__file__).parents[1] / "report" / "plan_samples.py"


def _samples() -> ModuleType:
    name = "flatbed_test_plan_samples"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def stub_plan(scenario: Scenario) -> Plan:
    """The sample plan, named after the scenario and its first site."""
    plan: Plan = _samples().sample_plan(1, hourly=False, site_name=scenario.sites[0].name)
    sites = [plan.sites[0].model_copy(update={"site": scenario.sites[0].id})]
    return plan.model_copy(update={"scenario": scenario.name, "sites": sites})


@pytest.fixture()
def test_catalog(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FLATBED_CATALOG_PATH at the small test catalog."""
    monkeypatch.setenv("FLATBED_CATALOG_PATH", str(DATA / "catalog"))
    return DATA / "catalog"


@pytest.fixture()
def scenario_text(test_catalog: Path) -> str:
    return (DATA / "scenario_small.yaml").read_text("utf-8")


@pytest.fixture()
def sample_plan() -> Callable[..., Plan]:
    fn: Callable[..., Plan] = _samples().sample_plan
    return fn


@pytest.fixture()
def planner() -> Callable[[Scenario], Plan]:
    return stub_plan


@pytest.fixture()
def db_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'flatbed-test.db'}"


def pytest_configure(config: object) -> None:
    config.addinivalue_line(  # type: ignore[attr-defined]
        "markers", "browser: drives Debian's Chromium (/usr/bin/chromium) through Playwright")


@pytest.fixture(scope="session")
def samples() -> ModuleType:
    """The report tests' plan_samples module."""
    return _samples()


@pytest.fixture(scope="session")
def stub_planner() -> Callable[[Scenario], Plan]:
    return stub_plan
