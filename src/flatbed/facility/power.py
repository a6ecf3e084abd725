"""Site power: grid ceiling, generator fuel and sizing, UPS ride-through, fuel logistics, CO2.

Pure functions of plain numbers/arrays plus :class:`PowerSupply`, the frozen description of how a
site is fed (grid or gensets), which turns an hourly facility load into fuel, cost and CO2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from flatbed.catalog.records import Genset
from flatbed.facility.psychro import FloatArray

DIESEL_CO2_KG_PER_L = 2.68
"""Diesel (middle distillate) combustion CO2 [kg/L]: 10.15 kg CO2/US gal ÷ 3.78541 L/gal
= 2.681 kg/L (US EIA Voluntary Reporting of Greenhouse Gases Program, "Fuel Emission
Coefficients", Table 1, archived 2012-10-14 at webarchive.library.unt.edu)."""

NATURAL_GAS_CO2_KG_PER_M3 = 1.93
"""Pipeline natural gas combustion CO2 [kg/m³]: 53.06 kg CO2/MMBtu × 1,029 Btu/scf (weighted US
average) × 35.3147 scf/m³ = 1.928 kg/m³ (US EIA Voluntary Reporting Program, Fuel Emission
Coefficients, Table 1)."""

TANKER_L = 30_000.0
"""One road fuel tanker load [L]. Labelled estimate from the research notes §6a ("one 30 m³
tanker"); US 9,000-gal (34 m³) and EU 30–36 m³ semi-trailer tankers bracket it."""

UPS_EFFICIENCY = 0.96
"""Double-conversion UPS efficiency at typical data-centre loading [-]. Labelled estimate: the
ENERGY STAR UPS programme (via US DOE FEMP) and the LBNL/EPRI "High Performance Buildings: Data
Centers — UPS" report (2005) show modern double-conversion units at 94–97 % at 25–100 % load."""

PDU_EFFICIENCY = 0.985
"""Power distribution (PDU transformer/cabling) efficiency [-]. Labelled estimate: 1–2 % loss in
low-voltage distribution (LBNL data-centre benchmarking), the middle of that range."""

UPS_SYSTEM_KG_PER_KWH = 550.0 / (200.0 * 7.0 / 60.0)
"""Li-ion UPS battery system mass per kWh [kg/kWh]: ~550 kg for a 200 kW N+1 modular system at
7 min (23.3 kWh) → 23.6 kg/kWh including racks and BMS (KOHLER Uninterruptible Power Ireland,
"The relative merits of VRLA and lithium-ion", Table 1; research notes §6c, R53, which also cite
Schneider WP229 for the ~3× weight advantage over VRLA). The heaviest per-kWh point of that table
(19 and 35 min systems: 17.4 and 14.1 kg/kWh), so conservative for longer ride-through."""

PRIME_AVERAGE_LOAD_MAX = 0.70
"""ISO 8528-1 prime rating: average load over 24 h ≤ 70 % of the prime rating (Atlas Copco QAS 500
manual, research notes §6a, R49)."""

DIESEL_MIN_LOAD_FRACTION = 0.30
"""Below ~30 % average load diesel sets suffer wet stacking (unburned fuel in the exhaust).
Labelled estimate: the common manufacturer guidance for prolonged operation (e.g. 30 % minimum
load for prime-rated sets); used only for a warning."""

GENSET_START_LOADING = 0.80
"""Load-dependent start/stop: enough sets run to keep each at or below 80 % of its derated
rating. Labelled estimate (a common paralleling-controller setting)."""


# ---------------------------------------------------------------------------------------------
# Gensets


def genset_fuel_per_h(load_fraction: ArrayLike, load_fractions: tuple[float, ...],
                      fuel_per_h: tuple[float, ...]) -> FloatArray:
    """Fuel rate [L/h diesel, m³/h gas] of one set at ``load_fraction`` of its rating.

    Linear interpolation of the published part-load curve (catalog ``Genset.load_fractions`` /
    ``fuel_per_h``). Below the first point the curve is extended along the line through the first
    two points (the Willans line: fuel is close to linear in load, with a no-load intercept — as
    HOMER Energy's generator fuel curve F = F₀·Y + F₁·P), floored at zero; above the last point the
    same with the last two. A stopped set (load 0 and not running) is the caller's business.
    """
    x = np.asarray(load_fraction, dtype=np.float64)
    xs = np.asarray(load_fractions, dtype=np.float64)
    ys = np.asarray(fuel_per_h, dtype=np.float64)
    out = np.interp(x, xs, ys)
    lo_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    out = np.where(x < xs[0], ys[0] + lo_slope * (x - xs[0]), out)
    out = np.where(x > xs[-1], ys[-1] + hi_slope * (x - xs[-1]), out)
    return np.asarray(np.maximum(out, 0.0), dtype=np.float64)


def willans_line(load_fractions: tuple[float, ...], fuel_per_h: tuple[float, ...]
                 ) -> tuple[float, float]:
    """Least-squares Willans line of a fuel curve: (no-load intercept, slope per unit load).

    Fuel ≈ intercept + slope × load_fraction (HOMER-style linear generator fuel curve); for the
    published diesel tables (research §6a) it is within 5 % of every point.
    """
    slope, intercept = np.polyfit(np.asarray(load_fractions), np.asarray(fuel_per_h), 1)
    return float(intercept), float(slope)


def genset_derate_fraction(
    elevation_m: ArrayLike, ambient_c: ArrayLike, *,
    altitude_derate_per_500m_above_1000m: float, temp_derate_per_5c_above_40c: float,
) -> FloatArray:
    """Available fraction of the rating [-] at elevation and ambient.

    Stamford alternator derating (research notes §6a, R50): the catalog's fractional loss per
    500 m above 1,000 m and per 5 °C above 40 °C, applied multiplicatively and linearly.
    """
    z = np.asarray(elevation_m, dtype=np.float64)
    t = np.asarray(ambient_c, dtype=np.float64)
    alt = 1.0 - altitude_derate_per_500m_above_1000m * np.maximum(z - 1000.0, 0.0) / 500.0
    hot = 1.0 - temp_derate_per_5c_above_40c * np.maximum(t - 40.0, 0.0) / 5.0
    return np.asarray(np.clip(alt * hot, 0.0, 1.0), dtype=np.float64)


def gensets_needed(peak_kw: float, derated_kw: float, redundancy: Literal["N", "N+1"] = "N+1"
                   ) -> int:
    """Number of sets so that N carry the peak (each at its derated rating), plus one if N+1."""
    if peak_kw <= 0:
        return 0
    if derated_kw <= 0:
        raise ValueError("derated genset rating must be positive")
    n = math.ceil(peak_kw / derated_kw - 1e-9)
    return n + (1 if redundancy == "N+1" else 0)


def sets_running(load_kw: ArrayLike, derated_kw: ArrayLike, installed_duty: int) -> FloatArray:
    """Sets running each hour under load-dependent start/stop (at most the duty sets, ≥ 1)."""
    load = np.asarray(load_kw, dtype=np.float64)
    d = np.asarray(derated_kw, dtype=np.float64)
    n = np.ceil(load / (d * GENSET_START_LOADING) - 1e-9)
    return np.asarray(np.clip(n, 1, max(installed_duty, 1)), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Fuel logistics, UPS, grid


def autonomy_days(tank_l: float, fuel_per_day: float) -> float:
    """Days the tank lasts at ``fuel_per_day`` (inf when nothing burns)."""
    return math.inf if fuel_per_day <= 0 else tank_l / fuel_per_day


def refuel_trips_per_month(fuel_per_year: float, truck_load: float = TANKER_L) -> float:
    """Tanker deliveries per month (average month = 1/12 year)."""
    return fuel_per_year / 12.0 / truck_load


def ups_battery_kwh(load_kw: float, ride_through_s: float, *, depth_of_discharge: float = 0.8,
                    inverter_efficiency: float = UPS_EFFICIENCY) -> float:
    """Installed UPS battery energy [kWh] to carry ``load_kw`` for ``ride_through_s``.

    E = P · t / (η_inverter · DoD). Modern autonomy targets are 30 s–5 min, enough to bridge to a
    genset start (Schneider WP229, research notes §6c).
    """
    return load_kw * ride_through_s / 3600.0 / (inverter_efficiency * depth_of_discharge)


def ups_battery_mass_kg(battery_kwh: float) -> float:
    """Li-ion UPS battery system mass [kg] (:data:`UPS_SYSTEM_KG_PER_KWH`)."""
    return battery_kwh * UPS_SYSTEM_KG_PER_KWH


def distribution_loss_kw(it_kw: ArrayLike, ups_efficiency: float = UPS_EFFICIENCY,
                         pdu_efficiency: float = PDU_EFFICIENCY) -> FloatArray:
    """UPS + PDU losses [kW] to deliver ``it_kw``: IT · (1 / (η_ups · η_pdu) − 1)."""
    it = np.asarray(it_kw, dtype=np.float64)
    return np.asarray(it * (1.0 / (ups_efficiency * pdu_efficiency) - 1.0), dtype=np.float64)


def grid_ok(peak_kw: float, grid_kw: float) -> bool:
    """True when the grid connection ceiling [kW] covers the peak facility load [kW]."""
    return grid_kw > 0 and peak_kw <= grid_kw


# ---------------------------------------------------------------------------------------------
# Supply


@dataclass(frozen=True)
class PowerSupply:
    """How the site is fed, with what it costs and emits.

    kind "grid": ``grid_usd_per_kwh`` and ``grid_kg_co2_per_kwh`` apply to facility energy.
    kind "generator": ``genset`` × ``units`` (of which ``duty_units`` may run), fuel price per
    litre (diesel) or m³ (gas).
    """

    kind: Literal["grid", "generator"]
    grid_kw: float = 0.0
    grid_usd_per_kwh: float = 0.0
    grid_kg_co2_per_kwh: float = 0.0
    genset: Genset | None = None
    units: int = 0
    duty_units: int = 0
    fuel_usd_per_unit: float = 0.0
    elevation_m: float = 0.0

    def derated_kw(self, ambient_c: ArrayLike) -> FloatArray:
        """Derated output per set [kW] at each ambient."""
        g = self._g()
        return np.asarray(g.rating_kw * genset_derate_fraction(
            self.elevation_m, ambient_c,
            altitude_derate_per_500m_above_1000m=g.altitude_derate_per_500m_above_1000m,
            temp_derate_per_5c_above_40c=g.temp_derate_per_5c_above_40c), dtype=np.float64)

    def _g(self) -> Genset:
        if self.genset is None:
            raise ValueError("a generator supply needs a genset")
        return self.genset

    def fuel_per_h(self, load_kw: ArrayLike, ambient_c: ArrayLike) -> FloatArray:
        """Fuel burned each hour [L/h or m³/h] (zero on grid)."""
        load = np.asarray(load_kw, dtype=np.float64)
        if self.kind == "grid":
            return np.zeros_like(load)
        g = self._g()
        d = self.derated_kw(ambient_c)
        n = sets_running(load, d, self.duty_units)
        per_set_fraction = load / n / g.rating_kw
        return np.asarray(n * genset_fuel_per_h(per_set_fraction, g.load_fractions, g.fuel_per_h),
                          dtype=np.float64)

    @property
    def co2_kg_per_fuel_unit(self) -> float:
        if self.kind == "grid":
            return 0.0
        return DIESEL_CO2_KG_PER_L if self._g().fuel == "diesel" else NATURAL_GAS_CO2_KG_PER_M3
