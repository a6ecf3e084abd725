"""Operating cost of one site per year, and residual value at the end of the horizon.

The facility year simulation gives yearly grid energy [kWh] and fuel [L diesel or m³ gas]; the
scenario's :class:`~flatbed.scenario.Prices` gives the financial assumptions (maintenance and
insurance shares of capex, staff, connectivity, site lease). Pure functions, vectorized.

Sources for defaults not in ``Prices``:

- Hardware life 5 years: Amazon shortened the useful life of a subset of its servers from six to
  five years from 2025-01-01 (Amazon 10-K for 2024, note 1 "Property and equipment"); Microsoft
  and Alphabet use six. Range 3–7 years in the uncertainty analysis.
- Facility (module, cooling, power) life 15 years [est]: UPS and chiller service lives of
  10–20 years (Schneider WP229 assumes a 10-year Li-ion battery life; ASHRAE equipment-life
  tables give 15–23 years for chillers).
- Residual value: straight-line book value (the usual accounting convention) or double-declining
  balance (rate 2/life), selectable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from flatbed.economics.capex import CapexAssumptions, CapexResult
from flatbed.economics.finance import FloatArray, Num
from flatbed.scenario import Prices

__all__ = [
    "OpexInputs",
    "energy_cost_usd_per_year",
    "fuel_cost_usd_per_year",
    "opex_breakdown_usd_per_year",
    "redeployment_usd_per_move",
    "residual_value_usd",
]

DEFAULT_HARDWARE_LIFE_YEARS = 5.0
DEFAULT_FACILITY_LIFE_YEARS = 15.0


def _out(x: FloatArray) -> Num:
    return float(x) if x.ndim == 0 else x


def energy_cost_usd_per_year(energy_kwh_per_year: Num, usd_per_kwh: Num) -> Num:
    """Grid energy cost [USD/yr] = energy [kWh/yr] x price [USD/kWh]."""
    return _out(np.asarray(energy_kwh_per_year, float) * np.asarray(usd_per_kwh, float))


def fuel_cost_usd_per_year(fuel_per_year: Num, usd_per_unit: Num) -> Num:
    """Fuel cost [USD/yr] = fuel [L/yr diesel or m³/yr gas] x price [USD/L or USD/m³]."""
    return _out(np.asarray(fuel_per_year, float) * np.asarray(usd_per_unit, float))


def residual_value_usd(
    cost_usd: Num,
    age_years: Num,
    life_years: Num,
    method: Literal["straight_line", "declining"] = "straight_line",
    salvage_fraction: float = 0.0,
) -> Num:
    """Residual (book) value [USD] of equipment after ``age_years``.

    - ``straight_line``: ``cost * max(s, 1 - (1 - s) * age / life)`` with salvage share ``s``.
    - ``declining``: double-declining balance, ``cost * max(s, (1 - 2/life)**age)``.

    Straight-line is the usual accounting convention (e.g. IRS Publication 946, ch. 4 for the
    declining-balance alternative).
    """
    c = np.asarray(cost_usd, float)
    age = np.asarray(age_years, float)
    life = np.asarray(life_years, float)
    s = salvage_fraction
    if method == "straight_line":
        frac = np.maximum(s, 1.0 - (1.0 - s) * age / life)
    elif method == "declining":
        rate = np.minimum(1.0, 2.0 / life)
        frac = np.maximum(s, np.power(1.0 - rate, age))
    else:
        raise ValueError(f"unknown residual method {method!r}")
    return _out(c * np.clip(frac, 0.0, 1.0))


def redeployment_usd_per_move(
    trucks: int, modules: int, assumptions: CapexAssumptions | None = None,
    capex: CapexResult | None = None,
) -> float:
    """Cost [USD] of moving the unit to a new site once.

    Transport of every truckload, a new pad per module, and re-commissioning (half of the original
    installation and commissioning — a labelled estimate: the module arrives factory-integrated,
    so only site hook-up and SAT/IST are repeated).
    """
    a = assumptions or CapexAssumptions()
    install = capex.breakdown_usd.get("installation_commissioning", 0.0) if capex else 0.0
    return (trucks * a.transport_usd_per_truckload + modules * a.site_prep_usd_per_module
            + 0.5 * install)


@dataclass(frozen=True)
class OpexInputs:
    """Per-site yearly quantities the facility simulation and the scenario provide."""

    energy_kwh_per_year: float = 0.0
    """Grid energy drawn [kWh/yr]."""
    usd_per_kwh: float = 0.0
    fuel_l_per_year: float = 0.0
    """Diesel burned [L/yr]."""
    usd_per_l: float = 0.0
    gas_m3_per_year: float = 0.0
    """Natural gas burned [m³/yr]."""
    usd_per_m3: float = 0.0
    support_usd_per_year: float = 0.0
    """Software/OEM support contracts, e.g. NVIDIA AI Enterprise at $4,500 per GPU-year (Jensen
    Huang, NVIDIA Q3 FY2024 earnings call, 2023-11-21). Default 0: the open-source engines the
    scenario names (vLLM, SGLang) need no licence; hardware break-fix is in maintenance."""
    moves: int = 0
    """Redeployments over the horizon."""
    redeploy_usd_per_move: float = 0.0
    horizon_years: int = 5
    """Planning horizon [yr] (``Scenario.horizon_years``; 5 is its default)."""


def opex_breakdown_usd_per_year(
    inputs: OpexInputs, capex: CapexResult, prices: Prices | None = None,
) -> dict[str, float]:
    """Yearly opex items [USD/yr] of one site.

    ``maintenance`` and ``insurance`` are shares of the equipment capex (IT + facility, not the
    one-time items) from ``Prices``; ``redeployment`` spreads the moves' cost evenly over the
    horizon.
    """
    p = prices or Prices()
    equipment = capex.it_usd + capex.facility_usd
    out = {
        "energy": float(energy_cost_usd_per_year(inputs.energy_kwh_per_year, inputs.usd_per_kwh)),
        "fuel": float(fuel_cost_usd_per_year(inputs.fuel_l_per_year, inputs.usd_per_l))
        + float(fuel_cost_usd_per_year(inputs.gas_m3_per_year, inputs.usd_per_m3)),
        "maintenance": p.maintenance_fraction_per_year * equipment,
        "support_contracts": inputs.support_usd_per_year,
        "staff_remote_hands": p.staff_usd_per_year,
        "connectivity": p.connectivity_usd_per_year,
        "site_lease": p.site_lease_usd_per_year,
        "insurance": p.insurance_fraction_per_year * equipment,
        "redeployment": inputs.moves * inputs.redeploy_usd_per_move / max(1, inputs.horizon_years),
    }
    return out
