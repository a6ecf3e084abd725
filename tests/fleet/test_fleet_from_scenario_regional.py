"""The scenario bridge and the regional fleet example."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from flatbed.catalog import Catalog, builtin_catalog
from flatbed.catalog.records import Accelerator, Climate, ModelArch, Server
from flatbed.fleet.from_scenario import (
    DIESEL_KWH_PER_L,
    default_unit_designs,
    fleet_from_scenario,
    latency_budget_ms,
    llm_capacity_per_gpu_peak,
    site_energy_usd_per_kwh,
    unit_capacity,
)
from flatbed.fleet.model import UnitType, max_units_at
from flatbed.fleet.solve import solve_fleet
from flatbed.scenario import LLMWorkload, Scenario, VisionWorkload, load_scenario

EXAMPLE = str(resources.files("flatbed") / "examples" / "fleet_regional.yaml")


@pytest.fixture(scope="module")
def scen() -> Scenario:
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return builtin_catalog()


def test_example_is_a_real_fleet(scen: Scenario, cat: Catalog) -> None:
    assert len(scen.sites) >= 20
    assert {"US", "DE", "NO", "AE", "IN", "GB"} <= {s.country for s in scen.sites}
    assert {w.kind for w in scen.workloads} == {"llm", "vision"}
    assert {"HIPAA", "ITAR", "GDPR", "none"} <= {w.data.regime for w in scen.workloads}
    assert {"on_site", "in_country", "anywhere"} == {w.data.where for w in scen.workloads}
    for s in scen.sites:
        assert cat.has("climates", s.climate)
        clim = cat.get("climates", s.climate, Climate)
        if s.country != "GB":  # GB sites borrow Frankfurt's climate (documented in the file)
            assert clim.country == s.country
            # each site is within 100 km of its reference climate's station
            assert math.dist((s.latitude, s.longitude), (clim.latitude, clim.longitude)) < 1.0


def test_example_has_too_small_and_too_hot_sites(scen: Scenario, cat: Catalog) -> None:
    inst = fleet_from_scenario(scen, cat)
    sites = {s.id: s for s in inst.sites}
    units = {u.id: u for u in inst.unit_types}
    big = [u for u in units.values() if u.power_kw > 45]
    # too small: 40 kW and no generators hold no 4-server unit
    assert sites["boulder-lab"].power_kw == 40
    assert all(max_units_at(u, sites["boulder-lab"]) == 0 for u in big)
    # too hot: Phoenix's 43.4 °C design day is over air containment's 27 °C limit
    air = {u for u in units if u.endswith("air-containment")}
    assert air and air <= sites["phoenix-fab"].too_hot_for
    assert not sites["drammen-factory"].too_hot_for  # Oslo 26.7 °C: air is fine
    assert sites["denver-dc"].power_kw == math.inf  # generators allowed


def test_bridge_maps_demand_budgets_and_prices(scen: Scenario, cat: Catalog) -> None:
    inst = fleet_from_scenario(scen, cat, periods=5, demand_growth_per_year=0.2)
    fw = {w.id: w for w in inst.workloads}
    sw = {w.id: w for w in scen.workloads}
    chat = sw["denver-support-chat"]
    assert isinstance(chat, LLMWorkload)
    assert fw[chat.id].demand[0] == chat.peak_requests_per_s
    assert fw[chat.id].demand[4] == pytest.approx(chat.peak_requests_per_s * 1.2**4)
    assert fw[chat.id].latency_budget_ms == pytest.approx(0.25 * chat.ttft_p99_ms)
    cam = sw["fc-weld-inspect"]
    assert isinstance(cam, VisionWorkload)
    assert fw[cam.id].demand[0] == cam.streams * cam.fps
    assert fw[cam.id].latency_budget_ms == latency_budget_ms(cam) == 15.0
    assert fw["tempe-clinical-notes"].data_where == "on_site"
    assert fw["tempe-clinical-notes"].regime == "HIPAA"
    # cloud price: the cheapest Llama-3.1-8B API in the catalog for this request shape (1500 in,
    # 250 out; together-small-chat, $0.18 / $0.18 per 1M tokens, 2026-11-26); office-hours
    # profile mean = sum(profile)/24
    apis = [a for a in cat.all("api_prices") if getattr(a, "model", None) == "Llama-3.1-8B"]
    usd_per_request = min(1500 * a.usd_per_million_input_tokens  # type: ignore[attr-defined]
                          + 250 * a.usd_per_million_output_tokens  # type: ignore[attr-defined]
                          for a in apis) / 1e6
    assert usd_per_request == pytest.approx((1500 + 250) * 0.18 / 1e6)
    mean = sum(chat.profile()) / 24
    per_year = mean * 3600 * 8760 * usd_per_request
    assert fw[chat.id].cloud_usd_per_unit_year == pytest.approx(per_year, rel=1e-9)
    # no API in the catalog serves RetinaNet
    assert fw["aero-part-inspect"].cloud_usd_per_unit_year is None
    assert inst.period_years == (1.0,) * 5
    assert inst.discount_rate == 0.08


def test_energy_price_falls_back_to_fuel(scen: Scenario) -> None:
    off_grid = scen.sites[0].model_copy(update={"grid_kw": 0.0, "diesel_usd_per_l": 0.97})
    assert site_energy_usd_per_kwh(off_grid) == pytest.approx(0.97 / DIESEL_KWH_PER_L)
    assert site_energy_usd_per_kwh(scen.sites[0]) == scen.sites[0].grid_usd_per_kwh


def test_perf_capacity_is_near_the_peak_number_estimate(scen: Scenario, cat: Catalog) -> None:
    """Two independent capacity estimates (perf model vs 30 % of peak FLOPs) agree within 3×."""
    w = next(x for x in scen.workloads if x.id == "tempe-clinical-notes")
    assert isinstance(w, LLMWorkload)
    d = next(d for d, _ in default_unit_designs(scen, cat) if d.server == "HGX-H100-8GPU")
    srv = cat.get("servers", d.server, Server)
    acc = cat.get("accelerators", "H100-SXM", Accelerator)
    perf = unit_capacity(srv, acc, 1, w, cat)
    peak = llm_capacity_per_gpu_peak(cat.get("models", w.model, ModelArch), acc, w) * 8
    assert perf > 0 and peak > 0
    assert 1 / 3 < perf / peak < 3


def test_custom_unit_options_are_used(scen: Scenario, cat: Catalog) -> None:
    def one_size(s: Scenario, c: Catalog) -> list[UnitType]:
        return [UnitType("box", {w.id: 1e6 for w in s.workloads}, capex_usd=1e5,
                         power_kw=10.0)]

    inst = fleet_from_scenario(scen, cat, unit_options=one_size, move_usd=1234.0)
    assert [u.id for u in inst.unit_types] == ["box"]
    assert inst.unit_types[0].move_usd == 1234.0
    assert all(not s.too_hot_for for s in inst.sites)  # no ambient limits given
    sol = solve_fleet(inst)
    assert sol.status == "Optimal"


def test_example_solves_and_respects_every_rule(scen: Scenario, cat: Catalog) -> None:
    inst = fleet_from_scenario(scen, cat)
    sol = solve_fleet(inst, mip_rel_gap=1e-6)
    assert sol.status == "Optimal" and sol.optimality_gap <= 1e-6
    site = {s.id: s for s in inst.sites}
    fw = {w.id: w for w in inst.workloads}
    served: dict[str, float] = {}
    for a in sol.assignments:
        w = fw[a.workload]
        served[w.id] = served.get(w.id, 0.0) + a.demand
        if w.data_where == "on_site":
            assert a.site == w.site
        if w.data_where == "in_country":
            assert site[a.site].country == site[w.site].country
        assert a.rtt_ms <= w.latency_budget_ms
        assert a.unit_type not in site[a.site].too_hot_for
    for c in sol.cloud:
        assert fw[c.workload].data_where == "anywhere"
        served[c.workload] = served.get(c.workload, 0.0) + c.demand
    for w in inst.workloads:
        assert served[w.id] == pytest.approx(w.demand[0], rel=1e-6)
    # the small sites hold no unit of their own: neighbours serve them
    assert "boulder-lab" not in {u.site for u in sol.units if u.count}
    assert any(a.home_site == "mainz-lab" and a.site != "mainz-lab" for a in sol.assignments)
