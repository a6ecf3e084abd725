"""Edge TCO: the doc's hand-worked example, monthly series consistency, finance modes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flatbed.economics.finance import npv_usd
from flatbed.economics.opex import residual_value_usd
from flatbed.economics.tco import (
    TcoInputs,
    levelized_usd_per_unit,
    monthly_cash_flows_usd,
    pv_months_factor,
    tco_by_year_usd,
    tco_usd,
)

DOC = TcoInputs(it_capex_usd=100_000, facility_capex_usd=50_000, one_time_capex_usd=10_000,
                energy_kwh_per_year=100_000, usd_per_kwh=0.10, maintenance_fraction=0.05,
                insurance_fraction=0.01, fixed_usd_per_year=20_000, discount_rate=0.10,
                horizon_years=3)


def test_doc_tco_example() -> None:
    assert tco_usd(DOC) == pytest.approx(201_250.81, abs=0.01)
    assert tco_usd(DOC.with_(discount_rate=0.0)) == pytest.approx(197_000.0)
    assert tco_usd(DOC.with_(discount_rate=0.0, hardware_life_years=2.0)) == \
        pytest.approx(287_000.0)


def test_one_year_horizon_zero_interest() -> None:
    x = DOC.with_(discount_rate=0.0, horizon_years=1)
    # 160k + 39k - residual (IT 80k, facility 50k * 14/15)
    assert tco_usd(x) == pytest.approx(160_000 + 39_000 - 80_000 - 50_000 * 14 / 15)


@pytest.mark.parametrize("finance", ["buy", "finance", "lease"])
@pytest.mark.parametrize("life", [2.0, 3.0, 5.0])
@pytest.mark.parametrize("rate", [0.0, 0.07])
def test_monthly_series_matches_closed_form(finance: str, life: float, rate: float) -> None:
    x = DOC.with_(finance=finance, hardware_life_years=life, discount_rate=rate, horizon_years=5)
    cf = monthly_cash_flows_usd(x)
    assert cf.shape == (61,)
    assert npv_usd(cf, rate, periods_per_year=12) == pytest.approx(tco_usd(x), rel=1e-9)
    assert tco_by_year_usd(x).sum() == pytest.approx(tco_usd(x), rel=1e-9)


def test_finance_at_cost_of_capital_equals_buy() -> None:
    buy = tco_usd(DOC.with_(horizon_years=5))
    fin = tco_usd(DOC.with_(horizon_years=5, finance="finance"))
    assert fin == pytest.approx(buy, rel=1e-9)
    dear = tco_usd(DOC.with_(horizon_years=5, finance="finance", loan_rate=0.15))
    assert dear > buy


def test_vectorized_equals_loop() -> None:
    rates = np.array([0.0, 0.05, 0.1])
    lives = np.array([2.0, 4.0, 7.0])
    vec = tco_usd(DOC.with_(discount_rate=rates, hardware_life_years=lives, horizon_years=6))
    loop = [tco_usd(DOC.with_(discount_rate=float(r), hardware_life_years=float(life),
                              horizon_years=6)) for r, life in zip(rates, lives, strict=True)]
    assert np.allclose(vec, np.array(loop, dtype=float))


def test_residual_methods() -> None:
    assert residual_value_usd(1000, 2, 5) == pytest.approx(600)
    assert residual_value_usd(1000, 7, 5) == 0.0
    assert residual_value_usd(1000, 2, 5, "declining") == pytest.approx(1000 * 0.6**2)
    assert residual_value_usd(1000, 10, 5, salvage_fraction=0.1) == pytest.approx(100)


def test_levelized_cost_zero_rate_is_simple_ratio() -> None:
    assert levelized_usd_per_unit(1_000.0, 100.0, 0.0, 5) == pytest.approx(2.0)
    assert np.isnan(levelized_usd_per_unit(1_000.0, 0.0, 0.05, 5))
    # discounting units raises the levelized cost above cost / undiscounted units
    assert levelized_usd_per_unit(1_000.0, 100.0, 0.08, 5) > 2.0


@settings(max_examples=60, deadline=None)
@given(r=st.one_of(st.just(0.0), st.floats(1e-14, 1e-6), st.floats(1e-6, 0.5)),
       months=st.integers(1, 120), start=st.integers(1, 12))
def test_pv_months_factor_brute_force(r: float, months: int, start: int) -> None:
    brute = sum((1 + r) ** (-m / 12) for m in range(start, months + 1))
    assert pv_months_factor(r, months, start) == pytest.approx(brute, rel=1e-10, abs=1e-12)
