"""evaluate_facility: the per-site figures and verdicts the plan chain uses."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Climate, CoolingSystem, Module, RoadLimit, Server
from flatbed.facility.evaluate import evaluate_facility, select_genset, weather_for
from flatbed.facility.thermal import hourly_utilization
from flatbed.facility.weather import synthesize_year, write_epw
from flatbed.plan.result import Hourly, SitePlan

sys.path.insert(0, str(Path(__file__).parent))
from standins import (  # noqa: E402
    AIR_FREE,
    DGX_H100,
    DLC,
    DX,
    GENSETS,
    ISO40,
    NVL72,
    OSLO,
    PHOENIX,
    US,
)

U = hourly_utilization([1.0] * 24, 0.85)
PHX = synthesize_year(PHOENIX)
OSL = synthesize_year(OSLO)


def _eval(**kw: object) -> object:
    args: dict[str, object] = dict(server=DGX_H100, servers=31, cooling=AIR_FREE, module=ISO40,
                                   road=US, weather=PHX, utilization=U, gensets=GENSETS)
    args.update(kw)
    return evaluate_facility(**args)  # type: ignore[arg-type]


def test_phoenix_vs_oslo_standins() -> None:
    phx = _eval()
    osl = _eval(weather=OSL)
    assert phx.pue_annual != osl.pue_annual  # type: ignore[attr-defined]
    assert phx.throttled_hours > osl.throttled_hours  # type: ignore[attr-defined]
    assert not phx.feasible  # type: ignore[attr-defined]
    assert phx.binding_constraint.startswith("cooling:")  # type: ignore[attr-defined]
    assert "cannot hold the 30 °C server inlet above 2" in phx.binding_constraint  # type: ignore
    assert "h/yr throttled" in phx.binding_constraint  # type: ignore[attr-defined]
    dlc = _eval(cooling=DLC)
    assert dlc.throttled_hours < phx.throttled_hours  # type: ignore[attr-defined]


def test_tolerated_throttling_is_a_warning() -> None:
    osl = _eval(weather=OSL, max_throttled_hours=500)
    assert osl.feasible and osl.throttled_hours > 0  # type: ignore[attr-defined]
    assert any("throttles" in w for w in osl.warnings)  # type: ignore[attr-defined]
    assert osl.binding_constraint.startswith("cooling:")  # type: ignore[attr-defined]


def test_power_source_choice_and_grid_ceiling() -> None:
    on_grid = _eval(cooling=DX, weather=OSL, grid_kw=2000.0)
    assert on_grid.power_source == "grid" and on_grid.fuel_l_per_year == 0  # type: ignore
    assert on_grid.feasible  # type: ignore[attr-defined]
    small_grid = _eval(cooling=DX, weather=OSL, grid_kw=100.0)
    assert small_grid.power_source == "generator"  # type: ignore[attr-defined]
    assert small_grid.fuel_l_per_year > 0 and small_grid.gensets  # type: ignore[attr-defined]
    forced = _eval(cooling=DX, weather=OSL, grid_kw=100.0, power_source="grid")
    assert any("exceeds the 100 kW grid" in v for v in forced.violations)  # type: ignore
    none = _eval(cooling=DX, weather=OSL, generators_allowed=False)
    assert not none.feasible and none.power_source == "none"  # type: ignore[attr-defined]
    assert none.binding_constraint.startswith("power:")  # type: ignore[attr-defined]


def test_genset_selection_n_plus_one_and_logistics() -> None:
    r = _eval(cooling=DX, weather=PHX)
    (gid, n), = r.gensets.items()  # type: ignore[attr-defined]
    rating = {g.id: g.rating_kw for g in GENSETS}[gid]
    assert (n - 1) * rating * 0.96 >= r.facility_kw_peak  # type: ignore[attr-defined]
    assert r.genset_duty_units == n - 1  # type: ignore[attr-defined]
    assert r.trucks == 1 + 1  # type: ignore[attr-defined]
    fuel_per_day = r.fuel_l_per_year / 365  # type: ignore[attr-defined]
    assert r.autonomy_days == pytest.approx(r.fuel_tank / fuel_per_day)  # type: ignore
    assert r.refuel_trips_per_month == pytest.approx(  # type: ignore[attr-defined]
        r.fuel_l_per_year / 12 / 30_000)  # type: ignore[attr-defined]
    assert r.co2_t_per_year == pytest.approx(r.fuel_l_per_year * 2.68 / 1000)  # type: ignore
    assert select_genset([], 100.0, elevation_m=0, hottest_c=30) is None
    big = select_genset(GENSETS, 1800.0, elevation_m=0, hottest_c=30)
    assert big is not None and big[0].rating_kw * (big[1] - 1) >= 1800.0


def test_liquid_cooled_rack_on_air_is_rejected() -> None:
    r = _eval(server=NVL72, servers=2)
    assert any("liquid-cooled" in v for v in r.violations)  # type: ignore[attr-defined]


def test_pads_and_hourly_export() -> None:
    r = _eval(servers=70, cooling=DX, weather=OSL, pads=2)
    assert r.modules == 3 and any("pads" in v for v in r.violations)  # type: ignore
    h = r.to_hourly()  # type: ignore[attr-defined]
    assert isinstance(h, Hourly) and len(h.ambient_c) == 8760 and h.synthesized_weather
    mp = r.module_plans()  # type: ignore[attr-defined]
    assert mp[0].count == 3 and mp[0].cooling == DX.id
    # Field names line up with the plan's SitePlan where they overlap.
    for name in ("pue_annual", "facility_kw_peak", "throttled_hours", "fuel_l_per_year",
                 "energy_kwh_per_year", "trucks", "co2_t_per_year", "deployment_days"):
        assert name in SitePlan.model_fields and hasattr(r, name)


def test_epw_weather_path(tmp_path: Path) -> None:
    f = tmp_path / "phx.epw"
    write_epw(f, PHX)
    w = weather_for(f, None)
    assert w.synthesized and "phx.epw" in w.source  # a synthesized year keeps its label
    r = _eval(weather=w)
    assert r.throttled_hours == pytest.approx(_eval().throttled_hours, abs=30)  # type: ignore


# ---------------------------------------------------------------------------------------------
# The acceptance case on the real catalog entries.


def _catalog_or_skip() -> object:
    cat = builtin_catalog()
    for kind, name in (("servers", "DGX-H100"), ("cooling", "air-containment"),
                       ("cooling", "direct-liquid"), ("modules", "iso-40ft-hc"),
                       ("road_limits", "US"), ("climates", "phoenix"), ("climates", "oslo")):
        assert cat.has(kind, name), f"catalog entry {kind}/{name} missing"
    return cat


def test_real_catalog_phoenix_vs_oslo_air_and_liquid() -> None:
    cat = _catalog_or_skip()
    get = cat.get  # type: ignore[attr-defined]
    server = get("servers", "DGX-H100", Server)
    module = get("modules", "iso-40ft-hc", Module)
    road = get("road_limits", "US", RoadLimit)
    air = get("cooling", "air-containment", CoolingSystem)
    dlc = get("cooling", "direct-liquid", CoolingSystem)
    gensets = cat.all("gensets")  # type: ignore[attr-defined]
    n = 31  # 316 kW of DGX H100 at nameplate: the "320 kW air-cooled H100 load"
    res = {}
    for cid in ("phoenix", "oslo"):
        w = weather_for(None, get("climates", cid, Climate))
        for cool in (air, dlc):
            res[cid, cool.id] = evaluate_facility(
                server=server, servers=n, cooling=cool, module=module, road=road, weather=w,
                utilization=U, gensets=gensets)
    phx, osl = res["phoenix", air.id], res["oslo", air.id]
    assert phx.pue_annual != pytest.approx(osl.pue_annual, abs=1e-4)
    assert phx.throttled_hours > osl.throttled_hours
    assert phx.throttled_hours > 500
    assert phx.binding_constraint.startswith("cooling:")
    assert air.id in phx.binding_constraint and "30 °C server inlet" in phx.binding_constraint
    liquid = res["phoenix", dlc.id]
    assert liquid.throttled_hours < phx.throttled_hours
    assert liquid.throttled_hours <= 50
    for r in res.values():
        y = r.year
        assert np.allclose(y.facility_kw, y.it_kw + y.cooling_kw + y.loss_kw)
        assert r.trucks >= r.modules >= 1


def test_server_groups_match_single_type_and_mix() -> None:
    single = _eval(cooling=DX, weather=OSL)
    grouped = _eval(server=None, servers=0, server_groups=[(DGX_H100, 31)], cooling=DX,
                    weather=OSL)
    assert grouped.pue_annual == pytest.approx(single.pue_annual)  # type: ignore[attr-defined]
    assert grouped.trucks == single.trucks  # type: ignore[attr-defined]
    # A mix: the cluster power is the sum of both types; the tighter inlet limit governs.
    hot_tolerant = DGX_H100.model_copy(update={"id": "HGX-35C", "inlet_max_c": 35.0,
                                               "max_power_kw": 5.0, "idle_power_kw": 1.0})
    mix = _eval(server=None, server_groups=[(hot_tolerant, 10), (DGX_H100, 20)], cooling=DX,
                weather=OSL, utilization=np.ones(8760))
    assert mix.it_kw_peak == pytest.approx(10 * 5.0 + 20 * 10.2)  # type: ignore[attr-defined]
    assert mix.inlet_limit_c == 30.0  # type: ignore[attr-defined]
    loads = mix.layout.module_loads  # type: ignore[attr-defined]
    ids = {r.server_id for m in loads for r in m.racks}
    assert ids == {"HGX-35C", "DGX-H100"} and sum(m.servers for m in loads) == 30
    assert all(len({r.server_id for r in [rk]}) == 1 for m in loads for rk in m.racks)


def test_tiny_load_on_big_genset_warns_wet_stacking() -> None:
    r = _eval(servers=1, cooling=DX, weather=OSL)
    assert r.power_source == "generator"  # type: ignore[attr-defined]
    assert any("wet stacking" in w for w in r.warnings)  # type: ignore[attr-defined]
    big = _eval(cooling=DX, weather=OSL)
    assert not any("wet stacking" in w for w in big.warnings)  # type: ignore[attr-defined]
