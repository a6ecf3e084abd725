"""Time value of money: discounting, annuities, NPV, financing cash flows and break-even.

Pure, vectorized functions (floats or numpy arrays in, same shape out). Conventions:

- Rates are *effective annual* rates [1/yr]. A monthly series is discounted with the equivalent
  monthly rate ``(1 + r)**(1/12) - 1``, so twelve monthly periods compound to exactly one year.
- Cash flows are end-of-period (ordinary annuity) unless stated: period ``t`` is discounted by
  ``(1 + i)**-t``; period 0 is "now" and is not discounted.
- Zero interest is handled exactly (limits of the closed forms), not by a tiny epsilon.

Sources: the closed forms are the standard engineering-economics factors (capital recovery factor
A/P, present-worth factor P/A) as tabulated in e.g. Newnan, Eschenbach & Lavelle, *Engineering
Economic Analysis*, ch. 4, and NREL's "Simple Levelized Cost of Energy" calculator documentation
(https://www.nrel.gov/analysis/tech-lcoe-documentation.html, accessed 2026-11) for the CRF.
A hand-worked example is in ``docs/economics.md`` and reproduced by the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
Num = float | FloatArray

__all__ = [
    "annuity_payment_usd",
    "breakeven_month",
    "breakeven_utilization",
    "capital_recovery_factor",
    "discount_factor",
    "finance_cash_flows_usd",
    "monthly_rate",
    "npv_usd",
    "present_value_usd",
    "present_worth_factor",
]


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _out(x: FloatArray, like: ArrayLike) -> Num:
    return float(x) if np.ndim(like) == 0 and np.ndim(x) == 0 else x


def monthly_rate(annual_rate: Num) -> Num:
    """Monthly rate equivalent to an effective annual rate.

    ``i_m = (1 + r)**(1/12) - 1`` [1/month], so ``(1 + i_m)**12 == 1 + r`` exactly.
    """
    r = _arr(annual_rate)
    return _out(np.power(1.0 + r, 1.0 / 12.0) - 1.0, annual_rate)


def discount_factor(rate: Num, periods: Num) -> Num:
    """Present value of 1 paid after ``periods`` periods at ``rate`` per period: ``(1+i)**-t``."""
    i, t = _arr(rate), _arr(periods)
    return _out(np.power(1.0 + i, -t), i + t)


def present_value_usd(amount_usd: Num, rate: Num, periods: Num) -> Num:
    """Present value [USD] of ``amount_usd`` paid after ``periods`` periods at ``rate``."""
    a, i, t = _arr(amount_usd), _arr(rate), _arr(periods)
    res = a * np.power(1.0 + i, -t)
    return _out(res, a + i + t)


def present_worth_factor(rate: Num, n_periods: Num) -> Num:
    """Uniform-series present-worth factor (P/A, i, n) [periods].

    ``(1 - (1 + i)**-n) / i``; equals ``n`` at ``i = 0``. The PV of ``n`` end-of-period payments of
    1. Source: Newnan et al., *Engineering Economic Analysis*, table of interest factors.
    """
    i, n = _arr(rate), _arr(n_periods)
    zero = i == 0.0
    safe_i = np.where(zero, 1.0, i)
    # expm1/log1p keep full precision for tiny rates (no 1 - (1 + i)**-n cancellation)
    res = np.where(zero, n, -np.expm1(-n * np.log1p(safe_i)) / safe_i)
    return _out(res, i + n)


def capital_recovery_factor(rate: Num, n_periods: Num) -> Num:
    """Capital recovery factor (A/P, i, n) [1/period].

    ``i (1 + i)**n / ((1 + i)**n - 1)``; equals ``1/n`` at ``i = 0``. The level payment per period
    that repays a principal of 1 over ``n`` periods. Source: NREL LCOE documentation (CRF).
    """
    i, n = _arr(rate), _arr(n_periods)
    if np.any(n <= 0):
        raise ValueError("n_periods must be positive")
    zero = i == 0.0
    safe_i = np.where(zero, 1.0, i)
    growth_m1 = np.expm1(n * np.log1p(safe_i))  # (1 + i)**n - 1 without cancellation
    res = np.where(zero, 1.0 / n, safe_i * (growth_m1 + 1.0) / growth_m1)
    return _out(res, i + n)


def annuity_payment_usd(principal_usd: Num, rate: Num, n_periods: Num) -> Num:
    """Level end-of-period payment [USD/period] amortizing ``principal_usd`` over ``n_periods``."""
    p = _arr(principal_usd)
    crf = _arr(capital_recovery_factor(rate, n_periods))
    return _out(p * crf, p + crf)


def npv_usd(
    cash_flows_usd: Sequence[float] | FloatArray,
    annual_rate: Num,
    periods_per_year: int = 1,
    first_period: int = 0,
) -> Num:
    """Net present value [USD] of a cash-flow series.

    Parameters
    ----------
    cash_flows_usd
        Flows [USD], last axis is time. Flow ``k`` occurs at period ``first_period + k``.
    annual_rate
        Effective annual discount rate [1/yr]; may be an array (one NPV per rate).
    periods_per_year
        1 for yearly, 12 for monthly flows.
    first_period
        Period of the first flow: 0 = now (undiscounted, e.g. capex), 1 = end of first period.

    Returns
    -------
    NPV: ``sum_k CF_k (1 + r)**(-(first_period + k) / periods_per_year)``.
    """
    cf = _arr(cash_flows_usd)
    r = _arr(annual_rate)
    t = (first_period + np.arange(cf.shape[-1], dtype=np.float64)) / periods_per_year
    df = np.power(1.0 + r[..., None], -t)
    res = np.sum(cf * df, axis=-1)
    return _out(res, r if cf.ndim <= 1 else cf[..., 0])


def finance_cash_flows_usd(
    capex_usd: float,
    months: int,
    mode: Literal["buy", "lease", "finance"] = "buy",
    annual_rate: float = 0.08,
    term_months: int | None = None,
    lease_spread: float = 0.03,
    residual_usd: float = 0.0,
) -> FloatArray:
    """Monthly cash flows [USD] for acquiring ``capex_usd`` of equipment, months ``0..months``.

    - ``buy``: the whole price at month 0.
    - ``finance``: a loan at ``annual_rate`` (the user's cost of capital) repaid by level monthly
      payments (annuity) over ``term_months`` (default: the whole horizon). At a loan rate equal
      to the discount rate the NPV equals ``capex_usd`` (financing is value-neutral).
    - ``lease``: the lessor finances at ``annual_rate + lease_spread`` and keeps the equipment; the
      lessee pays a level monthly rent on ``capex_usd - PV(residual_usd)`` over the term. The
      3 %/yr spread is a labelled estimate of a lessor's margin over the lessee's cost of capital.

    Payments beyond ``months`` are not included (the term is clipped to the horizon).
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    out = np.zeros(months + 1)
    term = months if term_months is None else min(term_months, months)
    if mode == "buy":
        out[0] = capex_usd
        return out
    if mode == "finance":
        pay = annuity_payment_usd(capex_usd, monthly_rate(annual_rate), term)
    elif mode == "lease":
        i_m = monthly_rate(annual_rate + lease_spread)
        principal = capex_usd - present_value_usd(residual_usd, i_m, term)
        pay = annuity_payment_usd(principal, i_m, term)
    else:
        raise ValueError(f"unknown finance mode {mode!r}")
    out[1 : term + 1] = float(pay)
    return out


def breakeven_month(
    cumulative_a_usd: ArrayLike,
    cumulative_b_usd: ArrayLike,
) -> int | None:
    """First month where option A's cumulative cost has fallen to or below option B's.

    Both series are cumulative costs at months ``0, 1, ..., M`` (same length). A is typically the
    edge option (high upfront, low running cost), B a cloud option. Returns ``None`` when A never
    becomes as cheap as B within the series; returns 0 when A is never dearer.
    """
    a, b = _arr(cumulative_a_usd), _arr(cumulative_b_usd)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("need two 1-D cumulative series of the same length")
    ok = np.nonzero(a <= b + 1e-9 * np.maximum(1.0, np.abs(b)))[0]
    return int(ok[0]) if ok.size else None


def breakeven_utilization(
    edge_fixed_usd: float,
    edge_variable_usd: float,
    cloud_fixed_usd: float,
    cloud_variable_usd: float,
    planned_utilization: float = 1.0,
) -> float | None:
    """Lowest utilization from which the edge is no dearer than the cloud, up to 100 %.

    Costs are linear in the load: ``fixed + variable * s`` with ``s`` the load relative to the
    plan (1 = as planned); the plan's average utilization of the edge capacity is
    ``planned_utilization``, so utilization ``u = s * planned_utilization`` and full utilization is
    ``s = 1 / planned_utilization``. Solves ``Ef + Ev s = Cf + Cv s``:

    - cloud cost grows faster with load (``Cv > Ev``): the edge wins for ``s >= s*``; returns
      ``max(0, s*) * planned_utilization``, or ``None`` when that exceeds 1;
    - otherwise the edge is cheapest at low load, so there is a threshold only if the edge is no
      dearer over the whole range: returns 0.0 when it is no dearer at full utilization, else
      ``None`` (the edge never wins from some utilization upward).
    """
    if planned_utilization <= 0:
        raise ValueError("planned_utilization must be positive")
    dv = cloud_variable_usd - edge_variable_usd
    df = edge_fixed_usd - cloud_fixed_usd
    tol = 1e-9 * max(1.0, abs(edge_fixed_usd), abs(cloud_fixed_usd))
    if dv > 0:
        u = max(0.0, df / dv) * planned_utilization
        return u if u <= 1.0 + 1e-12 else None
    s_full = 1.0 / planned_utilization
    return 0.0 if df - dv * s_full <= tol else None
