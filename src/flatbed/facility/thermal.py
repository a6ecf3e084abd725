"""The year simulation: 8,760 hours of IT load, cooling, losses, throttling, fuel and CO2.

Energy balance every hour: ``facility_kw = it_kw + cooling_kw + loss_kw`` (loss = UPS + PDU).
When the cooling plant cannot reject the demanded IT heat while holding the inlet limit
(:func:`flatbed.facility.cooling.heat_capacity_kw`), the cluster either caps GPU power to what the
plant can reject (``on_overheat="cap"``: throughput follows the caller's
``throughput_fraction_at_power_cap`` curve) or sheds servers (``"shed"``: throughput falls in
proportion to power).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from flatbed.facility.cooling import (
    CoolingModel,
    CoolingPowerFn,
    cooling_power_kw,
    heat_capacity_kw,
)
from flatbed.facility.power import (
    PDU_EFFICIENCY,
    UPS_EFFICIENCY,
    PowerSupply,
    distribution_loss_kw,
)
from flatbed.facility.psychro import FloatArray
from flatbed.facility.weather import HOURS_PER_YEAR

ThroughputCurve = Callable[[FloatArray], FloatArray]
"""cap_fraction (GPU power cap / GPU max power, array) → throughput fraction of uncapped."""


def linear_throughput(cap_fraction: FloatArray) -> FloatArray:
    """Conservative default curve: throughput ∝ GPU power cap (no efficiency gain when capped)."""
    return np.asarray(np.clip(cap_fraction, 0.0, 1.0), dtype=np.float64)


def hourly_utilization(daily_profile: tuple[float, ...] | list[float],
                       utilization: float | ArrayLike = 1.0) -> FloatArray:
    """Hourly utilization [0–1] over a year: the 24-hour profile repeated × ``utilization``.

    ``utilization`` is a scalar, 365 daily values or 8,760 hourly values.
    """
    prof = np.asarray(daily_profile, dtype=np.float64)
    if prof.shape != (24,):
        raise ValueError("daily_profile needs 24 hourly values")
    u = np.asarray(utilization, dtype=np.float64)
    if u.ndim == 1 and u.size == 365:
        u = np.repeat(u, 24)
    return np.asarray(np.clip(np.tile(prof, 365) * u, 0.0, 1.0), dtype=np.float64)


@dataclass(frozen=True)
class YearResult:
    """Outcome of one simulated year. Hourly arrays have 8,760 values; energies are per year."""

    pue_annual: float
    facility_kw_peak: float
    it_kw_peak: float
    facility_kw_mean: float
    throttled_hours: float
    slo_breaking_hours: float
    throughput_lost_fraction: float
    energy_kwh_per_year: float
    it_energy_kwh_per_year: float
    cooling_energy_kwh_per_year: float
    loss_energy_kwh_per_year: float
    fuel_l_per_year: float
    fuel_m3_per_year: float
    energy_cost_usd_per_year: float
    co2_t_per_year: float
    hottest_week_start_hour: int
    ambient_c: FloatArray
    utilization: FloatArray
    it_kw: FloatArray
    it_demand_kw: FloatArray
    cooling_kw: FloatArray
    fan_kw: FloatArray
    compressor_kw: FloatArray
    loss_kw: FloatArray
    facility_kw: FloatArray
    pue_hourly: FloatArray
    capacity_kw: FloatArray
    throttled: np.ndarray
    throughput_fraction: FloatArray
    fuel_per_h: FloatArray

    def heat_map(self, series: str = "facility_kw") -> FloatArray:
        """A (365 days × 24 hours) view of an hourly series for heat-map charts."""
        a: FloatArray = getattr(self, series)
        return a.reshape(365, 24)

    def hottest_week(self, series: str = "ambient_c") -> FloatArray:
        """The 168 hourly values of ``series`` in the hottest week."""
        a: FloatArray = getattr(self, series)
        s = self.hottest_week_start_hour
        return a[s:s + 168]


def simulate_year(
    *,
    ambient_c: ArrayLike,
    utilization: ArrayLike,
    servers: int,
    server_idle_kw: float,
    server_max_kw: float,
    cooling: CoolingModel,
    supply: PowerSupply,
    gpu_kw_per_server: float | None = None,
    throughput_fraction_at_power_cap: ThroughputCurve | None = None,
    on_overheat: Literal["cap", "shed"] = "cap",
    min_cap_fraction: float = 0.0,
    ups_efficiency: float = UPS_EFFICIENCY,
    pdu_efficiency: float = PDU_EFFICIENCY,
    cooling_power: CoolingPowerFn = cooling_power_kw,
) -> YearResult:
    """Simulate one year hour by hour (vectorized).

    Parameters
    ----------
    ambient_c : array (8,760)
        Outdoor dry-bulb [°C].
    utilization : array (8,760)
        Share of the cluster's full throughput demanded each hour [0–1].
    servers : int
        Servers installed.
    server_idle_kw, server_max_kw : float
        Server power at idle and at full load [kW]; power is linear in utilization between them
        (the usual linear server power model, Fan, Weber & Barroso, ISCA 2007).
    cooling : CoolingModel
        The installed plant (:func:`flatbed.facility.cooling.cooling_model`).
    supply : PowerSupply
        Grid or gensets: fuel, cost and CO2.
    gpu_kw_per_server : float, optional
        GPU share of the server's max power [kW] (GPUs × board power); the part a power cap acts
        on. Default: max − idle.
    throughput_fraction_at_power_cap : callable, optional
        cap_fraction → throughput fraction (e.g. ``flatbed.perf.power.
        throughput_fraction_at_power_cap`` with the workload's memory-bound share bound in);
        default :func:`linear_throughput`.
    on_overheat : "cap" or "shed"
        What the cluster does when cooling cannot keep up: "cap" caps GPU power (shedding whole
        servers in hours where that keeps more throughput); "shed" only sheds servers, throughput
        falling in proportion to the IT power removed.
    min_cap_fraction : float
        Lowest settable GPU power limit as a fraction of GPU max power (accelerator
        ``min_power_cap_w / tdp_w``); below it servers are shed instead.
    ups_efficiency, pdu_efficiency : float
        Distribution efficiencies (:mod:`flatbed.facility.power`).
    cooling_power : callable
        Cooling power model (:data:`flatbed.facility.cooling.COOLING_POWER`; default the
        built-in :func:`~flatbed.facility.cooling.cooling_power_kw`).

    Returns
    -------
    YearResult
    """
    t = np.asarray(ambient_c, dtype=np.float64)
    u = np.clip(np.asarray(utilization, dtype=np.float64), 0.0, 1.0)
    if t.shape != (HOURS_PER_YEAR,) or u.shape != (HOURS_PER_YEAR,):
        raise ValueError(f"ambient_c and utilization need {HOURS_PER_YEAR} hourly values")
    if servers < 0:
        raise ValueError("servers must be ≥ 0")
    curve = throughput_fraction_at_power_cap or linear_throughput
    gpu_kw = server_max_kw - server_idle_kw if gpu_kw_per_server is None else gpu_kw_per_server
    gpu_kw = float(np.clip(gpu_kw, 1e-9, server_max_kw))
    other_kw = server_max_kw - gpu_kw  # non-GPU power at full load

    per_server_demand = server_idle_kw + u * (server_max_kw - server_idle_kw)
    demand = servers * per_server_demand
    capacity = heat_capacity_kw(t, cooling)
    throttled = demand > capacity * (1.0 + 1e-9) + 1e-9
    it = np.minimum(demand, capacity)

    served = np.where(demand > 0, it / np.where(demand > 0, demand, 1.0), 1.0)
    thr_shed = np.where(throttled, u * served, u)
    if on_overheat == "shed":
        thr = thr_shed
    else:
        allowed = it / max(servers, 1)
        lo = float(np.clip(min_cap_fraction, 0.0, 1.0))
        floor_kw = other_kw + lo * gpu_kw  # a working server with its GPUs at the lowest cap
        cap = np.clip((allowed - other_kw) / gpu_kw, lo, 1.0)
        avail = np.asarray(curve(cap), dtype=np.float64)
        # Below that floor whole servers must be shed as well.
        shed = np.where(allowed < floor_kw, allowed / max(floor_kw, 1e-9), 1.0)
        avail = np.clip(avail * shed, 0.0, 1.0)
        thr_cap = np.where(throttled, np.minimum(u, avail), u)
        # An operator sheds whole servers instead in hours where that keeps more work (the
        # servers' fixed non-GPU power makes deep GPU caps a poor trade).
        thr = np.maximum(thr_cap, thr_shed)
    throughput_fraction = np.where(u > 0, thr / np.where(u > 0, u, 1.0), 1.0)
    short = throttled & (thr < u - 1e-9)

    cp = cooling_power(it, t, cooling)
    cooling_kw = cp.total_kw
    loss = distribution_loss_kw(it, ups_efficiency, pdu_efficiency)
    facility = it + cooling_kw + loss
    with np.errstate(divide="ignore", invalid="ignore"):
        pue_h = np.where(it > 0, facility / it, np.nan)

    fuel = supply.fuel_per_h(facility, t)
    it_e = float(it.sum())
    fac_e = float(facility.sum())
    if supply.kind == "grid":
        cost = fac_e * supply.grid_usd_per_kwh
        co2_kg = fac_e * supply.grid_kg_co2_per_kwh
        fuel_l = fuel_m3 = 0.0
    else:
        total_fuel = float(fuel.sum())
        cost = total_fuel * supply.fuel_usd_per_unit
        co2_kg = total_fuel * supply.co2_kg_per_fuel_unit
        is_gas = supply.genset is not None and supply.genset.fuel == "natural_gas"
        fuel_l = 0.0 if is_gas else total_fuel
        fuel_m3 = total_fuel if is_gas else 0.0
    demand_e = float(u.sum())
    c = np.concatenate(([0.0], np.cumsum(t)))
    hottest = int(np.argmax(c[168:] - c[:-168]))
    return YearResult(
        pue_annual=fac_e / it_e if it_e > 0 else float("nan"),
        facility_kw_peak=float(facility.max()),
        it_kw_peak=float(it.max()),
        facility_kw_mean=fac_e / HOURS_PER_YEAR,
        throttled_hours=float(throttled.sum()),
        slo_breaking_hours=float(short.sum()),
        throughput_lost_fraction=float((u - thr).sum() / demand_e) if demand_e > 0 else 0.0,
        energy_kwh_per_year=fac_e,
        it_energy_kwh_per_year=it_e,
        cooling_energy_kwh_per_year=float(cooling_kw.sum()),
        loss_energy_kwh_per_year=float(loss.sum()),
        fuel_l_per_year=fuel_l,
        fuel_m3_per_year=fuel_m3,
        energy_cost_usd_per_year=cost,
        co2_t_per_year=co2_kg / 1000.0,
        hottest_week_start_hour=hottest,
        ambient_c=t, utilization=u, it_kw=it, it_demand_kw=demand, cooling_kw=cooling_kw,
        fan_kw=cp.fan_kw, compressor_kw=cp.compressor_kw, loss_kw=loss, facility_kw=facility,
        pue_hourly=pue_h, capacity_kw=capacity, throttled=throttled,
        throughput_fraction=throughput_fraction, fuel_per_h=fuel,
    )
