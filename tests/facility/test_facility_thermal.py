"""Year simulation: energy balance every hour, monotonicity in climate, throttling behaviour."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flatbed.facility.cooling import CoolingModel, cooling_model
from flatbed.facility.power import DIESEL_CO2_KG_PER_L, PowerSupply, genset_fuel_per_h
from flatbed.facility.thermal import (
    YearResult,
    hourly_utilization,
    linear_throughput,
    simulate_year,
)
from flatbed.facility.weather import synthesize_year

sys.path.insert(0, str(Path(__file__).parent))
from standins import AIR, AIR_FREE, DLC, DX, GENSETS, OSLO, PHOENIX, RDHX  # noqa: E402

GRID = PowerSupply(kind="grid", grid_kw=1000.0, grid_usd_per_kwh=0.1, grid_kg_co2_per_kwh=0.4)
PHX = synthesize_year(PHOENIX)
OSL = synthesize_year(OSLO)
U = hourly_utilization([0.6] * 8 + [1.0] * 12 + [0.8] * 4, 0.9)


def _cm(system: object, elevation_m: float = 0.0) -> CoolingModel:
    return cooling_model(system, inlet_max_c=30.0, design_heat_kw=320.0,  # type: ignore[arg-type]
                         elevation_m=elevation_m, air_delta_t_k=16.2)


def _run(ambient: np.ndarray, system: object, **kw: object) -> YearResult:
    args: dict[str, object] = dict(
        ambient_c=ambient, utilization=U, servers=31, server_idle_kw=2.0, server_max_kw=10.2,
        cooling=_cm(system), supply=GRID, gpu_kw_per_server=5.6)
    args.update(kw)
    return simulate_year(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("system", [AIR, AIR_FREE, DX, DLC, RDHX], ids=lambda s: s.id)
@pytest.mark.parametrize("weather", [PHX, OSL], ids=["phoenix", "oslo"])
def test_energy_balance_every_hour(system: object, weather: object) -> None:
    r = _run(weather.dry_bulb_c, system)  # type: ignore[attr-defined]
    np.testing.assert_allclose(r.facility_kw, r.it_kw + r.cooling_kw + r.loss_kw, rtol=1e-12)
    np.testing.assert_allclose(r.cooling_kw, r.fan_kw + r.compressor_kw, rtol=1e-12)
    assert r.energy_kwh_per_year == pytest.approx(
        r.it_energy_kwh_per_year + r.cooling_energy_kwh_per_year + r.loss_energy_kwh_per_year)
    assert r.pue_annual == pytest.approx(r.facility_kw.sum() / r.it_kw.sum())
    assert np.all(r.it_kw <= r.capacity_kw + 1e-9)
    assert np.all(r.it_kw <= r.it_demand_kw + 1e-9)
    assert r.facility_kw_peak == pytest.approx(r.facility_kw.max())
    # Losses are the UPS/PDU chain: IT / (0.96 × 0.985) − IT.
    np.testing.assert_allclose(r.loss_kw, r.it_kw * (1 / (0.96 * 0.985) - 1), rtol=1e-12)


@pytest.mark.parametrize("system", [AIR, DX, DLC, RDHX], ids=lambda s: s.id)
@pytest.mark.parametrize("shift", [1.0, 5.0, 12.0])
def test_hotter_climate_never_lowers_cooling_energy(system: object, shift: float) -> None:
    base = _run(OSL.dry_bulb_c, system)
    hot = _run(OSL.dry_bulb_c + shift, system)
    # Where the IT load is the same (no throttling in either), cooling power is never lower.
    same = ~base.throttled & ~hot.throttled
    assert np.all(hot.cooling_kw[same] >= base.cooling_kw[same] - 1e-12)
    if not hot.throttled.any():
        assert hot.cooling_energy_kwh_per_year >= base.cooling_energy_kwh_per_year
        assert hot.pue_annual >= base.pue_annual


def test_phoenix_throttles_free_air_and_oslo_barely() -> None:
    phx = _run(PHX.dry_bulb_c, AIR_FREE)
    osl = _run(OSL.dry_bulb_c, AIR_FREE)
    assert phx.throttled_hours > 1000 > 50 > osl.throttled_hours
    assert phx.throughput_lost_fraction > osl.throughput_lost_fraction
    # Throttled hours are exactly the hours where demand exceeds what cooling can reject.
    assert phx.throttled_hours == np.sum(phx.it_demand_kw > phx.capacity_kw)


def test_dlc_throttles_less_than_free_air_in_phoenix() -> None:
    dlc = _run(PHX.dry_bulb_c, DLC)
    assert dlc.throttled_hours < _run(PHX.dry_bulb_c, AIR_FREE).throttled_hours


def test_power_cap_curve_is_used_and_beats_shedding() -> None:
    # A sub-linear perf curve (capped GPUs are more efficient) loses less than linear capping,
    # and capping loses no more than shedding servers.
    def efficient(c: np.ndarray) -> np.ndarray:
        return np.clip(np.sqrt(np.clip(c, 0, 1)), 0, 1)

    lin = _run(PHX.dry_bulb_c, AIR_FREE, throughput_fraction_at_power_cap=linear_throughput)
    eff = _run(PHX.dry_bulb_c, AIR_FREE, throughput_fraction_at_power_cap=efficient)
    shed = _run(PHX.dry_bulb_c, AIR_FREE, on_overheat="shed")
    assert eff.throughput_lost_fraction < lin.throughput_lost_fraction
    assert eff.slo_breaking_hours <= lin.slo_breaking_hours
    assert lin.throughput_lost_fraction <= shed.throughput_lost_fraction + 1e-12
    assert lin.throttled_hours == eff.throttled_hours == shed.throttled_hours


def test_capped_hour_by_hand() -> None:
    # One hour at 29 °C with free air (approach 3 K at 320 kW design, 30 °C limit):
    # capacity = 320 × (30 − 29) / 3 = 106.7 kW for 31 servers → 3.44 kW each.
    amb = np.full(8760, 10.0)
    amb[5000] = 29.0
    r = _run(amb, AIR_FREE, utilization=np.ones(8760))
    cap_kw = 320.0 * 1.0 / 3.0
    assert r.it_kw[5000] == pytest.approx(cap_kw)
    per_server = cap_kw / 31
    other = 10.2 - 5.6
    # Below the non-GPU floor a GPU cap cannot help: whole servers are shed, and the work kept is
    # the share of IT power left.
    assert per_server < other
    assert r.throughput_fraction[5000] == pytest.approx(cap_kw / (31 * 10.2))
    assert r.throttled_hours == 1.0 and r.slo_breaking_hours == 1.0


def test_grid_cost_and_co2() -> None:
    r = _run(OSL.dry_bulb_c, DX)
    assert r.energy_cost_usd_per_year == pytest.approx(r.energy_kwh_per_year * 0.1)
    assert r.co2_t_per_year == pytest.approx(r.energy_kwh_per_year * 0.4 / 1000)
    assert r.fuel_l_per_year == 0.0


def test_genset_fuel_and_co2_by_hand() -> None:
    g = GENSETS[0]
    supply = PowerSupply(kind="generator", genset=g, units=2, duty_units=1,
                         fuel_usd_per_unit=1.0)
    r = _run(OSL.dry_bulb_c, DX, supply=supply)
    by_hand = genset_fuel_per_h(r.facility_kw / g.rating_kw, g.load_fractions, g.fuel_per_h)
    np.testing.assert_allclose(r.fuel_per_h, by_hand, rtol=1e-12)
    assert r.fuel_l_per_year == pytest.approx(by_hand.sum())
    assert r.co2_t_per_year == pytest.approx(by_hand.sum() * DIESEL_CO2_KG_PER_L / 1000)
    assert r.energy_cost_usd_per_year == pytest.approx(by_hand.sum())


def test_idle_cluster_and_views() -> None:
    r = _run(OSL.dry_bulb_c, DX, utilization=np.zeros(8760))
    np.testing.assert_allclose(r.it_kw, np.full(8760, 31 * 2.0))
    assert r.heat_map().shape == (365, 24)
    week = r.hottest_week()
    assert week.shape == (168,)
    assert week.mean() == pytest.approx(OSL.dry_bulb_c[OSL.hottest_week_start():][:168].mean())


def test_hourly_utilization_builder() -> None:
    u = hourly_utilization([0.5] * 12 + [1.0] * 12, 0.8)
    assert u.shape == (8760,) and u[0] == pytest.approx(0.4) and u[23] == pytest.approx(0.8)
    daily = hourly_utilization([1.0] * 24, np.linspace(0.1, 1.0, 365))
    assert daily[24 * 364] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        hourly_utilization([1.0] * 23)


def test_bad_lengths_rejected() -> None:
    with pytest.raises(ValueError):
        _run(np.zeros(100), DX)


def test_elevation_raises_fan_energy() -> None:
    sea = _run(OSL.dry_bulb_c, AIR_FREE)
    high = _run(OSL.dry_bulb_c, AIR_FREE, cooling=_cm(AIR_FREE, 1500.0))
    assert high.cooling_energy_kwh_per_year > sea.cooling_energy_kwh_per_year


def test_gpu_cap_never_below_the_settable_minimum() -> None:
    # A perf-like curve that still promises 44 % at a "zero" cap must not be credited for power
    # the GPUs cannot be capped to: below other + min_cap × GPU power, servers are shed.
    def perf_like(c: np.ndarray) -> np.ndarray:
        return np.asarray(0.44 + 0.56 * np.clip((c - 0.2857) / 0.7143, 0, 1), dtype=float)

    amb = np.full(8760, 10.0)
    amb[4000] = 29.0  # free air: capacity 106.7 kW, 3.44 kW per server
    amb[4001] = 27.5  # capacity 266.7 kW, 8.60 kW per server (above the floor)
    r = _run(amb, AIR_FREE, utilization=np.ones(8760), throughput_fraction_at_power_cap=perf_like,
             min_cap_fraction=200 / 700)
    other, gpu = 10.2 - 5.6, 5.6
    floor = other + gpu * 200 / 700
    per = 320.0 / 3.0 / 31
    assert per < floor
    cap_way = per / floor * 0.44
    shed_way = per / 10.2
    assert r.throughput_fraction[4000] == pytest.approx(max(cap_way, shed_way))
    per2 = 320.0 * 2.5 / 3.0 / 31
    c2 = (per2 - other) / gpu
    capped = float(perf_like(np.array([c2]))[0])
    assert r.throughput_fraction[4001] == pytest.approx(max(capped, per2 / 10.2))
