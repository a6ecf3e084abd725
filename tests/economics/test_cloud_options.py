"""Cloud alternatives: tier pricing by hand, spot rule, 3-year term, APIs, hybrid, residency."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from flatbed.catalog.records import ApiPrice, CloudGpuOffer
from flatbed.economics.cloud import (
    HOURS_PER_YEAR,
    WorkloadDemand,
    api_option,
    cloud_monthly_cumulative_usd,
    cloud_tco_usd,
    gpu_rental_options,
    hybrid_option,
)
from flatbed.economics.finance import npv_usd

Mk = Callable[..., WorkloadDemand]


def by_name(opts: list, name: str):  # type: ignore[no-untyped-def, type-arg]
    return next(o for o in opts if o.name == name)


def test_tier_costs_by_hand(offers: list[CloudGpuOffer], make_llm: Mk) -> None:
    w = make_llm()
    opts = gpu_rental_options(offers, [w], "US", 5)
    od = by_name(opts, "AWS p5.48xlarge on demand")
    hours = 8 * 8760 * 0.7
    egress = 12 * 50 * 0.09
    assert od.variable_usd_by_year[0] == pytest.approx(hours * 6.88 + egress)
    assert od.fixed_usd_by_year.sum() == 0 and od.allowed
    r1 = by_name(opts, "AWS p5.48xlarge reserved 1y")
    assert r1.fixed_usd_by_year[0] == pytest.approx(8 * HOURS_PER_YEAR * 4.50)
    r3 = by_name(opts, "AWS p5.48xlarge reserved 3y")
    assert np.allclose(r3.fixed_usd_by_year[:3], 8 * HOURS_PER_YEAR * 3.10)
    assert np.allclose(r3.fixed_usd_by_year[3:], 8 * HOURS_PER_YEAR * 4.50)
    # Lambda has no reserved tiers
    assert [o.name for o in opts if o.name.startswith("Lambda")] == ["Lambda 8x H100 on demand"]


def test_reserved_rounds_to_whole_instances(offers: list[CloudGpuOffer], make_llm: Mk) -> None:
    from dataclasses import replace

    from flatbed.economics.cloud import CloudGpuDemand
    w = replace(make_llm(), cloud_gpus={"H100-SXM": CloudGpuDemand("H100-SXM", 3, 1000.0)})
    r1 = by_name(gpu_rental_options(offers, [w], "US", 2), "AWS p5.48xlarge reserved 1y")
    assert r1.fixed_usd_by_year[0] == pytest.approx(8 * HOURS_PER_YEAR * 4.50)


def test_spot_needs_permission_and_3y_needs_horizon(
    offers: list[CloudGpuOffer], make_llm: Mk,
) -> None:
    w = make_llm()
    spot = by_name(gpu_rental_options(offers, [w], "US", 2), "AWS p5.48xlarge spot")
    assert not spot.allowed and "two minutes" in spot.reason
    assert by_name(gpu_rental_options(offers, [w], "US", 2, allow_spot=True),
                   "AWS p5.48xlarge spot").allowed
    r3 = by_name(gpu_rental_options(offers, [w], "US", 2), "AWS p5.48xlarge reserved 3y")
    assert not r3.allowed and "longer than the 2-year horizon" in r3.reason


def test_residency_marks_options(
    offers: list[CloudGpuOffer], make_llm: Mk, make_vision: Mk,
) -> None:
    opts = gpu_rental_options(offers, [make_llm(), make_vision()], "US", 5)
    assert opts and all(not o.allowed for o in opts)
    assert all("ITAR, 22 CFR 120.54" in o.reason for o in opts)
    # in-country data in Germany cannot go to us-east-1
    de = gpu_rental_options(offers, [make_llm("in_country", "GDPR")], "DE", 5)
    assert all(not o.allowed for o in de)


def test_offer_without_sizing_is_skipped(offers: list[CloudGpuOffer], make_llm: Mk) -> None:
    other = CloudGpuOffer(id="b200", source="t", currency_year=2026, provider="X", instance="b",
                          accelerator="B200", gpus=8, on_demand_usd_per_gpu_hour=6.0,
                          price_date="2026-09")
    assert gpu_rental_options([other], [make_llm()], "US", 5) == []
    assert len(gpu_rental_options([*offers, other], [make_llm()], "US", 5)) == 5


def test_api_cheapest_and_missing(
    api_prices: list[ApiPrice], make_llm: Mk, make_vision: Mk,
) -> None:
    w = make_llm()
    opt = api_option(api_prices, [w], "US", 3)
    assert opt is not None and opt.allowed
    expect = (w.input_tokens_per_year + w.output_tokens_per_year) / 1e6 * 0.88
    assert opt.variable_usd_by_year[0] == pytest.approx(expect)
    v = make_vision("anywhere", "none")
    vo = api_option(api_prices, [v], "US", 3)
    assert vo is not None and vo.variable_usd_by_year[0] == pytest.approx(
        v.frames_per_year / 1e3 * 1.5)
    from dataclasses import replace
    missing = api_option(api_prices, [replace(w, model="qwen3-8b")], "US", 3)
    assert missing is not None and not missing.allowed and "no API" in missing.reason


def test_hybrid_moves_only_allowed(
    offers: list[CloudGpuOffer], api_prices: list[ApiPrice], make_llm: Mk, make_vision: Mk,
) -> None:
    h = hybrid_option(offers, api_prices, [make_llm(), make_vision()], "US", 5, 0.08)
    assert h is not None and h.allowed and h.edge_share == pytest.approx(0.5)
    assert "assistant" in h.reason and "cameras" not in h.reason
    # nothing restricted -> no hybrid
    assert hybrid_option(offers, api_prices, [make_llm()], "US", 5, 0.08) is None


def test_cloud_tco_discounting_matches_monthly_npv(
    offers: list[CloudGpuOffer], make_llm: Mk,
) -> None:
    opt = by_name(gpu_rental_options(offers, [make_llm()], "US", 5),
                  "AWS p5.48xlarge reserved 3y")
    cum = cloud_monthly_cumulative_usd(opt, 0.08)
    assert cum[-1] == pytest.approx(cloud_tco_usd(opt, 0.08))
    monthly = np.concatenate([[0.0], np.repeat(opt.fixed_usd_by_year / 12, 12)])
    assert cum[-1] == pytest.approx(npv_usd(monthly + 0 * monthly, 0.08, periods_per_year=12)
                                    + npv_usd(np.concatenate(
                                        [[0.0], np.repeat(opt.variable_usd_by_year / 12, 12)]),
                                        0.08, periods_per_year=12))
    assert cloud_tco_usd(opt, 0.0) == pytest.approx(
        opt.fixed_usd_by_year.sum() + opt.variable_usd_by_year.sum())
    vec = cloud_tco_usd(opt, np.array([0.0, 0.08]), np.array([1.0, 0.5]))
    assert isinstance(vec, np.ndarray) and vec.shape == (2,)
