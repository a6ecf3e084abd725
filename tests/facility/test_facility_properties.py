"""Property tests (hypothesis) over random cooling plants, loads and climates."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flatbed.catalog.records import CoolingSystem
from flatbed.facility.cooling import (
    cooling_model,
    cooling_power_kw,
    heat_capacity_kw,
    max_ambient_c,
)
from flatbed.facility.power import PowerSupply
from flatbed.facility.thermal import simulate_year

KINDS = ["air_containment", "rdhx_active", "direct_liquid", "dx_chiller"]


@st.composite
def plants(draw: st.DrawFn) -> CoolingSystem:
    kind = draw(st.sampled_from(KINDS))
    has_comp = draw(st.booleans())
    econ = draw(st.one_of(st.none(), st.floats(5.0, 38.0)))
    return CoolingSystem(
        id="p", source="property test", kind=kind, max_kw_per_rack=50.0,
        max_ambient_c=draw(st.floats(25.0, 55.0)),
        liquid_fraction=draw(st.floats(0.5, 0.95)) if kind == "direct_liquid" else 0.0,
        fan_power_fraction=draw(st.floats(0.0, 0.08)),
        cop_at_35c=draw(st.floats(1.5, 6.0)) if has_comp else None,
        cop_slope_per_c=draw(st.floats(-0.05, 0.0)) if has_comp else None,
        economizer_max_ambient_c=econ, capex_usd_per_kw=100.0, currency_year=2025,
    )


@settings(max_examples=150, deadline=None)
@given(plant=plants(), heat=st.floats(1.0, 500.0), elev=st.floats(0.0, 4000.0),
       inlet=st.floats(25.0, 40.0))
def test_cooling_power_monotone_and_capacity_consistent(plant: CoolingSystem, heat: float,
                                                        elev: float, inlet: float) -> None:
    m = cooling_model(plant, inlet_max_c=inlet, design_heat_kw=500.0, elevation_m=elev)
    t = np.linspace(-30.0, 60.0, 181)
    p = cooling_power_kw(heat, t, m).total_kw
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert np.all(np.diff(p) >= -1e-9)  # hotter never cheaper
    cap = heat_capacity_kw(t, m)
    assert np.all(np.diff(cap) <= 1e-9) and np.all((cap >= 0) & (cap <= 500.0 + 1e-9))
    q = heat / 500.0
    edge = max_ambient_c(m, q)
    assert heat_capacity_kw(edge - 1e-6, m) >= heat - 1e-6


@settings(max_examples=40, deadline=None)
@given(plant=plants(), servers=st.integers(1, 60), util=st.floats(0.0, 1.0),
       shift=st.floats(-20.0, 25.0), seed=st.integers(0, 1000))
def test_year_energy_balance_and_bounds(plant: CoolingSystem, servers: int, util: float,
                                        shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    h = np.arange(8760)
    amb = shift + 10 * np.sin(2 * np.pi * h / 8760) + 6 * np.sin(2 * np.pi * h / 24) \
        + rng.normal(0, 2, 8760)
    u = np.clip(util + rng.normal(0, 0.1, 8760), 0, 1)
    m = cooling_model(plant, inlet_max_c=30.0, design_heat_kw=max(servers * 10.2, 1.0))
    grid = PowerSupply(kind="grid", grid_kw=1e6, grid_usd_per_kwh=0.1)
    r = simulate_year(ambient_c=amb, utilization=u, servers=servers, server_idle_kw=2.0,
                      server_max_kw=10.2, cooling=m, supply=grid)
    np.testing.assert_allclose(r.facility_kw, r.it_kw + r.cooling_kw + r.loss_kw, rtol=1e-12)
    assert np.all(r.it_kw <= r.it_demand_kw + 1e-9)
    assert np.all((r.throughput_fraction >= 0) & (r.throughput_fraction <= 1 + 1e-12))
    assert 0.0 <= r.throughput_lost_fraction <= 1.0
    assert r.slo_breaking_hours <= r.throttled_hours
    if r.it_energy_kwh_per_year > 0:
        assert r.pue_annual >= 1.0
