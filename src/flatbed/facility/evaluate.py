"""One call for the plan chain: every per-site facility figure with verdicts and reasons.

:func:`evaluate_facility` lays servers into racks and modules, simulates the weather year
(cooling, throttling, losses), picks the power source and gensets, checks road transport and floor
loads, estimates the deployment timeline, and returns a :class:`FacilityResult` whose field names
match :class:`flatbed.plan.result.SitePlan` where they overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from flatbed.catalog.loader import Catalog
from flatbed.catalog.records import Climate, CoolingSystem, Genset, Module, RoadLimit, Server
from flatbed.facility.cooling import (
    CoolingModel,
    CoolingPowerFn,
    cooling_model,
    cooling_power_kw,
    max_ambient_c,
    server_air_delta_t_k,
)
from flatbed.facility.power import (
    DIESEL_MIN_LOAD_FRACTION,
    PRIME_AVERAGE_LOAD_MAX,
    PowerSupply,
    autonomy_days,
    genset_derate_fraction,
    gensets_needed,
    refuel_trips_per_month,
    sets_running,
    ups_battery_kwh,
)
from flatbed.facility.thermal import ThroughputCurve, YearResult, simulate_year
from flatbed.facility.timeline import Timeline, deployment_timeline
from flatbed.facility.transport import Layout, TransportPlan, plan_layout_groups, plan_transport
from flatbed.facility.weather import WeatherYear, read_epw, weather_for_climate
from flatbed.plan.result import Hourly, ModulePlan
from flatbed.scenario import Site

FUEL_TANK_HOURS_AT_PEAK = 72.0
"""Default on-site fuel storage: 72 h at peak burn [h] (NFPA 110 "Class 72" fuel-supply
designation, hours of operation at rated load without refuelling)."""

MIN_CAP_FRACTION = 200.0 / 700.0
"""Default lowest GPU power limit as a fraction of board power: H100 SXM accepts power limits down
to 200 W of its 700 W (``nvidia-smi -q -d POWER`` "Min Power Limit"; labelled estimate for other
GPUs — pass the accelerator's ``min_power_cap_w / tdp_w`` when the catalog has it)."""

UPS_RIDE_THROUGH_S = 300.0
"""Default UPS autonomy [s]: 5 min, the top of the 30 s–5 min bridge-to-genset range (Schneider
WP229, research notes §6c)."""


@dataclass(frozen=True)
class Verdict:
    """One failed check: which constraint, and why (a sentence with the numbers)."""

    constraint: str
    reason: str


@dataclass(frozen=True)
class FacilityResult:
    """All per-site facility figures (units in names), with verdicts and the detailed parts."""

    pue_annual: float
    facility_kw_peak: float
    facility_kw_mean: float
    it_kw_peak: float
    throttled_hours: float
    slo_breaking_hours: float
    throughput_lost_fraction: float
    fuel_l_per_year: float
    fuel_m3_per_year: float
    energy_kwh_per_year: float
    energy_cost_usd_per_year: float
    co2_t_per_year: float
    trucks: int
    modules: int
    racks: int
    racks_per_module: int
    servers_per_rack: int
    module_gross_mass_kg: float
    module_max_gross_kg: float
    power_source: str
    gensets: dict[str, int]
    genset_duty_units: int
    fuel_tank: float
    autonomy_days: float
    refuel_trips_per_month: float
    ups_battery_kwh: float
    max_ambient_c: float
    inlet_limit_c: float
    design_ambient_c: float
    feasible: bool
    verdicts: tuple[Verdict, ...]
    binding_constraint: str
    warnings: tuple[str, ...]
    deployment_days: float
    weather_source: str
    synthesized_weather: bool
    cooling_id: str
    module_id: str
    layout: Layout
    transport: TransportPlan
    timeline: Timeline
    cooling: CoolingModel
    year: YearResult

    @property
    def violations(self) -> list[str]:
        """Verdict reasons as plain sentences (SitePlan.violations)."""
        return [v.reason for v in self.verdicts]

    def to_hourly(self) -> Hourly:
        """The hourly series as the plan's :class:`~flatbed.plan.result.Hourly`."""
        y = self.year
        return Hourly(
            ambient_c=[round(float(x), 2) for x in y.ambient_c],
            it_kw=[round(float(x), 3) for x in y.it_kw],
            facility_kw=[round(float(x), 3) for x in y.facility_kw],
            cooling_kw=[round(float(x), 3) for x in y.cooling_kw],
            throttled=[bool(x) for x in y.throttled],
            synthesized_weather=self.synthesized_weather,
            weather_source=self.weather_source,
        )

    def module_plans(self) -> list[ModulePlan]:
        """The plan's module lines (one line: all modules are the same type)."""
        if self.modules == 0:
            return []
        return [ModulePlan(
            type=self.module_id, count=self.modules, cooling=self.cooling_id,
            racks_per_module=self.racks_per_module, gross_mass_kg=self.module_gross_mass_kg,
            max_gross_kg=self.module_max_gross_kg)]


def weather_for(weather_file: str | Path | None, climate: Climate | None,
                seed: int = 0) -> WeatherYear:
    """The site's weather year: its EPW file if given, else the climate's built-in year."""
    if weather_file is not None:
        return read_epw(weather_file)
    if climate is None:
        raise ValueError("need a weather file or a climate")
    return weather_for_climate(climate, seed)


def weather_for_site(site: Site, catalog: Catalog, seed: int = 0,
                     base_dir: str | Path | None = None) -> WeatherYear:
    """Weather for a scenario :class:`~flatbed.scenario.Site` (``weather_file`` overrides
    ``climate``; a relative weather file is taken relative to ``base_dir``)."""
    if site.weather_file:
        wf = Path(site.weather_file)
        if base_dir is not None and not wf.is_absolute():
            wf = Path(base_dir) / wf
        return read_epw(wf)
    return weather_for(None, catalog.get("climates", site.climate, Climate), seed)


def select_genset(cands: Sequence[Genset], peak_kw: float, *, elevation_m: float,
                  hottest_c: float, redundancy: Literal["N", "N+1"] = "N+1"
                  ) -> tuple[Genset, int] | None:
    """The genset model and count (incl. redundancy) with the least installed nameplate [kW].

    Each candidate is derated at the site's elevation and hottest hour; ties go to the smaller
    set. None when there are no candidates.
    """
    best: tuple[float, float, Genset, int] | None = None
    for g in cands:
        derate = float(genset_derate_fraction(
            elevation_m, hottest_c,
            altitude_derate_per_500m_above_1000m=g.altitude_derate_per_500m_above_1000m,
            temp_derate_per_5c_above_40c=g.temp_derate_per_5c_above_40c))
        n = gensets_needed(peak_kw, g.rating_kw * derate, redundancy)
        key = (n * g.rating_kw, g.rating_kw)
        if best is None or key < best[:2]:
            best = (key[0], key[1], g, n)
    return None if best is None else (best[2], best[3])


def evaluate_facility(
    *,
    server: Server | None = None,
    servers: int = 0,
    server_groups: Sequence[tuple[Server, int]] | None = None,
    cooling: CoolingSystem,
    module: Module,
    road: RoadLimit,
    weather: WeatherYear,
    utilization: ArrayLike,
    elevation_m: float | None = None,
    grid_kw: float = 0.0,
    grid_usd_per_kwh: float = 0.093,
    grid_kg_co2_per_kwh: float = 0.37,
    power_source: Literal["auto", "grid", "generator"] = "auto",
    generators_allowed: bool = True,
    gensets: Sequence[Genset] = (),
    fuel: Literal["diesel", "natural_gas"] = "diesel",
    diesel_usd_per_l: float = 0.97,
    gas_usd_per_m3: float = 0.35,
    redundancy: Literal["N", "N+1"] = "N+1",
    throughput_fraction_at_power_cap: ThroughputCurve | None = None,
    gpu_kw_per_server: float | dict[str, float] | None = None,
    on_overheat: Literal["cap", "shed"] = "cap",
    min_cap_fraction: float = MIN_CAP_FRACTION,
    max_throttled_hours: float = 0.0,
    pads: int | None = None,
    fuel_tank_l: float | None = None,
    ups_ride_through_s: float = UPS_RIDE_THROUGH_S,
    distance_km: float = 1000.0,
    cooling_power: CoolingPowerFn = cooling_power_kw,
) -> FacilityResult:
    """Evaluate one site's facility: layout, year simulation, power, transport, timeline.

    Parameters
    ----------
    server, servers : Server record and how many (one server type), or
    server_groups : [(Server, count), ...] for a site with several server types (placed in
        order; the tightest inlet limit governs the shared cooling).
    cooling, module, road : catalog records.
    weather : the site's hourly year (:func:`weather_for_site`).
    utilization : 8,760 hourly demand fractions (:func:`flatbed.facility.thermal.
        hourly_utilization` builds it from the daily profile).
    elevation_m : site elevation [m]; default the weather record's.
    grid_kw, grid_usd_per_kwh, grid_kg_co2_per_kwh : grid ceiling [kW] (0 = none), price, carbon.
    power_source : "auto" (grid when it covers the peak, else gensets), "grid" or "generator".
    gensets : candidate catalog gensets; those burning ``fuel`` are considered.
    throughput_fraction_at_power_cap : cap_fraction → throughput fraction (perf model).
    gpu_kw_per_server : GPU power at full load per server [kW] (GPUs × TDP), one number or by
        server id; default max − idle.
    min_cap_fraction : lowest GPU power cap / GPU max power (accelerator min_power_cap_w / tdp_w).
    max_throttled_hours : throttled hours per year tolerated before it is a violation.
    pads : module pads at the site (None = unlimited).
    fuel_tank_l : fuel storage [L or m³]; default 72 h at peak burn.
    cooling_power : cooling power model (:data:`flatbed.facility.cooling.COOLING_POWER`).
    """
    elev = weather.elevation_m if elevation_m is None else float(elevation_m)
    if server_groups is None:
        if server is None:
            raise ValueError("give server and servers, or server_groups")
        server_groups = [(server, servers)]
    groups = [(s, int(n)) for s, n in server_groups if n > 0]
    if not groups:
        raise ValueError("no servers to place")
    verdicts: list[Verdict] = []
    warnings: list[str] = []
    layout = plan_layout_groups(groups, module, cooling)
    verdicts += [Verdict("layout", v) for v in layout.violations]
    for srv, _n in groups:
        if srv.liquid_cooled and cooling.kind != "direct_liquid":
            verdicts.append(Verdict("cooling", f"{srv.id} is liquid-cooled; {cooling.id} "
                                    f"({cooling.kind}) cannot cool it"))
        if not srv.liquid_cooled and cooling.kind == "direct_liquid":
            warnings.append(f"{srv.id} is listed air-cooled: {cooling.id} assumes its "
                            "cold-plate (liquid-cooled) variant")
    idle_kw = sum(s.idle_power_kw * n for s, n in groups)
    max_kw = sum(s.max_power_kw * n for s, n in groups)
    gpu_kw = 0.0
    for s, n in groups:
        per = gpu_kw_per_server.get(s.id) if isinstance(gpu_kw_per_server, dict) \
            else gpu_kw_per_server
        gpu_kw += n * (s.max_power_kw - s.idle_power_kw if per is None else per)
    inlet_max = min(s.inlet_max_c for s, _n in groups)
    air_dt = sum(server_air_delta_t_k(s) * s.max_power_kw * n for s, n in groups) / max_kw
    if weather.synthesized:
        warnings.append(f"weather is synthesized, not measured: {weather.source}")
    if pads is not None and layout.modules > pads:
        verdicts.append(Verdict("site", f"{layout.modules} modules need more than the site's "
                                f"{pads} pads"))

    design_heat = max(layout.modules, 1) * layout.module_it_kw_limit
    cm = cooling_model(cooling, inlet_max_c=inlet_max, design_heat_kw=design_heat,
                       elevation_m=elev, air_delta_t_k=air_dt)
    # The cluster is simulated as one aggregate "server" (power is linear in utilization for
    # every server, so the sum is exact).
    sim_args = dict(
        ambient_c=weather.dry_bulb_c, utilization=utilization, servers=1,
        server_idle_kw=idle_kw, server_max_kw=max_kw, cooling=cm, gpu_kw_per_server=gpu_kw,
        throughput_fraction_at_power_cap=throughput_fraction_at_power_cap,
        on_overheat=on_overheat, min_cap_fraction=min_cap_fraction,
        cooling_power=cooling_power,
    )
    grid_supply = PowerSupply(kind="grid", grid_kw=grid_kw, grid_usd_per_kwh=grid_usd_per_kwh,
                              grid_kg_co2_per_kwh=grid_kg_co2_per_kwh, elevation_m=elev)
    year = simulate_year(supply=grid_supply, **sim_args)  # type: ignore[arg-type]
    peak = year.facility_kw_peak

    # --- power source
    chosen: Literal["grid", "generator", "none"]
    has_grid = grid_kw > 0
    if power_source == "grid":
        chosen = "grid"
        if not has_grid:
            verdicts.append(Verdict("power", "power source 'grid' chosen but the site has no "
                                    "grid connection (grid_kw = 0)"))
    elif power_source == "generator":
        chosen = "generator"
    elif has_grid and peak <= grid_kw:
        chosen = "grid"
    elif generators_allowed:
        chosen = "generator"
    elif has_grid:
        chosen = "grid"
    else:
        chosen = "none"
        verdicts.append(Verdict("power", "the site has no grid connection and generators are "
                                "not allowed"))
    if chosen == "grid" and has_grid and peak > grid_kw:
        verdicts.append(Verdict("power", f"peak facility load {_kw(peak)} kW exceeds the "
                                f"{_kw(grid_kw)} kW grid connection"))
    if chosen == "generator" and not generators_allowed:
        verdicts.append(Verdict("power", "generators are not allowed at this site"))

    genset_counts: dict[str, int] = {}
    duty = 0
    tank = 0.0
    autonomy = math.inf
    trips = 0.0
    genset_masses: list[float] = []
    if chosen == "generator":
        cands = [g for g in gensets if g.fuel == fuel]
        pick = select_genset(cands, peak, elevation_m=elev,
                             hottest_c=float(np.max(weather.dry_bulb_c)), redundancy=redundancy)
        if pick is None:
            verdicts.append(Verdict("power", f"no {fuel.replace('_', ' ')} genset in the catalog "
                                    "to power the site"))
            chosen = "none"
        else:
            g, n = pick
            duty = n - (1 if redundancy == "N+1" else 0)
            genset_counts = {g.id: n}
            genset_masses = [g.mass_kg] * n
            supply = PowerSupply(
                kind="generator", genset=g, units=n, duty_units=duty, elevation_m=elev,
                fuel_usd_per_unit=diesel_usd_per_l if fuel == "diesel" else gas_usd_per_m3)
            year = simulate_year(supply=supply, **sim_args)  # type: ignore[arg-type]
            burn_peak = float(year.fuel_per_h.max())
            tank = fuel_tank_l if fuel_tank_l is not None else FUEL_TANK_HOURS_AT_PEAK * burn_peak
            per_year = year.fuel_l_per_year + year.fuel_m3_per_year
            autonomy = autonomy_days(tank, per_year / 365.0)
            trips = refuel_trips_per_month(per_year) if fuel == "diesel" else 0.0
            avg_load = year.facility_kw_mean / (max(duty, 1) * g.rating_kw)
            running = sets_running(year.facility_kw, supply.derated_kw(weather.dry_bulb_c), duty)
            running_load = float(np.mean(year.facility_kw / (running * g.rating_kw)))
            if fuel == "diesel" and running_load < DIESEL_MIN_LOAD_FRACTION:
                warnings.append(
                    f"the {g.id} sets run at {running_load:.0%} of rating on average, below the "
                    f"~{DIESEL_MIN_LOAD_FRACTION:.0%} minimum for diesel sets (wet stacking); "
                    "a smaller set would burn less fuel")
            if avg_load > PRIME_AVERAGE_LOAD_MAX:
                warnings.append(f"average genset load {avg_load:.0%} of prime rating exceeds the "
                                f"ISO 8528 prime limit of {PRIME_AVERAGE_LOAD_MAX:.0%}")
            if fuel == "natural_gas":
                warnings.append("natural gas needs a pipeline connection; no refuelling trips "
                                "counted")
    if chosen == "none":
        year = replace(year, energy_cost_usd_per_year=0.0, co2_t_per_year=0.0)

    # --- cooling verdict
    full_load_max_amb = max_ambient_c(cm, min(1.0, year.it_kw_peak / cm.design_heat_kw)
                                      if year.it_kw_peak > 0 else 1.0)
    limit_txt = f"{cm.air_limit_c:.0f} °C server inlet"
    if cm.liquid_share > 0:
        limit_txt += f" / {cm.liquid_limit_c:.0f} °C cold-plate water"
    if year.throttled_hours > max_throttled_hours:
        verdicts.append(Verdict(
            "cooling",
            f"{cooling.id} cannot hold the {limit_txt} above {full_load_max_amb:.1f} °C ambient: "
            f"{year.throttled_hours:.0f} h/yr throttled ({year.slo_breaking_hours:.0f} h short of "
            f"demand, {year.throughput_lost_fraction:.2%} of the year's work lost; "
            f"{max_throttled_hours:g} h tolerated)"))
    elif year.throttled_hours > 0:
        warnings.append(f"{cooling.id} throttles {year.throttled_hours:.0f} h/yr above "
                        f"{full_load_max_amb:.1f} °C ambient (within the {max_throttled_hours:g} h "
                        "tolerated)")

    # --- transport, UPS, timeline
    transport = plan_transport(layout, [s for s, _n in groups], module, road, genset_masses)
    verdicts += [Verdict("transport", v) for v in transport.violations]
    warnings += list(transport.warnings)
    ups = ups_battery_kwh(year.it_kw_peak, ups_ride_through_s)
    tl = deployment_timeline(layout.modules, distance_km=distance_km)

    binding = verdicts[0].constraint + ": " + verdicts[0].reason if verdicts else ""
    if verdicts:
        order = ["power", "cooling", "layout", "transport", "site"]
        top = min(verdicts, key=lambda v: order.index(v.constraint))
        binding = f"{top.constraint}: {top.reason}"
    elif year.throttled_hours > 0:
        binding = (f"cooling: {cooling.id} holds the {limit_txt} only up to "
                   f"{full_load_max_amb:.1f} °C ambient")
    return FacilityResult(
        pue_annual=year.pue_annual, facility_kw_peak=year.facility_kw_peak,
        facility_kw_mean=year.facility_kw_mean, it_kw_peak=year.it_kw_peak,
        throttled_hours=year.throttled_hours, slo_breaking_hours=year.slo_breaking_hours,
        throughput_lost_fraction=year.throughput_lost_fraction,
        fuel_l_per_year=year.fuel_l_per_year, fuel_m3_per_year=year.fuel_m3_per_year,
        energy_kwh_per_year=year.energy_kwh_per_year,
        energy_cost_usd_per_year=year.energy_cost_usd_per_year,
        co2_t_per_year=year.co2_t_per_year, trucks=transport.trucks, modules=layout.modules,
        racks=layout.racks, racks_per_module=layout.racks_per_module,
        servers_per_rack=layout.servers_per_rack, module_gross_mass_kg=transport.module_gross_kg,
        module_max_gross_kg=module.max_gross_kg, power_source=chosen, gensets=genset_counts,
        genset_duty_units=duty, fuel_tank=tank, autonomy_days=autonomy,
        refuel_trips_per_month=trips, ups_battery_kwh=ups, max_ambient_c=full_load_max_amb,
        inlet_limit_c=cm.air_limit_c, design_ambient_c=weather.design_db_c(),
        feasible=not verdicts, verdicts=tuple(verdicts), binding_constraint=binding,
        warnings=tuple(warnings), deployment_days=tl.total_days,
        weather_source=weather.source, synthesized_weather=weather.synthesized,
        cooling_id=cooling.id, module_id=module.id, layout=layout, transport=transport,
        timeline=tl, cooling=cm, year=year,
    )


def _kw(x: float) -> str:
    """Power for a message: whole kW, or three significant digits below 100 kW (so 1.33 and
    1.25 kW do not both print as "1")."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"
