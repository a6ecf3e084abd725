"""Psychrometrics against published tables and an independent wet-bulb formula."""

from __future__ import annotations

import numpy as np
import pytest

from flatbed.facility.psychro import (
    air_density_kg_per_m3,
    density_ratio_at_elevation,
    dew_point_c,
    pressure_pa_at_elevation,
    relative_humidity_pct,
    saturation_vapor_pressure_pa,
    wet_bulb_c,
    wet_bulb_stull_c,
)


def test_standard_atmosphere_matches_ashrae_table() -> None:
    # ASHRAE Fundamentals 2017 ch. 1 Table 1: 1,000 m → 89.88 kPa, 2,000 m → 79.50 kPa.
    p = pressure_pa_at_elevation([0.0, 1000.0, 2000.0])
    assert p[0] == pytest.approx(101_325.0)
    assert p[1] == pytest.approx(89_875.0, rel=2e-3)
    assert p[2] == pytest.approx(79_495.0, rel=2e-3)


@pytest.mark.parametrize("feet,ratio", [(2000, 0.93), (4000, 0.86), (6000, 0.80),
                                        (8000, 0.74), (10000, 0.69)])
def test_density_ratio_matches_inres_altitude_table(feet: int, ratio: float) -> None:
    # Inres "Data Heat Load" altitude correction table (research notes §3c).
    assert density_ratio_at_elevation(feet * 0.3048) == pytest.approx(ratio, abs=0.006)


def test_air_density_at_sea_level_20c() -> None:
    # Dry air at 20 °C, 101.325 kPa: 1.204 kg/m³ (standard tables).
    assert air_density_kg_per_m3(101_325.0, 20.0) == pytest.approx(1.204, abs=0.002)


def test_saturation_pressure_published_values() -> None:
    # Saturation pressure over water (ASHRAE Fundamentals Table 3): 20 °C 2.339 kPa, 40 °C 7.385.
    assert saturation_vapor_pressure_pa(20.0) == pytest.approx(2339.0, rel=3e-3)
    assert saturation_vapor_pressure_pa(40.0) == pytest.approx(7385.0, rel=4e-3)


def test_dew_point_and_rh_round_trip() -> None:
    t = np.linspace(-20, 45, 27)
    rh = np.linspace(5, 100, 27)
    assert relative_humidity_pct(t, dew_point_c(t, rh)) == pytest.approx(rh, abs=1e-6)


def test_wet_bulb_agrees_with_stull_at_sea_level() -> None:
    t, rh = np.meshgrid(np.arange(6.0, 46.0, 3.0), np.arange(10.0, 96.0, 5.0))
    t, rh = t.ravel(), rh.ravel()
    twb = wet_bulb_c(t, dew_point_c(t, rh), 101_325.0)
    assert np.max(np.abs(twb - wet_bulb_stull_c(t, rh))) < 1.0


def test_wet_bulb_bounds_and_saturation() -> None:
    t = np.array([35.0, 10.0, -5.0])
    td = np.array([35.0, 0.0, -15.0])
    twb = wet_bulb_c(t, td, 101_325.0)
    assert twb[0] == pytest.approx(35.0, abs=1e-6)  # saturated air: wet-bulb = dry-bulb
    assert np.all(twb <= t + 1e-9) and np.all(twb >= td - 1e-9)


def test_wet_bulb_falls_with_altitude_for_same_dew_point() -> None:
    # Lower pressure → more evaporation per unit vapour pressure deficit → lower wet-bulb.
    sea = wet_bulb_c(35.0, 10.0, 101_325.0)
    high = wet_bulb_c(35.0, 10.0, float(pressure_pa_at_elevation(2500.0)))
    assert high < sea
