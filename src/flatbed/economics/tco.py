"""Total cost of ownership of the edge option, vectorized over uncertain inputs.

``tco_usd(TcoInputs)`` is the one TCO formula. Every field of :class:`TcoInputs` may be a float or
a numpy array (broadcast together), so the tornado and the Monte Carlo evaluate all their cases in
one call. The same cash flows are laid out month by month by :func:`monthly_cash_flows_usd` for
break-even and per-year series; a test checks the two agree.

Cash-flow model (money in USD of the currency year, i.e. real terms; the discount rate is the
user's real cost of capital, ``Prices.discount_rate``):

- month 0: upfront capex (``buy``), or nothing (``finance``: level monthly loan payments at the
  loan rate over ``min(term, horizon)``; ``lease``: level rent on the equipment, see
  :func:`flatbed.economics.finance.finance_cash_flows_usd`); one-time items are paid upfront in
  every mode;
- months 1..12H: one twelfth of the yearly opex at the end of each month, discounted at the
  monthly rate equivalent to the annual rate;
- IT hardware (servers, networking) is bought again at the same price every
  ``hardware_life_years`` while that is before the horizon (conservative: price per unit of work
  falls between generations);
- at the horizon: minus the residual value of the IT (age since its last purchase) and of the
  facility (age H), straight-line or declining, discounted. A lessee gets no residual for leased
  equipment.

TCO = PV(capex and financing) + PV(opex) + PV(replacements) - PV(residual).
Energy and fuel scale with the load as ``idle + (1 - idle) * load_scale`` (servers draw their
idle power when unloaded; ``idle_energy_fraction`` comes from the server idle/max power).
Levelized cost per unit of work follows NREL's LCOE definition (discounted cost over discounted
output, https://www.nrel.gov/analysis/tech-lcoe-documentation.html).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np

from flatbed.economics.finance import (
    FloatArray,
    Num,
    annuity_payment_usd,
    capital_recovery_factor,
    finance_cash_flows_usd,
    monthly_rate,
    present_worth_factor,
)
from flatbed.economics.opex import (
    DEFAULT_FACILITY_LIFE_YEARS,
    DEFAULT_HARDWARE_LIFE_YEARS,
    residual_value_usd,
)

__all__ = [
    "TcoInputs",
    "levelized_usd_per_unit",
    "monthly_cash_flows_usd",
    "opex_usd_per_year",
    "pv_months_factor",
    "tco_by_year_usd",
    "tco_usd",
]

FinanceMode = Literal["buy", "lease", "finance"]


@dataclass(frozen=True)
class TcoInputs:
    """Per-site base quantities for the TCO; numeric fields may be floats or arrays."""

    it_capex_usd: Num
    """Servers and networking [USD]."""
    facility_capex_usd: Num
    """Module, cooling, power, UPS, racks, gensets, tanks [USD]."""
    one_time_capex_usd: Num = 0.0
    """Transport, site preparation, installation [USD]."""
    energy_kwh_per_year: Num = 0.0
    usd_per_kwh: Num = 0.0
    fuel_l_per_year: Num = 0.0
    """Diesel [L/yr]."""
    usd_per_l: Num = 0.0
    gas_m3_per_year: Num = 0.0
    """Natural gas [m³/yr]."""
    usd_per_m3: Num = 0.0
    idle_energy_fraction: Num = 0.0
    """Share of energy/fuel drawn whatever the load [-]."""
    load_scale: Num = 1.0
    """Served load relative to the plan [-]."""
    maintenance_fraction: Num = 0.05
    """Of IT + facility capex per year [1/yr] (``Prices.maintenance_fraction_per_year``)."""
    insurance_fraction: Num = 0.01
    """Of equipment capex per year [1/yr] (``Prices.insurance_fraction_per_year``, an estimate)."""
    support_usd_per_year: Num = 0.0
    fixed_usd_per_year: Num = 0.0
    """Staff/remote hands + connectivity + site lease [USD/yr]."""
    redeploy_usd_per_year: Num = 0.0
    discount_rate: Num = 0.08
    """Cost of capital [1/yr] (``Prices.discount_rate``, an estimate)."""
    hardware_life_years: Num = DEFAULT_HARDWARE_LIFE_YEARS
    facility_life_years: Num = DEFAULT_FACILITY_LIFE_YEARS
    horizon_years: int = 5
    """Planning horizon [yr] (``Scenario.horizon_years``; 5 is its default)."""
    finance: FinanceMode = "buy"
    loan_rate: float | None = None
    """Loan rate for ``finance`` [1/yr]; default: the discount rate (user's cost of capital)."""
    loan_term_years: int | None = None
    lease_spread: float = 0.03
    """Lessor's margin over the lessee's cost of capital [1/yr] (labelled estimate,
    :func:`flatbed.economics.finance.finance_cash_flows_usd`)."""
    residual_method: Literal["straight_line", "declining"] = "straight_line"

    def with_(self, **changes: object) -> TcoInputs:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def numeric_fields(self) -> list[str]:
        skip = {"horizon_years", "finance", "loan_rate", "loan_term_years", "lease_spread",
                "residual_method"}
        return [f.name for f in fields(self) if f.name not in skip]


def _a(x: Num) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _out(x: FloatArray) -> Num:
    return float(x) if x.ndim == 0 else x


def pv_months_factor(discount_rate: Num, months: int, start: int = 1) -> Num:
    """Sum of monthly discount factors ``v**m`` for m = start..months, ``v = (1+r)**(-1/12)``."""
    r = _a(discount_rate)
    n = months - start + 1
    if n <= 0:
        return _out(np.zeros_like(r))
    zero = r == 0.0
    lv = -np.log1p(np.where(zero, 1.0, r)) / 12.0  # log of the monthly discount factor v
    # v**start * (1 - v**n) / (1 - v), with expm1 to avoid cancellation at tiny rates
    geo = np.exp(start * lv) * np.expm1(n * lv) / np.expm1(lv)
    return _out(np.where(zero, float(n), geo))


def opex_usd_per_year(x: TcoInputs) -> Num:
    """Yearly opex [USD/yr] at the given load (energy, fuel, maintenance, insurance, fixed)."""
    load = _a(x.idle_energy_fraction) + (1.0 - _a(x.idle_energy_fraction)) * _a(x.load_scale)
    equipment = _a(x.it_capex_usd) + _a(x.facility_capex_usd)
    res = (
        (_a(x.energy_kwh_per_year) * _a(x.usd_per_kwh) + _a(x.fuel_l_per_year) * _a(x.usd_per_l)
         + _a(x.gas_m3_per_year) * _a(x.usd_per_m3)) * load
        + (_a(x.maintenance_fraction) + _a(x.insurance_fraction)) * equipment
        + _a(x.support_usd_per_year) + _a(x.fixed_usd_per_year) + _a(x.redeploy_usd_per_year)
    )
    return _out(res)


def _replacement_months(x: TcoInputs) -> tuple[FloatArray, int]:
    """Months of IT re-purchase (array [..., K], NaN where none) and K."""
    months = 12 * x.horizon_years
    life_m = np.maximum(1.0, np.round(12.0 * _a(x.hardware_life_years)))
    k_max = int(np.ceil(months / float(np.min(life_m)))) if life_m.size else 0
    k = np.arange(1, max(k_max, 1) + 1, dtype=np.float64)
    t = life_m[..., None] * k
    return np.where(t < months, t, np.nan), months


def _residual_pv(x: TcoInputs, owned_initial: bool) -> FloatArray:
    months = 12 * x.horizon_years
    r = _a(x.discount_rate)
    t, _ = _replacement_months(x)
    last = np.nanmax(np.where(np.isnan(t), 0.0, t), axis=-1)
    replaced = last > 0
    it_age_years = (months - last) / 12.0
    life = np.maximum(1.0 / 12.0, np.round(12.0 * _a(x.hardware_life_years)) / 12.0)
    it_res = _a(residual_value_usd(x.it_capex_usd, it_age_years, life, x.residual_method))
    fac_res = _a(residual_value_usd(x.facility_capex_usd, float(x.horizon_years),
                                    x.facility_life_years, x.residual_method))
    if not owned_initial:
        it_res = np.where(replaced, it_res, 0.0)
        fac_res = np.zeros_like(fac_res)
    return (it_res + fac_res) * np.power(1.0 + r, -float(x.horizon_years))


def _acquisition_pv(x: TcoInputs) -> FloatArray:
    """PV of acquiring the initial equipment (capex, loan payments or rent) [USD]."""
    months = 12 * x.horizon_years
    r = _a(x.discount_rate)
    equip = _a(x.it_capex_usd) + _a(x.facility_capex_usd)
    one = _a(x.one_time_capex_usd)
    if x.finance == "buy":
        return equip + one
    term = months if x.loan_term_years is None else min(12 * x.loan_term_years, months)
    i_disc = _a(monthly_rate(r))
    if x.finance == "finance":
        loan = _a(x.loan_rate) if x.loan_rate is not None else r
        pay = _a(annuity_payment_usd(equip + one, monthly_rate(loan), term))
        return pay * _a(present_worth_factor(i_disc, term))
    if x.finance == "lease":
        i_l = _a(monthly_rate(r + x.lease_spread))
        # the lessor's expected residual at term end reduces the rent
        res_it = _a(residual_value_usd(x.it_capex_usd, term / 12.0, x.hardware_life_years,
                                       x.residual_method))
        res_fac = _a(residual_value_usd(x.facility_capex_usd, term / 12.0,
                                        x.facility_life_years, x.residual_method))
        principal = equip - (res_it + res_fac) * np.power(1.0 + i_l, -float(term))
        pay = principal * _a(capital_recovery_factor(i_l, term))
        return one + pay * _a(present_worth_factor(i_disc, term))
    raise ValueError(f"unknown finance mode {x.finance!r}")


def tco_usd(x: TcoInputs) -> Num:
    """Discounted TCO of the edge option over the horizon [USD] (float or array).

    ``PV(acquisition) + PV(opex) + PV(IT replacements) - PV(residual)``; see the module docstring.
    """
    if x.horizon_years < 1:
        raise ValueError("horizon_years must be >= 1")
    months = 12 * x.horizon_years
    r = _a(x.discount_rate)
    opex_pv = _a(opex_usd_per_year(x)) / 12.0 * _a(pv_months_factor(r, months))
    t, _ = _replacement_months(x)
    v = np.power(1.0 + r, -1.0 / 12.0)
    # NaN marks "no replacement"; np.power(1.0, nan) is 1.0 (IEEE 754), so mask explicitly
    repl = _a(x.it_capex_usd) * np.sum(
        np.where(np.isnan(t), 0.0, np.power(v[..., None], np.nan_to_num(t))), axis=-1)
    res = _a(_acquisition_pv(x)) + opex_pv + repl - _residual_pv(x, x.finance != "lease")
    return _out(res)


def monthly_cash_flows_usd(x: TcoInputs) -> FloatArray:
    """Undiscounted cash flows [USD] at months 0..12H for scalar inputs (residual at 12H)."""
    months = 12 * x.horizon_years
    vals = {name: float(np.asarray(getattr(x, name))) for name in x.numeric_fields()}
    s = replace(x, **vals)  # type: ignore[arg-type]
    equip = float(s.it_capex_usd) + float(s.facility_capex_usd)
    one = float(s.one_time_capex_usd)
    r = float(s.discount_rate)
    term = None if s.loan_term_years is None else 12 * s.loan_term_years
    if s.finance == "buy":
        cf = finance_cash_flows_usd(equip + one, months, "buy")
    elif s.finance == "finance":
        loan = s.loan_rate if s.loan_rate is not None else r
        cf = finance_cash_flows_usd(equip + one, months, "finance", loan, term)
    else:
        n = months if term is None else min(term, months)
        lessor = float(residual_value_usd(s.it_capex_usd, n / 12.0, s.hardware_life_years,
                                          s.residual_method)) + float(residual_value_usd(
            s.facility_capex_usd, n / 12.0, s.facility_life_years, s.residual_method))
        cf = finance_cash_flows_usd(equip, months, "lease", r, term, s.lease_spread, lessor)
        cf[0] += one
    cf[1:] += float(opex_usd_per_year(s)) / 12.0
    t, _ = _replacement_months(s)
    for m in np.asarray(t).ravel():
        if not np.isnan(m):
            cf[int(m)] += float(s.it_capex_usd)
    res_pv = float(_residual_pv(s, s.finance != "lease"))
    cf[months] -= res_pv * (1.0 + r) ** x.horizon_years
    return cf


def discounted(cf_usd: FloatArray, discount_rate: float) -> FloatArray:
    """Discount a monthly series (month 0 first) at an annual rate."""
    m = np.arange(cf_usd.shape[-1], dtype=np.float64)
    return cf_usd * np.power(1.0 + discount_rate, -m / 12.0)


def tco_by_year_usd(x: TcoInputs, discount: bool = True) -> FloatArray:
    """Cost per year [USD]: index 0 = upfront (month 0), index y = months of year y (1..H)."""
    cf = monthly_cash_flows_usd(x)
    if discount:
        cf = discounted(cf, float(np.asarray(x.discount_rate)))
    out = np.zeros(x.horizon_years + 1)
    out[0] = cf[0]
    out[1:] = cf[1:].reshape(x.horizon_years, 12).sum(axis=1)
    return out


def levelized_usd_per_unit(
    cost_usd: Num, units_per_year: Num, discount_rate: Num, horizon_years: int,
) -> Num:
    """Levelized cost [USD/unit]: PV of cost over PV of units served evenly month by month.

    NREL LCOE definition applied to work (tokens, frames). Returns NaN where no units are served.
    """
    pv_units = _a(units_per_year) / 12.0 * _a(pv_months_factor(discount_rate, 12 * horizon_years))
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.where(pv_units > 0, _a(cost_usd) / np.where(pv_units > 0, pv_units, 1.0), np.nan)
    return _out(res)
