"""GPU power cap as a dimension of the single-site search."""

from __future__ import annotations

import textwrap

import pytest

from flatbed.catalog import Accelerator, Server, builtin_catalog
from flatbed.errors import InputError
from flatbed.plan.chain import capped_server, site_context
from flatbed.plan.choose import search_site
from flatbed.scenario import parse_scenario

SCENARIO = textwrap.dedent("""\
    name: capped
    sites:
      - id: clinic
        country: US
        latitude: 41.9
        longitude: -87.6
        climate: chicago
        grid_kw: {grid_kw}
    workloads:
      - id: cams
        kind: vision
        model: ResNet-50
        streams: 40
        fps: 15
        resolution: [224, 224]
        deadline_p99_ms: 60
        accelerators: [L40S]
      - id: chat
        kind: llm
        model: Llama-3.1-8B
        precision: fp8
        peak_requests_per_s: 2
        input_tokens: {{mean: 1000, dist: lognormal, sigma: 0.5, max: 8000}}
        output_tokens: {{mean: 200, dist: lognormal, sigma: 0.4, max: 1024}}
        ttft_p99_ms: 1500
        tpot_p99_ms: 50
        accelerators: [L40S]
    constraints:
      cooling: [air-containment, rdhx-active]
      modules: [iso-20ft]
      power_source: grid
      power_caps: {caps}
    """)


def _search(grid_kw: float, caps: str):  # type: ignore[no-untyped-def]
    cat = builtin_catalog()
    scen = parse_scenario(SCENARIO.format(grid_kw=grid_kw, caps=caps), "t.yaml", cat)
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
        parse_scenario(SCENARIO.format(grid_kw=10, caps=caps), "t.yaml", builtin_catalog())
