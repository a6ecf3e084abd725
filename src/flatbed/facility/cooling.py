"""Cooling models: heat it can reject, power it draws, flows it needs, and where it gives out.

Every function is pure and vectorized over ambient temperature (hourly arrays). The parameters
come from a :class:`~flatbed.catalog.records.CoolingSystem` record, the server's inlet limit and the
installed design heat; :func:`cooling_model` assembles them into a frozen :class:`CoolingModel`.

Model (one or two heat paths per technology: air, and liquid for cold plates)
---------------------------------------------------------------------------
* Free (compressorless) cooling delivers supply air/water at ``ambient + approach × q`` where
  ``q`` is heat over design heat: at fixed flows a heat exchanger's approach is proportional to
  the heat it moves (ε-NTU method, Incropera & DeWitt, *Fundamentals of Heat and Mass Transfer*,
  ch. 11).
  The path holds its limit (server inlet for air, cold-plate supply for liquid) while
  ``ambient + approach × q ≤ limit``; so capping IT power raises the ambient it can ride through.
* With a compressor (``cop_at_35c`` set) the compressor carries the share of heat the free path
  cannot: ``f = clip((ambient + approach·q − limit) / ΔT_loop, 0, 1)`` (series economizer coil:
  free cooling pre-cools the return stream as far as ambient allows). Without an economizer
  (``economizer_max_ambient_c`` unset) the compressor carries all the heat all the time. Compressor
  power is heat / COP with COP(T) = COP₃₅ · (1 + slope · (T − 35)) (catalog curve; research notes
  §3d: air-cooled chillers 2.5–3.5 at 35 °C, falling 2–3 % per K).
* Fans and pumps draw ``fan_power_fraction`` of the heat at sea level; for the air share the fans
  must move 1/ρr more volume against 1/ρr more pressure drop to carry the same mass flow at
  elevation, so air-side fan power scales with 1/ρr² (fan laws, ASHRAE Handbook—HVAC Systems and
  Equipment 2020 ch. 21).
* Above the equipment's rated ambient (``max_ambient_c`` of the record) capacity falls linearly to
  zero over :data:`CAPACITY_FALLOFF_K` (labelled estimate, see there).
* Server inlet limits are derated with altitude by 1 K per 300 m above 900 m (ASHRAE TC9.9
  *Thermal Guidelines for Data Processing Environments*, allowable-class derating; research notes
  §3d, marked unverified there — kept as the documented ASHRAE rule).
* Airflow: CFM = 3.16 × W / ΔT[°F] at sea level (fanacdc.com / insidehpc.com, research notes
  §3c), divided by the density ratio at elevation (Inres "Data Heat Load", research §3c).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from flatbed.catalog.records import CoolingSystem, Server
from flatbed.facility.psychro import FloatArray, density_ratio_at_elevation
from flatbed.registry import BUILTIN, Registry

CFM_PER_W_PER_F = 3.16
"""Sea-level airflow rule: CFM = 3.16 × W / ΔT°F (fanacdc.com airflow formula; insidehpc.com;
research notes §3c). 3.16 = 3.412 BTU/h per W / 1.08 (ρ·c_p·60 in BTU/(h·CFM·°F))."""

CFM_PER_M3_PER_S = 2118.88
"""1 m³/s = 2,118.88 CFM (exact unit conversion, 1 ft = 0.3048 m)."""

WATER_DENSITY_KG_PER_M3 = 997.0
WATER_CP_KJ_PER_KG_K = 4.18
"""Water at ~25 °C (CRC Handbook of Chemistry and Physics); for pump-loop flow sizing."""

ALTITUDE_DERATE_K_PER_M = 1.0 / 300.0
ALTITUDE_DERATE_ABOVE_M = 900.0
"""ASHRAE TC9.9 altitude derating of allowable inlet dry-bulb: 1 °C per 300 m above 900 m, for
equipment rated up to 35 °C (classes A1/A2; every catalog server). Equipment rated 40 / 45 °C
(A3/A4) derates faster, 1 °C per 175 / 125 m (e.g. Azure Stack Edge specifications); a user
server with such a rating would be under-derated here."""

LIQUID_SUPPLY_MAX_C = 40.0
"""Highest cold-plate supply water [°C]. Labelled estimate: ASHRAE TC9.9 liquid class W40
(supply ≤ 40 °C) is the common design point for direct-to-chip loops; NVIDIA's Rubin racks run on
45 °C water (research notes §3d, R37), so 40 °C is conservative for Hopper/Blackwell cold plates."""

ECONOMIZER_REFERENCE_INLET_C = 30.0
"""Server inlet [°C] for which catalog ``economizer_max_ambient_c`` values are stated (the DGX
H100/H200 limit, the tightest common one; see the estimates in ``catalog/data/cooling.yaml``). The
air-path approach implied by a record is ``30 − economizer_max_ambient_c``; servers with a higher
inlet limit then ride through correspondingly hotter ambients."""

CAPACITY_FALLOFF_K = 10.0
"""Above the rated ambient, capacity falls linearly to zero over this many kelvin. Labelled
estimate: air-cooled condensers and dry coolers lose capacity roughly in proportion to the shrinking
air-to-refrigerant/water temperature difference (≈ 10–15 K at rating) and trip on high head pressure
soon after; 10 K is the conservative end."""

COP_MIN = 1.0
COP_MAX_RATIO = 2.5
"""COP is kept within [1, 2.5 × COP₃₅]: a labelled estimate bounding the linear catalog curve far
outside the range it was fitted on (very hot or very cold ambients)."""

LIQUID_LOOP_DELTA_T_K = 10.0
"""Supply-to-return rise of a cold-plate loop [K]. Labelled estimate: CDU design points are
typically 8–12 K (e.g. 40 → 50 °C)."""

DEFAULT_AIR_DELTA_T_K = 15.0
"""Server air temperature rise when the server record gives no airflow [K]. Labelled estimate;
DGX H100 at 10.2 kW and 1,105 CFM runs 29 °F ≈ 16 K (research notes §3c)."""


@dataclass(frozen=True)
class KindDefaults:
    """Per-technology approaches at design load [K] (labelled estimates, derivations below)."""

    air_approach_k: float
    liquid_approach_k: float
    note: str


KIND_DEFAULTS: dict[str, KindDefaults] = {
    "air_containment": KindDefaults(
        air_approach_k=3.0, liquid_approach_k=0.0,
        note="direct air economizer with containment: ≈1 K fan heat + ≈2 K bypass/mixing "
             "(estimate)"),
    "rdhx_active": KindDefaults(
        air_approach_k=10.0, liquid_approach_k=0.0,
        note="water from a dry cooler (≈6 K approach, research §3d 5–10 K) through a rear-door "
             "coil (≈4 K air-to-water approach): ≈10 K (estimate)"),
    "direct_liquid": KindDefaults(
        air_approach_k=10.0, liquid_approach_k=6.0,
        note="cold-plate water from a dry cooler at ≈6 K approach (research §3d 5–10 K); the "
             "residual air heat through a coil on the same loop at ≈10 K (estimates)"),
    "dx_chiller": KindDefaults(
        air_approach_k=3.0, liquid_approach_k=0.0,
        note="air economizer (when fitted) as for air containment: ≈3 K (estimate)"),
}


@dataclass(frozen=True)
class CoolingModel:
    """Parameters of one installed cooling plant (all temperatures [°C], powers [kW])."""

    id: str
    kind: str
    design_heat_kw: float
    elevation_m: float
    air_share: float
    liquid_share: float
    air_limit_c: float
    liquid_limit_c: float
    air_approach_k: float
    liquid_approach_k: float
    air_delta_t_k: float
    liquid_delta_t_k: float
    fan_power_fraction: float
    cop_at_35c: float | None
    cop_slope_per_c: float
    has_economizer: bool
    rated_max_ambient_c: float

    @property
    def has_compressor(self) -> bool:
        return self.cop_at_35c is not None


def inlet_limit_c(inlet_max_c: float, elevation_m: float) -> float:
    """Server inlet limit [°C] after ASHRAE altitude derating (1 K per 300 m above 900 m)."""
    over = max(0.0, elevation_m - ALTITUDE_DERATE_ABOVE_M)
    return float(inlet_max_c - over * ALTITUDE_DERATE_K_PER_M)


def server_air_delta_t_k(server: Server) -> float:
    """Air temperature rise through the server [K] from its airflow at max power.

    ΔT°F = 3.16 × W / CFM (research §3c); falls back to :data:`DEFAULT_AIR_DELTA_T_K`.
    """
    if server.airflow_cfm is None:
        return DEFAULT_AIR_DELTA_T_K
    return CFM_PER_W_PER_F * server.max_power_kw * 1000.0 / server.airflow_cfm / 1.8


def cooling_model(
    system: CoolingSystem,
    *,
    inlet_max_c: float,
    design_heat_kw: float,
    elevation_m: float = 0.0,
    air_delta_t_k: float = DEFAULT_AIR_DELTA_T_K,
) -> CoolingModel:
    """Assemble a :class:`CoolingModel` from a catalog record and the site/server numbers.

    ``design_heat_kw`` is the installed heat-rejection capacity (the module's rating for this
    cooling × modules); ``inlet_max_c`` the servers' inlet limit at sea level (altitude derating is
    applied here). When the record sets ``economizer_max_ambient_c``, the free-cooling approach of
    the main path is set so that free cooling carries the full design heat up to that ambient for
    the reference limit (:data:`ECONOMIZER_REFERENCE_INLET_C` for air,
    :data:`LIQUID_SUPPLY_MAX_C` for cold-plate water).
    """
    if design_heat_kw <= 0:
        raise ValueError("design_heat_kw must be positive")
    d = KIND_DEFAULTS[system.kind]
    liquid = system.liquid_fraction if system.kind == "direct_liquid" else 0.0
    air_limit = inlet_limit_c(inlet_max_c, elevation_m)
    liq_limit = LIQUID_SUPPLY_MAX_C
    air_app, liq_app = d.air_approach_k, d.liquid_approach_k
    econ = system.economizer_max_ambient_c
    if econ is not None:
        if liquid >= 0.5:
            liq_app = max(LIQUID_SUPPLY_MAX_C - econ, 0.5)
        else:
            air_app = max(ECONOMIZER_REFERENCE_INLET_C - econ, 0.5)
    return CoolingModel(
        id=system.id, kind=system.kind, design_heat_kw=float(design_heat_kw),
        elevation_m=float(elevation_m), air_share=1.0 - liquid, liquid_share=liquid,
        air_limit_c=air_limit, liquid_limit_c=liq_limit,
        air_approach_k=air_app, liquid_approach_k=liq_app,
        air_delta_t_k=float(air_delta_t_k), liquid_delta_t_k=LIQUID_LOOP_DELTA_T_K,
        fan_power_fraction=system.fan_power_fraction, cop_at_35c=system.cop_at_35c,
        cop_slope_per_c=system.cop_slope_per_c or 0.0,
        has_economizer=econ is not None or system.cop_at_35c is None,
        rated_max_ambient_c=system.max_ambient_c,
    )


# ---------------------------------------------------------------------------------------------
# Curves


def cop(ambient_c: ArrayLike, cop_at_35c: float, cop_slope_per_c: float) -> FloatArray:
    """Compressor COP at ``ambient_c`` [-]: COP₃₅ · (1 + slope · (T − 35)), bounded.

    Linear catalog curve (research notes §3d); bounded to [1, 2.5 · COP₃₅] (:data:`COP_MAX_RATIO`).
    """
    t = np.asarray(ambient_c, dtype=np.float64)
    c = cop_at_35c * (1.0 + cop_slope_per_c * (t - 35.0))
    return np.clip(c, COP_MIN, COP_MAX_RATIO * cop_at_35c)


def _paths(m: CoolingModel) -> list[tuple[float, float, float, float]]:
    """(share, limit, approach, loop ΔT) for each active path."""
    out = []
    if m.air_share > 0:
        out.append((m.air_share, m.air_limit_c, m.air_approach_k, m.air_delta_t_k))
    if m.liquid_share > 0:
        out.append((m.liquid_share, m.liquid_limit_c, m.liquid_approach_k, m.liquid_delta_t_k))
    return out


def _equipment_fraction(ambient_c: FloatArray, m: CoolingModel) -> FloatArray:
    over = np.maximum(ambient_c - m.rated_max_ambient_c, 0.0)
    return np.asarray(np.clip(1.0 - over / CAPACITY_FALLOFF_K, 0.0, 1.0), dtype=np.float64)


def heat_capacity_kw(ambient_c: ArrayLike, m: CoolingModel) -> FloatArray:
    """Heat [kW] the plant can reject at ``ambient_c`` while holding the inlet/supply limits.

    Free cooling only: q_max = min over paths of (limit − T) / approach, in [0, 1], times design
    heat. With a compressor: the full design heat. Either way no more than the equipment fraction
    above the rated ambient allows (:data:`CAPACITY_FALLOFF_K`); the tighter of the two binds.
    """
    t = np.asarray(ambient_c, dtype=np.float64)
    if m.has_compressor:
        free = np.ones_like(t)
    else:
        free = np.ones_like(t)
        for _share, limit, approach, _dt in _paths(m):
            free = np.minimum(free, np.clip((limit - t) / approach, 0.0, 1.0))
    return np.asarray(m.design_heat_kw * np.minimum(free, _equipment_fraction(t, m)),
                      dtype=np.float64)


def max_ambient_c(m: CoolingModel, load_fraction: float = 1.0) -> float:
    """Highest ambient [°C] at which the plant holds the limits with heat = load × design heat."""
    q = float(np.clip(load_fraction, 1e-9, 1.0))
    equipment = m.rated_max_ambient_c + (1.0 - q) * CAPACITY_FALLOFF_K
    if m.has_compressor:
        return float(equipment)
    free = min(limit - approach * q for _s, limit, approach, _dt in _paths(m))
    return float(min(free, equipment))


class CoolingPower(NamedTuple):
    """Electrical power drawn by the cooling plant [kW] (arrays like the inputs)."""

    fan_kw: FloatArray
    compressor_kw: FloatArray

    @property
    def total_kw(self) -> FloatArray:
        return np.asarray(self.fan_kw + self.compressor_kw, dtype=np.float64)


def compressor_heat_fraction(ambient_c: ArrayLike, heat_kw: ArrayLike,
                             m: CoolingModel) -> FloatArray:
    """Share of the heat carried by the compressor [-] (0 for compressorless plants).

    Per path: f = clip((T + approach·q − limit) / ΔT_loop, 0, 1) with q = heat / design heat;
    1 everywhere when the plant has a compressor but no economizer.
    """
    t = np.asarray(ambient_c, dtype=np.float64)
    q = np.asarray(heat_kw, dtype=np.float64) / m.design_heat_kw
    t, q = np.broadcast_arrays(t, q)
    if not m.has_compressor:
        return np.zeros_like(t)
    if not m.has_economizer:
        return np.ones_like(t)
    f = np.zeros_like(t)
    for share, limit, approach, dt in _paths(m):
        f = f + share * np.clip((t + approach * q - limit) / dt, 0.0, 1.0)
    return f


def cooling_power_kw(heat_kw: ArrayLike, ambient_c: ArrayLike, m: CoolingModel) -> CoolingPower:
    """Electrical power [kW] to reject ``heat_kw`` [kW] at ``ambient_c`` [°C].

    fans/pumps = fan_power_fraction × heat × (air share / ρr² + liquid share);
    compressor = heat × compressor share / COP(T). Heat above :func:`heat_capacity_kw` is not
    checked here (the year simulation caps it first).
    """
    h = np.asarray(heat_kw, dtype=np.float64)
    t = np.asarray(ambient_c, dtype=np.float64)
    h, t = np.broadcast_arrays(h, t)
    rho = float(density_ratio_at_elevation(m.elevation_m))
    fan = m.fan_power_fraction * h * (m.air_share / rho**2 + m.liquid_share)
    if m.cop_at_35c is None:
        comp = np.zeros_like(h)
    else:
        f = compressor_heat_fraction(t, h, m)
        comp = h * f / cop(t, m.cop_at_35c, m.cop_slope_per_c)
    return CoolingPower(np.asarray(fan, dtype=np.float64), np.asarray(comp, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# Flows


CoolingPowerFn = Callable[[ArrayLike, ArrayLike, CoolingModel], CoolingPower]
"""``(heat_kw, ambient_c, model) -> CoolingPower``: the cooling stage's power draw [kW]."""

