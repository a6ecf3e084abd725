"""Cooling models: physics sanity (monotone in ambient, altitude density scaling) and formulas."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flatbed.catalog.records import CoolingSystem
from flatbed.facility.cooling import (
    CAPACITY_FALLOFF_K,
    airflow_cfm,
    airflow_m3_per_s,
    compressor_heat_fraction,
    cooling_model,
    cooling_power_kw,
    cop,
    heat_capacity_kw,
    inlet_limit_c,
    max_ambient_c,
    server_air_delta_t_k,
    water_flow_l_per_s,
)
from flatbed.facility.psychro import density_ratio_at_elevation

sys.path.insert(0, str(Path(__file__).parent))
from standins import AIR, AIR_FREE, DGX_H100, DLC, DX, RDHX  # noqa: E402

ALL = [AIR, AIR_FREE, DX, DLC, RDHX]
AMBIENT = np.linspace(-25.0, 55.0, 321)


def _model(system: CoolingSystem, elevation_m: float = 0.0) -> object:
    return cooling_model(system, inlet_max_c=30.0, design_heat_kw=320.0, elevation_m=elevation_m,
                         air_delta_t_k=16.0)


def test_dgx_airflow_worked_example() -> None:
    # Research §3c: one DGX H100 at 10.2 kW, ΔT 20 °F → 3.16 × 10,200 / 20 ≈ 1,612 CFM.
    assert airflow_cfm(10.2, 20.0 / 1.8) == pytest.approx(1611.6, rel=1e-3)
    # ... and ≈ 2,015 CFM at 6,000 ft (×1.25).
    assert airflow_cfm(10.2, 20.0 / 1.8, 6000 * 0.3048) == pytest.approx(2015.0, rel=0.01)


def test_airflow_154_cfm_per_kw_rule_of_thumb() -> None:
    # Inres: 154 CFM per kW at ΔT = 20 °F, sea level (research §3c).
    # 3.16 × 1,000 / 20 = 158 CFM: the two published rules agree within 3 %.
    assert airflow_cfm(1.0, 20.0 / 1.8) == pytest.approx(154.0, rel=0.03)


@pytest.mark.parametrize("elevation_m", [500.0, 1609.0, 3000.0, 4500.0])
def test_higher_elevation_raises_airflow_by_density_ratio(elevation_m: float) -> None:
    heat = np.array([10.0, 320.0])
    ratio = airflow_cfm(heat, 12.0, elevation_m) / airflow_cfm(heat, 12.0, 0.0)
    assert ratio == pytest.approx(1.0 / density_ratio_at_elevation(elevation_m), rel=1e-12)
    assert np.all(ratio > 1.0)


def test_si_airflow_matches_rho_cp_formula() -> None:
    # V = P / (ρ c_p ΔT) with ρ ≈ 1.2, c_p ≈ 1,005 → ≈ 0.083 m³/s per kW at ΔT 10 K (research §3c).
    assert airflow_m3_per_s(1.0, 10.0) == pytest.approx(1.0 / (1.2 * 1.005 * 10.0), rel=0.03)


def test_water_flow_closed_form() -> None:
    # 100 kW at 10 K: 100 / (4.18 × 10) kg/s = 2.39 kg/s ≈ 2.40 L/s.
    assert water_flow_l_per_s(100.0, 10.0) == pytest.approx(2.392 / 0.997, rel=1e-3)


def test_dgx_air_delta_t_from_airflow() -> None:
    # 1,105 CFM at 10.2 kW → ΔT ≈ 29 °F ≈ 16 K (research §3c).
    assert server_air_delta_t_k(DGX_H100) == pytest.approx(16.2, abs=0.1)


def test_ashrae_altitude_derating() -> None:
    assert inlet_limit_c(30.0, 500.0) == 30.0
    assert inlet_limit_c(30.0, 900.0) == 30.0
    assert inlet_limit_c(30.0, 1800.0) == pytest.approx(27.0)


@pytest.mark.parametrize("system", ALL, ids=lambda s: s.id)
@pytest.mark.parametrize("heat_kw", [50.0, 200.0, 320.0])
def test_hotter_ambient_never_lowers_cooling_power(system: CoolingSystem, heat_kw: float) -> None:
    m = _model(system)
    p = cooling_power_kw(heat_kw, AMBIENT, m).total_kw  # type: ignore[arg-type]
    assert np.all(np.diff(p) >= -1e-12)


@pytest.mark.parametrize("system", ALL, ids=lambda s: s.id)
def test_capacity_never_rises_with_ambient(system: CoolingSystem) -> None:
    cap = heat_capacity_kw(AMBIENT, _model(system))  # type: ignore[arg-type]
    assert np.all(np.diff(cap) <= 1e-12)
    assert cap[0] == pytest.approx(320.0) and cap[-1] < 320.0


@pytest.mark.parametrize("system", ALL, ids=lambda s: s.id)
@pytest.mark.parametrize("q", [0.3, 0.7, 1.0])
def test_max_ambient_is_the_edge_of_capacity(system: CoolingSystem, q: float) -> None:
    m = _model(system)
    t = max_ambient_c(m, q)  # type: ignore[arg-type]
    assert heat_capacity_kw(t - 1e-6, m) >= q * 320.0 - 1e-6  # type: ignore[arg-type]
    assert heat_capacity_kw(t + 0.05, m) < q * 320.0  # type: ignore[arg-type]


def test_free_air_limit_is_inlet_minus_approach() -> None:
    m = _model(AIR_FREE)
    # 30 °C inlet, 3 K approach at design load: holds full load up to 27 °C, none at 30 °C.
    assert max_ambient_c(m, 1.0) == pytest.approx(27.0)  # type: ignore[arg-type]
    assert heat_capacity_kw(30.0, m) == pytest.approx(0.0)  # type: ignore[arg-type]
    assert cooling_power_kw(320.0, 40.0, m).compressor_kw == 0.0  # type: ignore[arg-type]


def test_compressor_capacity_falls_off_above_rating() -> None:
    m = _model(DX)
    assert heat_capacity_kw(DX.max_ambient_c, m) == pytest.approx(320.0)  # type: ignore[arg-type]
    half = DX.max_ambient_c + CAPACITY_FALLOFF_K / 2
    assert heat_capacity_kw(half, m) == pytest.approx(160.0)  # type: ignore[arg-type]


def test_compressor_power_is_heat_over_cop() -> None:
    m = _model(DX)  # no economizer: the compressor carries all the heat
    p = cooling_power_kw(300.0, 35.0, m)  # type: ignore[arg-type]
    assert float(p.compressor_kw) == pytest.approx(300.0 / 3.0)
    assert float(cop(45.0, 3.0, -0.025)) == pytest.approx(3.0 * 0.75)


def test_economizer_carries_everything_below_its_limit() -> None:
    m = _model(AIR)  # economizer up to 22 °C
    assert float(compressor_heat_fraction(21.9, 320.0, m)) == 0.0  # type: ignore[arg-type]
    assert float(compressor_heat_fraction(22.0 + 16.0, 320.0, m)) == 1.0  # type: ignore[arg-type]
    f_mid = float(compressor_heat_fraction(30.0, 320.0, m))  # type: ignore[arg-type]
    assert f_mid == pytest.approx(8.0 / 16.0)


def test_fan_power_scales_with_inverse_density_squared_for_air() -> None:
    sea = cooling_power_kw(200.0, 10.0, _model(AIR_FREE, 0.0)).fan_kw  # type: ignore[arg-type]
    high = cooling_power_kw(200.0, 10.0, _model(AIR_FREE, 2000.0)).fan_kw  # type: ignore[arg-type]
    assert float(high / sea) == pytest.approx(1.0 / float(density_ratio_at_elevation(2000.0)) ** 2)


def test_liquid_holds_hotter_ambient_than_free_air() -> None:
    assert max_ambient_c(_model(DLC)) > max_ambient_c(_model(AIR_FREE))  # type: ignore[arg-type]
