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


def test_throughput_range_weights_the_workload_mix() -> None:
    from flatbed.economics.uncertainty import (
        LLM_THROUGHPUT_P10_P90,
        VISION_THROUGHPUT_P10_P90,
        throughput_range,
    )

    llm, vis = throughput_range(1.0, 0.0), throughput_range(0.0, 1.0)
    assert (llm.low, llm.high) == pytest.approx(LLM_THROUGHPUT_P10_P90)
    assert (vis.low, vis.high) == pytest.approx(VISION_THROUGHPUT_P10_P90)
    half = throughput_range(0.5, 0.5)
    assert half.low == pytest.approx((llm.low + vis.low) / 2)
    assert half.high == pytest.approx((llm.high + vis.high) / 2)
    none = throughput_range(0.0, 0.0)
    assert none.low == none.high == 1.0


def test_throughput_error_moves_edge_and_rentals_not_apis() -> None:
    from flatbed.economics.uncertainty import scale_edge, throughput_range

    rng = throughput_range(1.0, 0.0)
    bars = {b["input"]: b for b in tornado(BASE, [rng])}
    bar = bars[rng.name]
    det = float(tco_usd(BASE))
    # less throughput than predicted needs more hardware: dearer; more needs less
    assert float(bar["low_usd"]) > det > float(bar["high_usd"])
    # one-time and site-fixed costs stay whole, so the edge TCO scales less than the hardware
    need = 1.0 / rng.low
    assert float(bar["low_usd"]) < need * det
    assert float(bar["low_usd"]) == pytest.approx(float(tco_usd(scale_edge(BASE, need))))

    fixed_price = InputRange("cloud price", ("cloud_price_scale",), 1.0, 1.0)
    z, v = np.zeros(5), np.full(5, det / 4.0)
    rental = CloudOption("rental", "gpu_rental", z, v, True, "ok")
    api = CloudOption("api", "api", z, v, True, "ok")
    res = monte_carlo(BASE, [rental, api], samples=4_000, seed=3, ranges=[rng],
                      cloud_price=fixed_price)
    assert res.tco_p10_usd < det < res.tco_p90_usd
    # brute force on the same draws: the API costs the same in every sample, so the edge wins
    # where its own sample is below that; the rental's hours scale with the same draw
    api_tco = float(cloud_tco_usd(api, 0.08))
    assert res.p_edge_cheaper["api"] == pytest.approx(float(np.mean(res.edge_tco_usd < api_tco)))
    # the rental costs api_tco / throughput in each sample; recover each sample's need from the
    # edge TCO, which is affine in it: tco(need) = a + b * need
    a_b = np.polyfit([1.0, 2.0], [float(tco_usd(scale_edge(BASE, s))) for s in (1.0, 2.0)], 1)
    need_s = (res.edge_tco_usd - a_b[1]) / a_b[0]
    assert res.p_edge_cheaper["rental"] == pytest.approx(
        float(np.mean(res.edge_tco_usd < api_tco * need_s)))


def test_decode_power_lowers_energy_only_down_to_the_served_measurement() -> None:
    from flatbed.economics.uncertainty import DECODE_POWER_ACTIVITY_LOW, decode_power_range

    assert decode_power_range(0.0) is None
    r = decode_power_range(0.5)
    assert r is not None
    assert r.low == pytest.approx(1.0 - 0.5 * (1.0 - DECODE_POWER_ACTIVITY_LOW)) and r.high == 1.0
    bars = {b["input"]: b for b in tornado(BASE, [*default_ranges(BASE), r], top=20)}
    bar = bars["GPU power in LLM decode"]
    # the base already counts decode at TDP: the high end is the base TCO, the low end the TCO
    # with the energy scaled down
    assert bar["high_usd"] == pytest.approx(tco_usd(BASE))
    assert bar["low_usd"] == pytest.approx(tco_usd(BASE.with_(energy_kwh_per_year=700_000 * r.low)))
    assert bar["low_usd"] < bar["high_usd"]
    # in the Monte Carlo it can only pull the TCO down
    with_decode = monte_carlo(BASE, samples=4000, seed=1, ranges=[*default_ranges(BASE), r])
    without = monte_carlo(BASE, samples=4000, seed=1, ranges=default_ranges(BASE))
    assert with_decode.tco_p50_usd < without.tco_p50_usd