COOLING_POWER: Registry[CoolingPowerFn] = Registry(
    "cooling_power", "fn(heat_kw, ambient_c, model: CoolingModel) -> CoolingPower")
"""Cooling power models by name (the scenario's ``stages.cooling_power``); the built-in is
:func:`cooling_power_kw`. A replacement (e.g. a vendor's measured COP curve) gets the hourly heat
and ambient arrays and the :class:`CoolingModel`; the heat-rejection capacity stays the built-in
one."""
COOLING_POWER.register(BUILTIN)(cooling_power_kw)


def airflow_cfm(heat_kw: ArrayLike, delta_t_c: ArrayLike, elevation_m: ArrayLike = 0.0
                ) -> FloatArray:
    """Airflow [CFM] to carry ``heat_kw`` with a ``delta_t_c`` [K] air temperature rise.

    CFM = 3.16 × W / ΔT°F at sea level (research §3c), divided by the air-density ratio at
    ``elevation_m`` (Inres "Data Heat Load" altitude correction, research §3c).
    """
    w = np.asarray(heat_kw, dtype=np.float64) * 1000.0
    dt_f = np.asarray(delta_t_c, dtype=np.float64) * 1.8
    return np.asarray(CFM_PER_W_PER_F * w / dt_f / density_ratio_at_elevation(elevation_m),
                      dtype=np.float64)


def airflow_m3_per_s(heat_kw: ArrayLike, delta_t_c: ArrayLike, elevation_m: ArrayLike = 0.0
                     ) -> FloatArray:
    """Airflow [m³/s]: :func:`airflow_cfm` / 2,118.88."""
    return airflow_cfm(heat_kw, delta_t_c, elevation_m) / CFM_PER_M3_PER_S


def water_flow_l_per_s(heat_kw: ArrayLike, delta_t_c: ArrayLike) -> FloatArray:
    """Water flow [L/s] to carry ``heat_kw`` with a ``delta_t_c`` rise: Q / (ρ c_p ΔT)."""
    q = np.asarray(heat_kw, dtype=np.float64)
    dt = np.asarray(delta_t_c, dtype=np.float64)
    kg_per_s = q / (WATER_CP_KJ_PER_KG_K * dt)
    return np.asarray(kg_per_s / WATER_DENSITY_KG_PER_M3 * 1000.0, dtype=np.float64)
