"""Genset fuel curves against published tables, derating, sizing, UPS, CO2."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from flatbed.facility.power import (
    DIESEL_CO2_KG_PER_L,
    NATURAL_GAS_CO2_KG_PER_M3,
    PowerSupply,
    autonomy_days,
    distribution_loss_kw,
    genset_derate_fraction,
    genset_fuel_per_h,
    gensets_needed,
    grid_ok,
    refuel_trips_per_month,
    sets_running,
    ups_battery_kwh,
    ups_battery_mass_kg,
    willans_line,
)

sys.path.insert(0, str(Path(__file__).parent))
from standins import GENSETS  # noqa: E402

GAL = 3.785411784


@pytest.mark.parametrize("genset", GENSETS, ids=lambda g: g.id)
def test_fuel_curve_reproduces_published_table(genset: object) -> None:
    from flatbed.catalog.records import Genset
    assert isinstance(genset, Genset)
    x = np.asarray(genset.load_fractions)
    y = np.asarray(genset.fuel_per_h)
    assert genset_fuel_per_h(x, genset.load_fractions, genset.fuel_per_h) == pytest.approx(y)
    # Between the published points the piecewise-linear curve stays within 3 % of a smooth
    # (quadratic least-squares) fit of the same table, so interpolation adds no artefacts ...
    quad = np.polyfit(x, y, 2)
    assert np.all(np.abs(np.polyval(quad, x) / y - 1.0) < 0.03)
    mid = np.array([0.375, 0.625, 0.875])
    interp = genset_fuel_per_h(mid, genset.load_fractions, genset.fuel_per_h)
    assert np.all(np.abs(interp / np.polyval(quad, mid) - 1.0) < 0.03)
    # ... and the straight Willans line (fuel linear in load) is within 5 % everywhere.
    a, b = willans_line(genset.load_fractions, genset.fuel_per_h)
    assert np.all(np.abs((a + b * x) / y - 1.0) < 0.05)


def test_500kw_curve_matches_the_independent_gallon_table() -> None:
    # hardydiesel.com chart (R48): 500 kW at 50/75/100 % = 18.5/26.4/35.7 gal/h.
    g = GENSETS[0]
    got = genset_fuel_per_h([0.5, 0.75, 1.0], g.load_fractions, g.fuel_per_h)
    want = np.array([18.5, 26.4, 35.7]) * GAL
    assert np.all(np.abs(got / want - 1.0) < 0.03)


def test_fuel_extrapolates_along_willans_line_below_25pct() -> None:
    g = GENSETS[1]
    f10 = float(genset_fuel_per_h(0.10, g.load_fractions, g.fuel_per_h))
    slope = (137.8 - 81.8) / 0.25
    assert f10 == pytest.approx(81.8 - 0.15 * slope)
    assert float(genset_fuel_per_h(0.0, g.load_fractions, g.fuel_per_h)) > 0  # no-load burn


def test_specific_output_is_best_near_full_load() -> None:
    g = GENSETS[1]
    x = np.array([0.25, 0.5, 0.75, 1.0])
    kwh_per_l = g.rating_kw * x / genset_fuel_per_h(x, g.load_fractions, g.fuel_per_h)
    assert kwh_per_l[2] == pytest.approx(3.80, abs=0.01)  # research §6a: 3.80 kWh/L at 75 %
    assert kwh_per_l[0] < kwh_per_l[2]


def test_stamford_derating() -> None:
    kw = dict(altitude_derate_per_500m_above_1000m=0.03, temp_derate_per_5c_above_40c=0.03)
    assert float(genset_derate_fraction(900.0, 35.0, **kw)) == 1.0
    assert float(genset_derate_fraction(2000.0, 35.0, **kw)) == pytest.approx(0.94)
    assert float(genset_derate_fraction(0.0, 50.0, **kw)) == pytest.approx(0.94)
    assert float(genset_derate_fraction(2000.0, 50.0, **kw)) == pytest.approx(0.94 * 0.94)


def test_n_plus_one_sizing() -> None:
    assert gensets_needed(950.0, 500.0, "N") == 2
    assert gensets_needed(950.0, 500.0, "N+1") == 3
    assert gensets_needed(1000.0, 500.0, "N") == 2
    assert gensets_needed(0.0, 500.0) == 0


def test_load_dependent_start_stop() -> None:
    n = sets_running([100.0, 400.0, 401.0, 2000.0], 500.0, installed_duty=3)
    assert list(n) == [1, 1, 2, 3]


def test_generator_supply_fuel_equals_sum_over_running_sets() -> None:
    g = GENSETS[0]
    s = PowerSupply(kind="generator", genset=g, units=3, duty_units=2)
    load = np.array([200.0, 600.0])
    fuel = s.fuel_per_h(load, 25.0)
    assert fuel[0] == pytest.approx(float(genset_fuel_per_h(0.4, g.load_fractions, g.fuel_per_h)))
    assert fuel[1] == pytest.approx(2 * float(genset_fuel_per_h(0.6, g.load_fractions,
                                                                 g.fuel_per_h)))
    assert s.co2_kg_per_fuel_unit == DIESEL_CO2_KG_PER_L


def test_co2_factors_from_eia_coefficients() -> None:
    assert pytest.approx(10.15 / GAL, abs=0.005) == DIESEL_CO2_KG_PER_L
    assert pytest.approx(53.06e-6 * 1029 * 35.3147, abs=0.005) == NATURAL_GAS_CO2_KG_PER_M3


def test_ups_sizing_closed_form_and_wp229_mass() -> None:
    # 200 kW for 7 min: 23.3 kWh delivered; installed = 23.3 / (0.96 × 0.8).
    e = ups_battery_kwh(200.0, 420.0)
    assert e == pytest.approx(200.0 * 7 / 60 / (0.96 * 0.8))
    assert ups_battery_mass_kg(200.0 * 7 / 60) == pytest.approx(550.0)  # Schneider WP229


def test_fuel_logistics() -> None:
    assert autonomy_days(30_000.0, 6_000.0) == pytest.approx(5.0)
    assert math.isinf(autonomy_days(1.0, 0.0))
    assert refuel_trips_per_month(360_000.0) == pytest.approx(1.0)


def test_distribution_losses_and_grid_check() -> None:
    assert float(distribution_loss_kw(100.0, 0.96, 0.985)) == pytest.approx(
        100.0 / (0.96 * 0.985) - 100.0)
    assert grid_ok(400.0, 500.0) and not grid_ok(600.0, 500.0) and not grid_ok(1.0, 0.0)
