"""GPU power cap as a dimension of the single-site search."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flatbed.catalog import Accelerator, Server, builtin_catalog
from flatbed.errors import InputError
from flatbed.plan.chain import capped_server, site_context
from flatbed.plan.choose import search_site
from flatbed.scenario import parse_scenario

sys.path.insert(0, str(Path(__file__).parent))
from test_single_site_search import SCENARIO  # noqa: E402  (the brute-force test's site)


def _text(grid_kw: float, caps: str) -> str:
    return (SCENARIO.format(climate="chicago", grid_kw=grid_kw)
            + f"  power_source: grid\n  power_caps: {caps}\n")


def _search(grid_kw: float, caps: str):  # type: ignore[no-untyped-def]
    cat = builtin_catalog()
    scen = parse_scenario(_text(grid_kw, caps), "t.yaml", cat)
    return search_site(site_context(scen, scen.sites[0], cat))


def test_a_cap_fits_a_grid_connection_the_uncapped_plan_exceeds() -> None:
    # uncapped the cheapest way to serve both needs ~1.33 kW at the meter; 1.32 kW is available
    uncapped = _search(1.32, "[1.0]")
    assert not uncapped.best.feasible
    assert any(c in ("power", "cooling") for c, _ in uncapped.best.problems)
    capped = _search(1.32, "[1.0, 0.8, 0.6]")
    assert capped.best.feasible
    assert capped.best.option.power_cap < 1.0
    assert capped.best.facility is not None
    assert capped.best.facility.facility_kw_peak <= 1.32
    # the capped GPUs do less work each: never fewer of them than uncapped
    by_cap = {r.option.power_cap: r for r in capped.evaluated
              if r.option.workloads == capped.best.option.workloads
              and r.option.cooling == capped.best.option.cooling}
    assert sum(s.gpus for s in by_cap[capped.best.option.power_cap].sizings) >= sum(
        s.gpus for s in by_cap[1.0].sizings)


def test_uncapped_only_search_never_offers_a_cap() -> None:
    res = _search(200, "[1.0]")
    assert {r.option.power_cap for r in res.evaluated} == {1.0}
    assert all("GPU power" not in r.option for r in res.rejected)


def test_capped_server_loses_the_gpu_power_above_the_cap() -> None:
    cat = builtin_catalog()
    srv = cat.get("servers", "DGX-H100", Server)
    acc = cat.get("accelerators", srv.accelerator, Accelerator)
    cut = capped_server(srv, acc, 0.6)
    assert cut.max_power_kw == pytest.approx(
        srv.max_power_kw - srv.accelerator_count * 0.4 * acc.tdp_w / 1e3)
    assert cut.idle_power_kw == srv.idle_power_kw and cut.price_usd == srv.price_usd
    assert capped_server(srv, acc, 1.0) is srv
    # never below idle, however deep the cap
    assert capped_server(srv, acc, 0.01).max_power_kw >= srv.idle_power_kw


@pytest.mark.parametrize("caps", ["[0]", "[1.5]", "[]", "[1.0, -0.2]"])
def test_bad_power_caps_are_input_errors(caps: str) -> None:
    with pytest.raises(InputError, match="power_caps"):
        parse_scenario(_text(10, caps), "t.yaml", builtin_catalog())
