"""Build a :class:`~flatbed.fleet.model.FleetInstance` from a multi-site scenario.

Each workload is its own capacity class: demand is its peak rate (LLM requests/s, or vision
frames/s = streams × fps) and a unit's capacity for it is the peak rate one unit serves within
the workload's SLOs. Unit types come from a ``unit_options(scenario, catalog)`` callable: the
lead's single-site chain supplies the sized options; :func:`default_unit_options` is a simple
stand-in that builds modules of 1, 2 or 4 servers and estimates capacity with
:mod:`flatbed.perf` when it is importable, else from accelerator peak numbers (labelled
estimate).

Labelled estimates used here (each a module constant, overridable by argument):

* :data:`NETWORK_SHARE` — the share of a workload's latency SLO the network between its users
  and a remote serving site may use.
* :data:`DIESEL_KWH_PER_L`, :data:`GAS_KWH_PER_M3` — genset output per unit of fuel.
* :data:`MEAN_LOAD_FRACTION`, :data:`MOVE_USD`, :data:`DEFAULT_CLOUD_RTT_MS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flatbed.catalog import Catalog, load_catalog
from flatbed.catalog.records import (
    Accelerator,
    ApiPrice,
    Climate,
    CoolingSystem,
    ModelArch,
    Module,
    Server,
    VisionModel,
)
from flatbed.errors import InputError
from flatbed.fleet.model import (
    FleetInstance,
    FleetSite,
    FleetWorkload,
    UnitType,
    fibre_rtt_ms,
)
from flatbed.scenario import LLMWorkload, Scenario, Site, VisionWorkload

AnyWorkload = LLMWorkload | VisionWorkload
UnitOptions = Callable[[Scenario, Catalog], list[UnitType]]

NETWORK_SHARE = 0.25
"""Share of the workload's p99 SLO (TTFT for LLMs, frame deadline for vision) that the round
trip to a remote serving site may take [-]. Design choice [est]: the rest is left for queueing
and compute, which the single-site chain sizes against the full SLO."""

DIESEL_KWH_PER_L = 3.80
"""Genset electrical output per litre of diesel at 75 % load [kWh/L]: 1 MW set, 750 kWh from
197.2 L (catalog_facts.md §6a, from R47/R48 fuel charts) [est]."""

GAS_KWH_PER_M3 = 3.53
"""Gas genset output per m³ of natural gas [kWh/m³]: 10 ft³/kWh (catalog_facts.md §6b) =
0.283 m³/kWh [est]."""

MEAN_LOAD_FRACTION = 0.6
"""Mean server load between idle and maximum power over a year, for energy [-] [est]: units
are sized for the peak hour with headroom, and the daily profiles in scenario.py average
0.45–0.95 of peak."""

MOVE_USD = 40_000.0
"""Relocating one module between sites [USD] [est]: de-rig, crane lift, one heavy-haul truck
over a regional (< 1,000 km) leg and re-commissioning; an order-of-magnitude placeholder, not a
quote — pass ``move_usd`` with a real one."""

DEFAULT_CLOUD_RTT_MS = 40.0
"""Site-to-cloud-region round trip when the scenario gives none [ms] [est]: middle of the
20–80 ms range in catalog_facts.md §7."""

UNIT_LIFE_YEARS = 5.0
"""Depreciation life of a unit [yr] [est]: the usual 5-year GPU server book life."""

LLM_PEAK_EFFICIENCY = 0.30
"""Achieved fraction of peak dense FLOP/s for the peak-number fallback [est]; serving engines
reach roughly 30–50 % MFU on prefill and less on decode (llm_simulators.md)."""

SLO_HEADROOM = 0.8
"""Fraction of steady-state throughput counted as capacity, leaving room for p99 bursts [est]."""

DEFAULT_ACCELERATORS = ("H100-SXM", "L40S")
"""Accelerators tried when no workload restricts them: one large-memory part for LLMs and one
PCIe inference part for vision."""

SERVERS_PER_UNIT = (1, 2, 4)


def workload_demand(w: AnyWorkload) -> float:
    """Peak demand in the workload's capacity unit: LLM requests/s, vision frames/s."""
    if isinstance(w, LLMWorkload):
        return w.peak_requests_per_s
    return w.streams * w.fps


