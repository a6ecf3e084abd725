"""Finance functions against closed forms and the hand-worked example in docs/economics.md."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flatbed.economics.finance import (
    annuity_payment_usd,
    breakeven_month,
    breakeven_utilization,
    capital_recovery_factor,
    finance_cash_flows_usd,
    monthly_rate,
    npv_usd,
    present_value_usd,
    present_worth_factor,
)


def test_doc_annuity_example() -> None:
    assert capital_recovery_factor(0.10, 3) == pytest.approx(0.402115, abs=1e-6)
    assert annuity_payment_usd(100_000, 0.10, 3) == pytest.approx(40_211.48, abs=0.01)


def test_doc_annuity_zero_interest_and_one_year() -> None:
    assert annuity_payment_usd(100_000, 0.0, 3) == pytest.approx(33_333.33, abs=0.01)
    assert annuity_payment_usd(100_000, 0.10, 1) == pytest.approx(110_000.0)
    assert annuity_payment_usd(100_000, 0.0, 1) == pytest.approx(100_000.0)


def test_doc_npv_example() -> None:
    flows = [-100_000, 30_000, 40_000, 50_000]
    assert npv_usd(flows, 0.10) == pytest.approx(-2_103.68, abs=0.01)
    assert npv_usd(flows, 0.0) == pytest.approx(20_000.0)


def test_doc_breakeven_example() -> None:
    m = np.arange(0, 61)
    edge = 12_000 + 500.0 * m
    assert breakeven_month(edge, 1_500.0 * m) == 12
    assert breakeven_month(edge, 400.0 * m) is None
    assert breakeven_month(1_500.0 * m, edge) == 0


@settings(max_examples=60, deadline=None)
@given(r=st.floats(0.0, 0.5), n=st.integers(1, 40), p=st.floats(1.0, 1e7))
def test_annuity_repays_principal(r: float, n: int, p: float) -> None:
    """Brute force: discounting the level payments at the loan rate gives back the principal."""
    pay = annuity_payment_usd(p, r, n)
    pv = sum(pay / (1 + r) ** k for k in range(1, n + 1))
    assert pv == pytest.approx(p, rel=1e-9)
    assert present_worth_factor(r, n) * capital_recovery_factor(r, n) == pytest.approx(1.0)


def test_vectorized_over_rates_matches_scalar() -> None:
    rates = np.array([0.0, 0.03, 0.08, 0.2])
    crf = capital_recovery_factor(rates, 7)
    assert isinstance(crf, np.ndarray)
    for r, c in zip(rates, crf, strict=True):
        assert c == pytest.approx(capital_recovery_factor(float(r), 7))
    flows = np.array([-10.0, 4.0, 4.0, 4.0])
    npvs = npv_usd(flows, rates)
    assert np.allclose(npvs, np.array([npv_usd(flows, float(r)) for r in rates], dtype=float))


def test_monthly_rate_compounds_to_annual() -> None:
    assert (1 + monthly_rate(0.10)) ** 12 == pytest.approx(1.10)
    assert monthly_rate(0.0) == 0.0
    # a monthly NPV of one flow at month 12 equals the yearly discount
    flows = np.zeros(13)
    flows[12] = 1.0
    assert npv_usd(flows, 0.10, periods_per_year=12) == pytest.approx(1 / 1.1)
    assert present_value_usd(1.0, 0.10, 1) == pytest.approx(1 / 1.1)


def test_financing_at_cost_of_capital_is_value_neutral() -> None:
    cf = finance_cash_flows_usd(1_000_000, 60, "finance", annual_rate=0.08)
    assert cf[0] == 0.0 and np.allclose(cf[1:], cf[1])
    assert npv_usd(cf, 0.08, periods_per_year=12) == pytest.approx(1_000_000, rel=1e-9)
    buy = finance_cash_flows_usd(1_000_000, 60, "buy")
    assert buy[0] == 1_000_000 and buy[1:].sum() == 0
    # zero interest: payments are the price over the term
    z = finance_cash_flows_usd(120_000, 12, "finance", annual_rate=0.0)
    assert np.allclose(z[1:], 10_000)


def test_lease_costs_more_than_buying_without_residual() -> None:
    lease = finance_cash_flows_usd(1_000_000, 36, "lease", annual_rate=0.08, lease_spread=0.03)
    assert npv_usd(lease, 0.08, periods_per_year=12) > 1_000_000
    # a residual kept by the lessor lowers the rent
    lease_r = finance_cash_flows_usd(1_000_000, 36, "lease", 0.08, residual_usd=300_000)
    assert lease_r[1] < lease[1]


def test_breakeven_utilization_closed_form() -> None:
    # edge 1,000 fixed + 100 per unit load; cloud 0 fixed + 1,100 per unit load -> s* = 1
    assert breakeven_utilization(1_000, 100, 0, 1_100) == pytest.approx(1.0)
    assert breakeven_utilization(1_000, 100, 0, 2_100, planned_utilization=0.6) == \
        pytest.approx(0.3)
    assert breakeven_utilization(1_000, 100, 0, 600) is None  # would need 200 %
    assert breakeven_utilization(500, 100, 1_000, 100) == 0.0  # edge always cheaper
    # cloud fixed (reserved): edge cheapest at low load but dearer at full load -> no threshold
    assert breakeven_utilization(900, 200, 1_000, 0) is None
    assert breakeven_utilization(700, 200, 1_000, 0) == 0.0


def test_crf_rejects_nonpositive_periods() -> None:
    with pytest.raises(ValueError):
        capital_recovery_factor(0.1, 0)
