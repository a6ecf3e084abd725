"""Tornado and Monte Carlo: reproducible by seed, consistent with the deterministic TCO."""

from __future__ import annotations

import numpy as np
import pytest

from flatbed.economics.cloud import CloudOption, cloud_tco_usd
from flatbed.economics.tco import TcoInputs, tco_usd
from flatbed.economics.uncertainty import InputRange, default_ranges, monte_carlo, tornado

BASE = TcoInputs(it_capex_usd=600_000, facility_capex_usd=500_000, one_time_capex_usd=100_000,
                 energy_kwh_per_year=700_000, usd_per_kwh=0.093, idle_energy_fraction=0.3,
                 fixed_usd_per_year=96_000, discount_rate=0.08, horizon_years=5)


def flat_option(name: str, usd_per_year: float, variable: bool = True) -> CloudOption:
    z = np.zeros(5)
    v = np.full(5, usd_per_year)
    return CloudOption(name, "gpu_rental", z if variable else v, v if variable else z, True, "ok")


def test_tornado_bars_match_one_at_a_time() -> None:
    bars = tornado(BASE)
    assert len(bars) == 8
    swings = [abs(float(b["high_usd"]) - float(b["low_usd"])) for b in bars]
    assert swings == sorted(swings, reverse=True)
    by = {b["input"]: b for b in bars}
    hw = by["hardware life [yr]"]
    assert hw["low_usd"] == pytest.approx(tco_usd(BASE.with_(hardware_life_years=3.0)))
    assert hw["high_usd"] == pytest.approx(tco_usd(BASE.with_(hardware_life_years=7.0)))
    en = by["energy and fuel price"]
    assert en["high_usd"] == pytest.approx(tco_usd(BASE.with_(usd_per_kwh=0.093 * 1.5)))
    names = {r.name for r in default_ranges(BASE)}
    assert {b["input"] for b in bars} <= names


def test_monte_carlo_reproducible_by_seed() -> None:
    opts = [flat_option("cheap", 100_000), flat_option("dear", 10_000_000)]
    a = monte_carlo(BASE, opts, samples=2_000, seed=42)
    b = monte_carlo(BASE, opts, samples=2_000, seed=42)
    c = monte_carlo(BASE, opts, samples=2_000, seed=43)
    assert a.tco_p50_usd == b.tco_p50_usd and a.p_edge_cheaper == b.p_edge_cheaper
    assert np.array_equal(a.edge_tco_usd, b.edge_tco_usd)
    assert a.tco_p50_usd != c.tco_p50_usd
    assert a.tco_p10_usd < a.tco_p50_usd < a.tco_p90_usd
    assert a.p_edge_cheaper["cheap"] == 0.0 and a.p_edge_cheaper["dear"] == 1.0


def test_monte_carlo_brackets_deterministic_and_matches_brute_force() -> None:
    det = float(tco_usd(BASE))
    mc = monte_carlo(BASE, samples=4_000, seed=1)
    assert mc.tco_p10_usd < det < mc.tco_p90_usd
    # with the discount rate and cloud price held fixed, an option costing exactly the
    # deterministic edge TCO must be beaten in the share of samples below it (brute force)
    unit = flat_option("unit", 1.0, variable=False)
    opt = flat_option("same", det / float(cloud_tco_usd(unit, 0.08)), variable=False)
    ranges = [r for r in default_ranges(BASE) if "discount" not in r.name]
    fixed_price = InputRange("cloud price", ("cloud_price_scale",), 1.0, 1.0)
    res = monte_carlo(BASE, [opt], samples=4_000, seed=1, ranges=ranges,
                      cloud_price=fixed_price)
    assert res.p_edge_cheaper["same"] == pytest.approx(float(np.mean(res.edge_tco_usd < det)))
    assert 0.2 < res.p_edge_cheaper["same"] < 0.8