def latency_budget_ms(w: AnyWorkload, share: float = NETWORK_SHARE) -> float:
    """Round trip to a remote serving site the workload tolerates [ms] (share of its SLO)."""
    slo = w.ttft_p99_ms if isinstance(w, LLMWorkload) else w.deadline_p99_ms
    return share * slo


def cloud_usd_per_unit_year(w: AnyWorkload, catalog: Catalog) -> float | None:
    """Cheapest catalog API price for one unit of peak demand served for a year [USD/yr].

    LLM: ``mean_profile × 3600 × 8760`` requests per (request/s of peak) × (input × input price
    + output × output price) / 10⁶. Vision: frames per year per (frame/s of peak) × price per
    thousand images / 1,000. None when the catalog has no API serving the model.
    """
    hours = 8760.0
    mean = sum(w.profile()) / 24.0
    best: float | None = None
    for rec in catalog.all("api_prices"):
        if not isinstance(rec, ApiPrice) or rec.kind != w.kind or not rec.model:
            continue
        if not catalog.has("models" if w.kind == "llm" else "vision_models", rec.model):
            continue
        kind = "models" if w.kind == "llm" else "vision_models"
        if catalog.get(kind, rec.model).id != catalog.get(kind, w.model).id:
            continue
        per_year = mean * 3600 * hours
        if isinstance(w, LLMWorkload):
            if rec.usd_per_million_input_tokens is None or rec.usd_per_million_output_tokens \
                    is None:
                continue
            usd = per_year * (w.input_tokens.mean * rec.usd_per_million_input_tokens
                              + w.output_tokens.mean * rec.usd_per_million_output_tokens) / 1e6
        else:
            if rec.usd_per_thousand_images is None:
                continue
            usd = per_year * rec.usd_per_thousand_images / 1000.0
        best = usd if best is None else min(best, usd)
    return best


# ---- per-unit capacity ------------------------------------------------------------------------


def llm_capacity_per_gpu_peak(arch: ModelArch, accel: Accelerator, w: LLMWorkload) -> float:
    """Peak-number estimate of requests/s per GPU [1/s] [est].

    ``η · peak FLOP/s / (2 · active params · (input + output tokens))``: forward FLOPs of
    ~2 per parameter per token (Kaplan et al. 2020, 'Scaling Laws for Neural Language Models',
    §2.1) at :data:`LLM_PEAK_EFFICIENCY`; 0 when the weights do not fit in 8 GPUs' memory.
    """
    prec = w.precision if w.precision in accel.peak_dense_tflops else "bf16"
    peak = accel.peak_dense_tflops.get(prec, accel.peak_dense_tflops.get("fp16", 0.0))
    bytes_per = {"fp4": 0.5, "int4": 0.5, "fp8": 1.0, "int8": 1.0}.get(w.precision, 2.0)
    if arch.params_b * 1e9 * bytes_per > 8 * accel.memory_gb * 1e9 * 0.9:
        return 0.0
    tokens = w.input_tokens.mean + w.output_tokens.mean
    return float(LLM_PEAK_EFFICIENCY * peak * 1e12 / (2 * arch.active_params_b * 1e9 * tokens))


def vision_capacity_per_gpu_peak(model: VisionModel, accel: Accelerator,
                                 w: VisionWorkload) -> float:
    """Peak-number estimate of frames/s per GPU [1/s] [est]: η · peak / FLOPs per frame."""
    peak = accel.peak_dense_tflops.get(w.precision, accel.peak_dense_tflops.get("fp16", 0.0))
    h0, w0 = model.reference_resolution
    scale = w.resolution[0] * w.resolution[1] / float(h0 * w0)
    return float(LLM_PEAK_EFFICIENCY * peak * 1e12 / (model.gflops_per_sample * 1e9 * scale))


def _llm_capacity_per_server_perf(arch: ModelArch, accel: Accelerator, n_gpus: int,
                                  w: LLMWorkload) -> float | None:
    """Requests/s one server serves within the SLOs, from :mod:`flatbed.perf.llm` (None if the
    perf model is unavailable). Smallest TP that fits; the largest concurrency on a doubling
    ladder whose steady-state TTFT and TPOT stay within the SLOs; × :data:`SLO_HEADROOM`."""
    try:
        from flatbed.perf.llm import LLMDeployment
    except ImportError:
        return None
    isl, osl = w.input_tokens.mean, w.output_tokens.mean
    kv = "fp8" if w.precision in ("fp8", "fp4", "int4") else "bf16"
    tp = 1
    while tp <= n_gpus:
        try:
            dep = LLMDeployment(arch=arch, accel=accel, precision=w.precision, kv_precision=kv,
                                tp=tp, engine=w.engine)
        except (ValueError, KeyError):
            return 0.0
        if dep.max_concurrency(isl, osl) >= 1:
            break
        tp *= 2
    else:
        return 0.0
    best = 0.0
    c = 1
    cmax = dep.max_concurrency(isl, osl)
    while c <= cmax:
        st = dep.steady_state(c, isl, osl)
        if st.ttft_s * 1e3 > w.ttft_p99_ms or st.tpot_s * 1e3 > w.tpot_p99_ms:
            break
        best = max(best, st.requests_per_s)
        c *= 2
    return best * (n_gpus // tp) * SLO_HEADROOM


def _vision_capacity_per_gpu_perf(model: VisionModel, accel: Accelerator,
                                  w: VisionWorkload) -> float | None:
    """Frames/s per GPU meeting the deadline (a batch fills and runs within half of it)."""
    try:
        from flatbed.perf.vision import batch_time_s
    except ImportError:
        return None
    best = 0.0
    b = 1
    while b <= 64:
        t = batch_time_s(model, accel, b, w.precision, w.resolution)
        if 2 * t * 1e3 > w.deadline_p99_ms:
            break
        best = max(best, b / t)
        b *= 2
    return best * SLO_HEADROOM


def unit_capacity(server: Server, accel: Accelerator, n_servers: int, w: AnyWorkload,
                  catalog: Catalog, use_perf: bool = True) -> float:
    """Peak demand one unit of ``n_servers`` servers serves for ``w`` [capacity units]."""
    if w.accelerators and not any(catalog.has("accelerators", a) and catalog.get(
            "accelerators", a).id == accel.id for a in w.accelerators):
        return 0.0
    try:
        if isinstance(w, LLMWorkload):
            arch = catalog.get("models", w.model, ModelArch)
            per = _llm_capacity_per_server_perf(arch, accel, server.accelerator_count, w) \
                if use_perf else None
            if per is None:
                per = llm_capacity_per_gpu_peak(arch, accel, w) * server.accelerator_count
        else:
            vm = catalog.get("vision_models", w.model, VisionModel)
            g = _vision_capacity_per_gpu_perf(vm, accel, w) if use_perf else None
            if g is None:
                g = vision_capacity_per_gpu_peak(vm, accel, w)
            per = g * server.accelerator_count
    except (KeyError, ValueError, ZeroDivisionError):
        return 0.0
    return max(0.0, float(per)) * n_servers


# ---- unit types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitDesign:
    """How a default unit type was put together (for reporting)."""

    unit_id: str
    server: str
    servers: int
    module: str
    cooling: str
    it_kw: float
    facility_kw: float
    max_ambient_c: float


def _pue_at_design(cool: CoolingSystem) -> float:
    """Facility/IT power at design: 1 + fans/pumps + compressor (1/COP at 35 °C) [-]."""
    comp = 1.0 / cool.cop_at_35c if cool.cop_at_35c else 0.0
    return 1.0 + cool.fan_power_fraction + comp


def default_unit_designs(scen: Scenario, catalog: Catalog) -> list[tuple[UnitDesign, UnitType]]:
    """Default unit types with their designs: servers × cooling × 1/2/4 servers per module."""
    accels: list[str] = []
    for w in scen.workloads:
        for a in w.accelerators or []:
            if catalog.has("accelerators", a):
                accels.append(catalog.get("accelerators", a).id)
    if not accels:
        accels = [a for a in DEFAULT_ACCELERATORS if catalog.has("accelerators", a)]
    accels = list(dict.fromkeys(accels))
    coolings = [c for c in catalog.all("cooling") if isinstance(c, CoolingSystem)]
    if scen.constraints.cooling:
        ok_cool: set[str] = {catalog.get("cooling", c, CoolingSystem).id
                             for c in scen.constraints.cooling}
        coolings = [c for c in coolings if c.id in ok_cool]
    modules = [m for m in catalog.all("modules") if isinstance(m, Module)]
    if scen.constraints.modules:
        ok_mod: set[str] = {catalog.get("modules", m, Module).id
                            for m in scen.constraints.modules}
        modules = [m for m in modules if m.id in ok_mod]
    modules.sort(key=lambda m: (m.price_usd, m.id))
    p = scen.prices
    out: list[tuple[UnitDesign, UnitType]] = []
    for aid in accels:
        accel = catalog.get("accelerators", aid, Accelerator)
        servers = sorted((s for s in catalog.all("servers") if isinstance(s, Server)
                          and s.accelerator == accel.id and s.accelerator_count <= 8),
                         key=lambda s: (s.price_usd / s.accelerator_count, s.id))
        if not servers:
            continue
        srv = servers[0]
        caps1 = {w.id: unit_capacity(srv, accel, 1, w, catalog) for w in scen.workloads}
        if not any(v > 0 for v in caps1.values()):
            continue
        # cheapest cooling of each kind family: air (cheap, low ambient) and a compressor
        # option (hot sites), liquid only for liquid-cooled servers
        usable = [c for c in coolings if (c.kind == "direct_liquid") == srv.liquid_cooled]
        usable.sort(key=lambda c: (c.capex_usd_per_kw, c.id))
        picked: list[CoolingSystem] = []
        if usable:
            picked.append(usable[0])
            hot = max(usable, key=lambda c: (c.max_ambient_c, -c.capex_usd_per_kw))
            if hot.id != usable[0].id:
                picked.append(hot)
        for cool in picked:
            for n in SERVERS_PER_UNIT:
                it_kw = n * srv.max_power_kw
                mod = next((m for m in modules if m.max_it_kw_by_cooling.get(cool.id, 0.0)
                            >= it_kw and m.racks * cool.max_kw_per_rack >= it_kw), None)
                if mod is None:
                    continue
                pue = _pue_at_design(cool)
                accel_usd = p.accelerator_usd.get(accel.id)
                srv_usd = p.server_usd.get(srv.id, srv.price_usd)
                if accel_usd is not None and accel.price_usd:
                    srv_usd += (accel_usd - accel.price_usd) * srv.accelerator_count
                capex = n * srv_usd + mod.price_usd + cool.capex_usd_per_kw * it_kw
                mean_kw = n * (srv.idle_power_kw + (srv.max_power_kw - srv.idle_power_kw)
                               * MEAN_LOAD_FRACTION) * pue
                uid = f"{srv.id}x{n}-{cool.id}"
                ut = UnitType(
                    id=uid, capacity={k: v * n for k, v in caps1.items() if v > 0},
                    capex_usd=capex, life_years=UNIT_LIFE_YEARS,
                    fixed_usd_per_year=capex * (p.maintenance_fraction_per_year
                                                + p.insurance_fraction_per_year),
                    power_kw=it_kw * pue, energy_kwh_per_year=mean_kw * 8760.0,
                    pads=1, move_usd=MOVE_USD,
                )
                out.append((UnitDesign(uid, srv.id, n, mod.id, cool.id, it_kw, it_kw * pue,
                                       cool.max_ambient_c), ut))
    return out


def default_unit_options(scen: Scenario, catalog: Catalog) -> list[UnitType]:
    """Default unit types (see :func:`default_unit_designs`); the lead's chain replaces this."""
    return [ut for _, ut in default_unit_designs(scen, catalog)]


# ---- sites and workloads ----------------------------------------------------------------------


def site_energy_usd_per_kwh(site: Site) -> float:
    """Grid tariff when there is a grid connection, else fuel per kWh of genset output."""
    if site.grid_kw > 0:
        return site.grid_usd_per_kwh
    if site.fuel == "diesel":
        return site.diesel_usd_per_l / DIESEL_KWH_PER_L
    return site.gas_usd_per_m3 / GAS_KWH_PER_M3


def site_power_kw(site: Site, power_source: str = "auto") -> float:
    """Power ceiling for units [kW]: unbounded with generators, else the grid connection."""
    if power_source != "grid" and site.generators_allowed:
        return math.inf
    return site.grid_kw if power_source != "generator" else 0.0


def site_cloud_rtt_ms(site: Site, catalog: Catalog) -> float:
    """Measured RTT, else fibre estimate from the distance, else the climate's, else default."""
    if site.cloud_rtt_ms is not None:
        return site.cloud_rtt_ms
    if site.cloud_distance_km is not None:
        return float(fibre_rtt_ms(site.cloud_distance_km))
    if site.weather_file is None and catalog.has("climates", site.climate):
        clim = catalog.get("climates", site.climate, Climate)
        if clim.cloud_region_rtt_ms is not None:
            return clim.cloud_region_rtt_ms
    return DEFAULT_CLOUD_RTT_MS


def site_design_ambient_c(site: Site, catalog: Catalog) -> float | None:
    """0.4 % cooling design dry-bulb of the site's climate [°C] (None without a catalog one)."""
    if site.weather_file is None and catalog.has("climates", site.climate):
        return catalog.get("climates", site.climate, Climate).design_db_004_c
    return None


def fleet_from_scenario(
    scen: Scenario,
    catalog: Catalog | None = None,
    unit_options: UnitOptions | None = None,
    *,
    periods: int = 1,
    demand_growth_per_year: float = 0.0,
    network_share: float = NETWORK_SHARE,
    max_ambient_c: dict[str, float] | None = None,
    move_usd: float | None = None,
) -> FleetInstance:
    """The fleet problem a scenario poses.

    Parameters
    ----------
    scen : Scenario
        Sites, workloads, prices (``prices.discount_rate``, per-site staff, connectivity and
        lease as the site's fixed cost) and ``horizon_years``.
    catalog : Catalog or None
        Defaults to the built-in catalog plus ``scen.catalog_paths``.
    unit_options : callable or None
        ``unit_options(scenario, catalog) -> list[UnitType]`` (capacity keyed by workload id);
        None = :func:`default_unit_options`.
    periods : int
        Equal planning periods over the horizon.
    demand_growth_per_year : float
        Compound demand growth [1/yr]; period ``t`` demand = peak × (1 + g)^(start year of t).
    network_share : float
        See :data:`NETWORK_SHARE`.
    max_ambient_c : dict or None
        Highest design ambient [°C] per unit type id; sites whose climate's 0.4 % design
        dry-bulb exceeds it are too hot for that type. None: from the default unit designs'
        cooling (unit ids ending in a cooling id), else no limit.
    move_usd : float or None
        Override every unit type's relocation cost [USD].
    """
    cat = catalog if catalog is not None else load_catalog(scen.catalog_paths)
    if periods < 1:
        raise ValueError("periods must be ≥ 1")
    if unit_options is None:
        designs = default_unit_designs(scen, cat)
        units = [ut for _, ut in designs]
        limits = {d.unit_id: d.max_ambient_c for d, _ in designs}
    else:
        units = list(unit_options(scen, cat))
        limits = {}
    if max_ambient_c is not None:
        limits = dict(max_ambient_c)
    if move_usd is not None:
        units = [UnitType(**{**u.__dict__, "move_usd": move_usd}) for u in units]
    p = scen.prices
    site_fixed = p.staff_usd_per_year + p.connectivity_usd_per_year + p.site_lease_usd_per_year
    sites = []
    for s in scen.sites:
        amb = site_design_ambient_c(s, cat)
        hot = frozenset(uid for uid, lim in limits.items() if amb is not None and amb > lim)
        sites.append(FleetSite(
            id=s.id, country=s.country, latitude=s.latitude, longitude=s.longitude,
            pads=s.pads, power_kw=site_power_kw(s, scen.constraints.power_source),
            energy_usd_per_kwh=site_energy_usd_per_kwh(s), fixed_usd_per_year=site_fixed,
            too_hot_for=hot, cloud_rtt_ms=site_cloud_rtt_ms(s, cat),
        ))
    years = scen.horizon_years / periods
    starts = [t * years for t in range(periods)]
    workloads = []
    for w in scen.workloads:
        peak = workload_demand(w)
        workloads.append(FleetWorkload(
            id=w.id, site=str(w.site), workload_class=w.id,
            demand=tuple(peak * (1.0 + demand_growth_per_year) ** t0 for t0 in starts),
            latency_budget_ms=latency_budget_ms(w, network_share),
            data_where=w.data.where,
            cloud_usd_per_unit_year=cloud_usd_per_unit_year(w, cat),
            regime=w.data.regime,
        ))
    return FleetInstance(
        sites=tuple(sites), unit_types=tuple(units), workloads=tuple(workloads),
        period_years=(years,) * periods, discount_rate=p.discount_rate,
    )


def plan_fleet(scen: Scenario, cat: Catalog, *, periods: int = 1, growth: float = 0.0,
               time_limit_s: float = 60.0, gap: float = 1e-4,
               threads: int | None = None) -> dict[str, Any]:
    """Build and solve a scenario's fleet problem, return the JSON-ready result.

    Keys: ``units``, ``assignments``, ``cloud``, ``objective_usd``, ``optimality_gap`` (see
    :meth:`flatbed.fleet.solve.FleetSolution.to_dict`), plus ``unit_types`` (what each unit
    type is and costs), ``workloads`` (demand, budget, data rule, where served) and
    ``scenario``.
    """
    from flatbed.fleet.solve import solve_fleet

    inst = fleet_from_scenario(scen, cat, periods=periods, demand_growth_per_year=growth)
    if not inst.unit_types:
        raise InputError("no unit type can serve any workload of this scenario with the "
                         "catalog's servers (check workloads' `accelerators` and constraints)")
    sol = solve_fleet(inst, time_limit_s=time_limit_s, mip_rel_gap=gap, threads=threads)
    d = sol.to_dict()
    d["scenario"] = scen.name
    d["sites"] = [{"id": x.id, "latitude": x.latitude, "longitude": x.longitude,
                   "country": x.country} for x in scen.sites]
    d["period_years"] = list(inst.period_years)
    d["unit_types"] = [{
        "id": u.id, "capex_usd": u.capex_usd, "life_years": u.life_years,
        "fixed_usd_per_year": u.fixed_usd_per_year, "power_kw": u.power_kw,
        "energy_kwh_per_year": u.energy_kwh_per_year, "move_usd": u.move_usd,
        "capacity": dict(u.capacity),
    } for u in inst.unit_types]
    where: dict[str, set[str]] = {}
    for a in sol.assignments:
        where.setdefault(a.workload, set()).add(a.site)
    for c in sol.cloud:
        where.setdefault(c.workload, set()).add("cloud")
    d["workloads"] = [{
        "id": w.id, "site": w.site, "demand": list(w.demand),
        "latency_budget_ms": w.latency_budget_ms, "data_where": w.data_where,
        "regime": w.regime, "cloud_usd_per_unit_year": w.cloud_usd_per_unit_year,
        "served_at": sorted(where.get(w.id, set())),
    } for w in inst.workloads]
    return d
