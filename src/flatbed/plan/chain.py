"""The chain for one site: size → lay out → simulate the facility year → cost → present.

Each stage is a model area's entry point; this module only wires them and records which stage
produced which figure (``Plan.provenance``). :func:`evaluate_option` runs the chain for one
candidate configuration; :mod:`flatbed.plan.choose` searches over candidates;
:func:`plan_scenario` plans every site of a scenario.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flatbed import __version__
from flatbed.catalog import (
    Accelerator,
    ApiPrice,
    Catalog,
    CloudGpuOffer,
    CoolingSystem,
    Genset,
    ModelArch,
    Module,
    RoadLimit,
    Server,
    VisionModel,
    load_catalog,
)
from flatbed.catalog.records import Record
from flatbed.economics.capex import ModuleGroup
from flatbed.economics.cloud import CloudGpuDemand, WorkloadDemand
from flatbed.economics.evaluate import EconomicsResult, demand_from_workload, evaluate_economics
from flatbed.errors import InputError
from flatbed.facility.cooling import COOLING_POWER
from flatbed.facility.evaluate import FacilityResult, evaluate_facility, weather_for_site
from flatbed.facility.thermal import hourly_utilization
from flatbed.facility.weather import WeatherYear
from flatbed.perf.power import IDLE_FRACTION
from flatbed.plan.result import (
    Alternative,
    Assumption,
    BomLine,
    Latency,
    ParetoPoint,
    Plan,
    Rejected,
    SitePlan,
    TornadoBar,
    WorkloadPlan,
)
from flatbed.registry import BUILTIN
from flatbed.scenario import LLMWorkload, Scenario, Site, VisionWorkload
from flatbed.serving.network import edge_vs_cloud
from flatbed.serving.sizing import (
    LLM_SIZING,
    VISION_SIZING,
    SizingResult,
    VisionDeployment,
)

AnyWorkload = LLMWorkload | VisionWorkload
HOURS_PER_YEAR = 8760.0

LLM_SIZING_DURATION_S = 240.0
"""Simulated peak-hour span per LLM sizing evaluation [s] (the sizer clips the request count
per evaluation to its own bounds whatever the span)."""

VISION_MAX_BATCH = 8
"""Dynamic-batcher max batch for vision replicas (Triton's documented default is no limit; 8
keeps frame latency bounded on every accelerator in the catalog) — a labelled choice."""


# ---------------------------------------------------------------------------------------------
# candidate configurations


@dataclass(frozen=True)
class WorkloadOption:
    """How one workload is served: accelerator and tensor-parallel degree (1 for vision)."""

    workload: str
    accelerator: str
    tp: int = 1

    @property
    def label(self) -> str:
        return f"{self.workload}→{self.accelerator}" + (f"×TP{self.tp}" if self.tp > 1 else "")


@dataclass(frozen=True)
class SiteOption:
    """One candidate configuration of a site."""

    workloads: tuple[WorkloadOption, ...]
    cooling: str
    module: str
    power_cap: float = 1.0
    """GPU power limit set on every GPU of the site, as a fraction of TDP [-]."""

    @property
    def label(self) -> str:
        ws = " + ".join(w.label for w in self.workloads)
        return f"{ws} in {self.module} with {self.cooling}{cap_label(self.power_cap)}"


def cap_label(power_cap: float) -> str:
    """`` at 80% GPU power`` for a capped option, empty when uncapped."""
    return f" at {power_cap:.0%} GPU power" if power_cap < 1.0 else ""


@dataclass
class WorkloadSizing:
    """A workload sized on one accelerator (cached per (workload, accelerator, tp))."""

    workload: AnyWorkload
    option: WorkloadOption
    accel: Accelerator
    server: Server | None
    replicas: int
    gpus_per_replica: int
    meets_slo: bool
    problem: tuple[str, str] | None
    """(constraint, detail) when this option cannot serve the workload."""
    sizing: SizingResult | None = None
    peak_demand: float = 0.0
    capacity_share_at_peak: float = 0.0
    """Busy fraction of the workload's GPUs at the peak hour [-]."""
    memory_bound_fraction: float = 0.0
    """Share of busy time in memory-bound work (LLM decode) at the peak hour [-]."""
    latency: Latency | None = None

    @property
    def gpus(self) -> int:
        return self.replicas * self.gpus_per_replica


@dataclass
class OptionResult:
    """The chain's output for one :class:`SiteOption`."""

    option: SiteOption
    sizings: list[WorkloadSizing]
    servers: dict[str, int]
    facility: FacilityResult | None
    economics: EconomicsResult | None
    problems: list[tuple[str, str]]

    @property
    def feasible(self) -> bool:
        return not self.problems

    @property
    def tco_usd(self) -> float:
        return self.economics.tco_usd if self.economics else math.inf

    @property
    def p99_ms(self) -> float:
        vals = [s.latency.edge_p99_ms for s in self.sizings if s.latency is not None]
        return max(vals) if vals else math.inf

    @property
    def facility_kw(self) -> float:
        return self.facility.facility_kw_peak if self.facility else math.inf


@dataclass
class SiteContext:
    """Everything fixed for one site while the search varies the configuration."""

    scenario: Scenario
    site: Site
    catalog: Catalog
    weather: WeatherYear
    seed: int = 0
    base_dir: Path | None = None
    _sizings: dict[tuple[str, str, int, float], WorkloadSizing] = field(default_factory=dict)
    _results: dict[SiteOption, OptionResult] = field(default_factory=dict)

    @property
    def workloads(self) -> list[AnyWorkload]:
        return self.scenario.site_workloads(self.site.id)


# ---------------------------------------------------------------------------------------------
# stage 1: size each workload (performance model + request-level simulation)


def servers_for(catalog: Catalog, accel_id: str) -> list[Server]:
    """Servers carrying ``accel_id``, cheapest first."""
    out = [s for s in catalog.all("servers") if isinstance(s, Server) and s.accelerator == accel_id]
    return sorted(out, key=lambda s: (s.price_usd / s.accelerator_count, s.id))


def peak_demand(w: AnyWorkload) -> float:
    """Peak output tokens/s (LLM) or frames/s (vision)."""
    if isinstance(w, LLMWorkload):
        return w.peak_requests_per_s * w.output_tokens.mean
    return w.streams * w.fps


def size_workload(ctx: SiteContext, w: AnyWorkload, opt: WorkloadOption,
                  power_cap: float = 1.0) -> WorkloadSizing:
    """Stage 1: the smallest replica count meeting the workload's p99 SLOs on ``opt`` with
    every GPU held at ``power_cap`` of its TDP."""
    key = (w.id, opt.accelerator, opt.tp, power_cap)
    if key in ctx._sizings:
        return ctx._sizings[key]
    cat = ctx.catalog
    accel = cat.get("accelerators", opt.accelerator, Accelerator)
    servers = servers_for(cat, accel.id)
    server = servers[0] if servers else None
    base = WorkloadSizing(w, opt, accel, server, 0, opt.tp, False, None,
                          peak_demand=peak_demand(w))
    if server is None:
        base.problem = ("catalog", f"no server in the catalog carries {accel.id}")
    elif server.accelerator_count % opt.tp:
        base.problem = ("parallelism", f"TP{opt.tp} does not divide the "
                        f"{server.accelerator_count} GPUs of {server.id}")
    elif power_cap < 1.0 and power_cap * accel.tdp_w < (accel.min_power_cap_w or 0.0):
        base.problem = ("power_cap", f"{accel.id} cannot be capped below "
                        f"{accel.min_power_cap_w:.0f} W ({power_cap:.0%} of "
                        f"{accel.tdp_w:.0f} W asked)")
    if base.problem:
        ctx._sizings[key] = base
        return base
    rng = np.random.default_rng(ctx.seed)
    if isinstance(w, LLMWorkload):
        from flatbed.perf.llm import LLMDeployment

        arch = cat.get("models", w.model, ModelArch)
        kv_prec = "fp8" if w.precision in ("fp8", "fp4", "int4") else "bf16"
        try:
            dep: Any = LLMDeployment(arch=arch, accel=accel, precision=w.precision,
                                     kv_precision=kv_prec, tp=opt.tp, engine=w.engine,
                                     power_cap_fraction=power_cap)
        except ValueError as exc:
            base.problem = ("precision", f"{w.precision} on {accel.id}: {exc}")
            ctx._sizings[key] = base
            return base
        need = w.input_tokens.mean + w.output_tokens.mean
        if dep.kv_capacity_tokens() < need:
            base.problem = ("memory", f"{w.model} at {w.precision} on {opt.tp}× {accel.id} "
                            f"({opt.tp * accel.memory_gb:.0f} GB) leaves no room for the KV "
                            f"cache of one {need:.0f}-token request")
            ctx._sizings[key] = base
            return base
        size_llm = LLM_SIZING.get(ctx.scenario.stages.llm_sizing)
        res = size_llm(dep, w, seed=ctx.seed, duration_s=LLM_SIZING_DURATION_S)
        base.memory_bound_fraction = decode_time_share(dep, w, res)
    else:
        vm = cat.get("vision_models", w.model, VisionModel)
        vdep = VisionDeployment(vm, accel, w.precision, w.resolution, max_batch=VISION_MAX_BATCH,
                                power_cap_fraction=power_cap)
        size_vision = VISION_SIZING.get(ctx.scenario.stages.vision_sizing)
        res = size_vision(vdep.batch_time_s, w, max_batch=VISION_MAX_BATCH, seed=ctx.seed)
    base.sizing = res
    base.replicas = res.replicas
    base.gpus_per_replica = res.gpus_per_replica
    base.meets_slo = res.meets_slo
    share = res.load_share
    base.capacity_share_at_peak = min(max(share, 0.0), 1.0) if math.isfinite(share) else 1.0
    if not res.meets_slo:
        base.problem = ("slo", f"{w.id} on {accel.id}: {res.note or 'p99 misses the SLO'} "
                        f"({_ratio_text(res)})")
    lat = edge_vs_cloud(res.server_latency_s, ctx.site, rng)
    ttft = res.p99_ms.get("ttft_p99")
    tpot = res.p99_ms.get("tpot_p99")
    base.latency = Latency(
        edge_p50_ms=_finite(lat.edge_p50_ms), edge_p99_ms=_finite(lat.edge_p99_ms),
        cloud_p50_ms=_finite(lat.cloud_p50_ms), cloud_p99_ms=_finite(lat.cloud_p99_ms),
        ttft_p99_ms=None if ttft is None else _finite(ttft),
        tpot_p99_ms=None if tpot is None else _finite(tpot),
        goodput=_goodput(res), utilization=base.capacity_share_at_peak,
        binding_slo=res.binding_slo or None,
    )
    ctx._sizings[key] = base
    return base


def decode_energy_share(sizings: Sequence[WorkloadSizing], groups: Sequence[tuple[Server, int]],
                        util: np.ndarray, accels: Mapping[str, Accelerator]) -> float:
    """Share of the site's IT energy that is LLM decode on the GPUs, as the facility stage
    counts it (a busy GPU at its TDP in every phase) [-].

    GPU dynamic energy is the year-average site utilization × each server's GPUs × TDP above
    idle (:data:`flatbed.perf.power.IDLE_FRACTION`), within the server's dynamic range (a
    capped server's is smaller). Its LLM-decode part is the TDP-weighted busy time of the LLM
    workloads times their decode time share (:func:`decode_time_share`). IT energy is the
    linear server power model ``idle + u·(max − idle)`` the year simulation uses.
    """
    u = float(util.mean()) if util.size else 0.0
    it_kw = sum(n * (s.idle_power_kw + u * (s.max_power_kw - s.idle_power_kw)) for s, n in groups)
    gpu_dyn_kw = u * sum(n * min(s.max_power_kw - s.idle_power_kw, s.accelerator_count
                                 * accels[s.accelerator].tdp_w * (1.0 - IDLE_FRACTION) / 1e3)
                         for s, n in groups if s.accelerator in accels)
    busy = np.array([s.gpus * s.accel.tdp_w * float(np.mean(workload_busy_hourly(s)))
                     for s in sizings])
    dec = np.array([s.memory_bound_fraction if s.workload.kind == "llm" else 0.0
                    for s in sizings])
    if it_kw <= 0 or busy.sum() <= 0:
        return 0.0
    return float(np.clip(gpu_dyn_kw * float((busy * dec).sum() / busy.sum()) / it_kw, 0.0, 1.0))


def decode_time_share(dep: Any, w: LLMWorkload, res: SizingResult) -> float:
    """Share of a replica's busy time spent in (memory-bound) decode at the sized peak.

    Per request: one prefill of the mean prompt, and ``osl`` decode steps at the mean decode
    batch B, which Little's law gives as (requests/s per replica) × osl × TPOT.
    """
    isl, osl = w.input_tokens.mean, w.output_tokens.mean
    t_pre = float(dep.iteration_time_s(isl, 0.0, 0.0))
    tpot_s = res.p99_ms.get("tpot_p99", w.tpot_p99_ms) / 1e3
    ctx_tok = isl + osl / 2.0
    b_max = max(1.0, dep.kv_capacity_tokens() / ctx_tok)
    b = min(b_max, max(1.0, w.peak_requests_per_s / max(res.replicas, 1) * osl * tpot_s))
    t_dec = osl * float(dep.iteration_time_s(0.0, b, b * ctx_tok)) / b
    return t_dec / (t_dec + t_pre) if t_dec + t_pre > 0 else 0.5


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else 1e9


def _goodput(res: SizingResult) -> float | None:
    g = getattr(res.metrics, "goodput", None)
    return None if g is None else float(g)


def _ratio_text(res: SizingResult) -> str:
    parts = [f"{k} {res.p99_ms.get(k, math.inf):.0f} ms vs {v:.0f} ms"
             for k, v in res.slo_ms.items()]
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# stages 2–4: servers → facility year → economics


def hourly_site_utilization(sizings: Sequence[WorkloadSizing]) -> np.ndarray:
    """Site-level GPU busy fraction per hour: each workload's daily profile × its busy share at
    the peak, weighted by the dynamic power range of the GPUs it occupies."""
    weights = np.array([s.gpus * s.accel.tdp_w for s in sizings], dtype=float)
    if weights.sum() <= 0:
        return np.zeros(int(HOURS_PER_YEAR))
    series = [workload_busy_hourly(s) for s in sizings]
    return np.average(np.vstack(series), axis=0, weights=weights)


def workload_busy_hourly(s: WorkloadSizing) -> np.ndarray:
    """One workload's GPU busy fraction per hour: its daily profile × its busy share at the
    peak."""
    return hourly_utilization(s.workload.profile(), min(1.0, s.capacity_share_at_peak))


def count_servers(sizings: Sequence[WorkloadSizing]) -> dict[str, int]:
    """Servers per server id. TP groups are powers of two dividing the server's GPU count, so
    packing them is exact at ceil(total GPUs / GPUs per server)."""
    gpus: dict[str, int] = {}
    per: dict[str, int] = {}
    for s in sizings:
        if s.server is None:
            continue
        gpus[s.server.id] = gpus.get(s.server.id, 0) + s.gpus
        per[s.server.id] = s.server.accelerator_count
    return {k: math.ceil(v / per[k]) for k, v in gpus.items() if v > 0}


def _cloud_sizing(ctx: SiteContext, w: AnyWorkload, accel_id: str) -> CloudGpuDemand | None:
    """Size the workload on a cloud GPU type with the same models: the smallest TP that meets
    its SLOs; GPU-hours follow the daily profile (replicas autoscaled hour by hour)."""
    for tp in (1, 2, 4, 8):
        s = size_workload(ctx, w, WorkloadOption(w.id, accel_id, tp))
        if s.problem is None:
            prof = np.asarray(w.profile())
            hours = float(np.ceil(s.replicas * prof).sum() * 365.0 * s.gpus_per_replica)
            return CloudGpuDemand(accel_id, s.gpus, hours)
    return None


def workload_demands(ctx: SiteContext, sizings: Sequence[WorkloadSizing],
                     cloud_accels: Sequence[str]) -> list[WorkloadDemand]:
    """What each workload asks of any placement, with its sizing on every cloud GPU type."""
    out = []
    for s in sizings:
        w = s.workload
        kind = "models" if w.kind == "llm" else "vision_models"
        cloud = {a: d for a in cloud_accels if (d := _cloud_sizing(ctx, w, a)) is not None}
        out.append(demand_from_workload(w, edge_gpus=s.gpus, cloud_gpus=cloud,
                                        model_id=ctx.catalog.tables[kind].resolve(w.model)))
    return out


def evaluate_option(ctx: SiteContext, opt: SiteOption, mc_samples: int = 0) -> OptionResult:
    """Run the whole chain for one candidate configuration."""
    if mc_samples == 0 and opt in ctx._results:
        return ctx._results[opt]
    cat = ctx.catalog
    scen = ctx.scenario
    site = ctx.site
    sizings = [size_workload(ctx, w, o, opt.power_cap)
               for w, o in zip(ctx.workloads, opt.workloads, strict=True)]
    problems = [s.problem for s in sizings if s.problem is not None]
    servers = count_servers(sizings)
    result = OptionResult(opt, sizings, servers, None, None, problems)
    if any(p[0] != "slo" for p in problems) or not servers:
        ctx._results[opt] = result
        return result
    cooling = cat.get("cooling", opt.cooling, CoolingSystem)
    module = cat.get("modules", opt.module, Module)
    road = cat.get("road_limits", site.road, RoadLimit)
    accels = {s.accel.id: s.accel for s in sizings}
    groups = [(capped_server(srv, accels.get(srv.accelerator), opt.power_cap), n)
              for srv, n in ((cat.get("servers", sid, Server), n) for sid, n in servers.items())]
    result.problems += cooling_fit(groups, cooling, accels)
    util = hourly_site_utilization(sizings)
    fac = evaluate_facility_groups(
        groups=groups, cooling=cooling, module=module, road=road, weather=ctx.weather,
        utilization=util, site=site, scenario=scen,
        gensets=[g for g in cat.all("gensets") if isinstance(g, Genset)],
        throughput_curve=throughput_curve(sizings, opt.power_cap),
        min_cap_fraction=min_cap_fraction(sizings) / opt.power_cap,
    )
    result.facility = fac
    result.problems += [(v.constraint, v.reason) for v in fac.verdicts]

    cloud_accels = sorted({o.accelerator for o in cat.all("cloud_gpu_offers")
                           if isinstance(o, CloudGpuOffer)})
    demands = workload_demands(ctx, sizings, cloud_accels)
    on_gen = fac.power_source == "generator"
    gas = site.fuel == "natural_gas"
    econ = evaluate_economics(
        servers=groups,
        modules=[ModuleGroup(module, cooling, fac.modules, fac.it_kw_peak)],
        workloads=demands, site_country=site.country, facility_kw_peak=fac.facility_kw_peak,
        energy_kwh_per_year=0.0 if on_gen else fac.energy_kwh_per_year,
        usd_per_kwh=site.grid_usd_per_kwh,
        fuel_l_per_year=fac.fuel_l_per_year if on_gen and not gas else 0.0,
        usd_per_l=site.diesel_usd_per_l,
        gas_m3_per_year=fac.fuel_m3_per_year if on_gen and gas else 0.0,
        usd_per_m3=site.gas_usd_per_m3,
        idle_energy_fraction=idle_share(groups, util),
        gensets=[(cat.get("gensets", gid, Genset), n) for gid, n in fac.gensets.items()],
        trucks=fac.trucks, racks=fac.racks,
        cloud_offers=[o for o in cat.all("cloud_gpu_offers") if isinstance(o, CloudGpuOffer)],
        api_prices=[p for p in cat.all("api_prices") if isinstance(p, ApiPrice)],
        prices=scen.prices,
        accelerators={s.accel.id: s.accel for s in sizings},
        horizon_years=scen.horizon_years, currency_year=scen.currency_year,
        finance=scen.finance, planned_utilization=float(util.mean()) if util.size else 1.0,
        decode_energy_share=decode_energy_share(sizings, groups, util, accels),
        mc_samples=mc_samples, seed=ctx.seed,
    )
    result.economics = econ
    if mc_samples == 0:
        ctx._results[opt] = result
    return result


def cooling_fit(groups: Sequence[tuple[Server, int]], cooling: CoolingSystem,
                accels: dict[str, Accelerator]) -> list[tuple[str, str]]:
    """Direct-to-chip liquid needs cold plates on the GPUs: vendors sell cold-plate variants of
    SXM/OAM baseboard servers (e.g. Supermicro's liquid-cooled HGX H100/H200 SYS-421GE-TNHR2-LCC),
    not of PCIe inference cards, so an air-cooled PCIe server cannot go on a liquid loop."""
    if cooling.kind != "direct_liquid":
        return []
    out = []
    for server, _ in groups:
        acc = accels.get(server.accelerator)
        if not server.liquid_cooled and acc is not None and acc.form_factor == "pcie":
            out.append(("cooling", f"{server.id} ({acc.id} PCIe cards) has no cold-plate "
                        f"variant, so {cooling.id} cannot cool it"))
    return out


def capped_server(server: Server, accel: Accelerator | None, power_cap: float) -> Server:
    """The server with its GPUs held at ``power_cap`` of TDP: its maximum wall power loses each
    GPU's TDP above the cap (never below its idle power); price and everything else unchanged."""
    if power_cap >= 1.0 or accel is None:
        return server
    cut_kw = server.accelerator_count * (1.0 - power_cap) * accel.tdp_w / 1e3
    return server.model_copy(update={
        "max_power_kw": max(server.idle_power_kw, server.max_power_kw - cut_kw)})


def min_cap_fraction(sizings: Sequence[WorkloadSizing]) -> float:
    """Lowest settable GPU power limit over TDP, the highest among the site's accelerators
    (a cap below it cannot be set on that part)."""
    fracs = [s.accel.min_power_cap_w / s.accel.tdp_w for s in sizings
             if s.accel.min_power_cap_w is not None]
    return max(fracs, default=200.0 / 700.0)


def idle_share(groups: Sequence[tuple[Server, int]], util: np.ndarray) -> float:
    """Share of the IT energy drawn at zero load: idle power over mean power (servers' linear
    idle-to-max power model, as in the facility year simulation)."""
    idle = sum(s.idle_power_kw * n for s, n in groups)
    span = sum((s.max_power_kw - s.idle_power_kw) * n for s, n in groups)
    mean = idle + span * float(util.mean())
    return idle / mean if mean > 0 else 0.0


def throughput_curve(sizings: Sequence[WorkloadSizing], power_cap: float = 1.0
                     ) -> Callable[[np.ndarray], np.ndarray]:
    """GPU power cap → throughput fraction for the site's mix (the perf model's curve at the
    GPU-weighted memory-bound share; vision CNNs count as compute-bound, the conservative
    case). With a design cap ``power_cap`` the facility's cap fractions are of the capped
    power, and throughput is relative to the capped throughput the workloads were sized on."""
    from flatbed.perf.power import throughput_fraction_at_power_cap

    gpus = np.array([s.gpus for s in sizings], dtype=float)
    mb = np.array([s.memory_bound_fraction for s in sizings])
    frac = float(np.average(mb, weights=gpus)) if gpus.sum() > 0 else 0.5

    base = float(throughput_fraction_at_power_cap(power_cap, frac))

    def curve(cap: np.ndarray) -> np.ndarray:
        return np.asarray(throughput_fraction_at_power_cap(np.asarray(cap) * power_cap, frac),
                          dtype=float) / base

    return curve


def evaluate_facility_groups(
    *, groups: Sequence[tuple[Server, int]], cooling: CoolingSystem, module: Module,
    road: RoadLimit, weather: WeatherYear, utilization: np.ndarray, site: Site,
    scenario: Scenario, gensets: Sequence[Genset],
    throughput_curve: Callable[[np.ndarray], np.ndarray], min_cap_fraction: float,
) -> FacilityResult:
    """Call the facility stage with the site's numbers."""
    return evaluate_facility(
        server_groups=groups, cooling=cooling, module=module, road=road, weather=weather,
        utilization=utilization, elevation_m=site.elevation_m, grid_kw=site.grid_kw,
        grid_usd_per_kwh=site.grid_usd_per_kwh,
        grid_kg_co2_per_kwh=scenario.prices.carbon_kg_per_kwh_grid,
        power_source=scenario.constraints.power_source,
        generators_allowed=site.generators_allowed, gensets=gensets, fuel=site.fuel,
        diesel_usd_per_l=site.diesel_usd_per_l, gas_usd_per_m3=site.gas_usd_per_m3,
        redundancy=scenario.constraints.redundancy,
        throughput_fraction_at_power_cap=throughput_curve, min_cap_fraction=min_cap_fraction,
        max_throttled_hours=scenario.constraints.max_throttled_hours, pads=site.pads,
        cooling_power=COOLING_POWER.get(scenario.stages.cooling_power),
    )


# ---------------------------------------------------------------------------------------------
# presentation: OptionResult → SitePlan


def site_plan(ctx: SiteContext, best: OptionResult, rejected: list[Rejected],
              pareto: list[ParetoPoint], binding: str = "") -> SitePlan:
    """The typed, presentable plan of one site from the chosen option."""
    site = ctx.site
    fac = best.facility
    econ = best.economics
    accels: dict[str, int] = {}
    for s in best.sizings:
        if s.gpus:
            accels[s.accel.id] = accels.get(s.accel.id, 0) + s.gpus
    wps = [workload_plan(s) for s in best.sizings]
    violations = [f"{c}: {d}" for c, d in best.problems]
    binding = binding or (violations[0] if violations else "")
    if not binding and fac is not None:
        binding = fac.binding_constraint
    if not binding and best.sizings:
        tight = max(best.sizings, key=lambda s: _slo_ratio(s))
        if tight.sizing is not None and tight.sizing.binding_slo:
            binding = (f"slo: {tight.workload.id} {tight.sizing.binding_slo} sets its "
                       f"{tight.replicas} replica(s)")
    ruled = Counter(r.constraint for r in rejected if r.constraint != "cost")
    if ruled:
        binding += " — options ruled out by " + ", ".join(
            f"{c} ({n})" for c, n in ruled.most_common())
    warnings = list(fac.warnings) if fac else []
    return SitePlan(
        site=site.id, name=site.name, country=site.country, accelerators=accels,
        gpus=sum(accels.values()), gpu_power_cap=best.option.power_cap,
        servers=dict(best.servers),
        racks=fac.racks if fac else 0, modules=fac.module_plans() if fac else [],
        it_kw=round(fac.it_kw_peak, 1) if fac else 0.0,
        facility_kw=round(fac.facility_kw_peak, 1) if fac else 0.0,
        facility_kw_peak=round(fac.facility_kw_peak, 1) if fac else 0.0,
        pue_annual=round(fac.pue_annual, 3) if fac else 0.0,
        power_source=fac.power_source if fac else "none",
        gensets=dict(fac.gensets) if fac else {},
        fuel_l_per_year=round(fac.fuel_l_per_year, 0) if fac else 0.0,
        energy_kwh_per_year=round(fac.energy_kwh_per_year, 0) if fac else 0.0,
        co2_t_per_year=round(fac.co2_t_per_year, 1) if fac else 0.0,
        throttled_hours=fac.throttled_hours if fac else 0.0,
        trucks=fac.trucks if fac else 0,
        capex_usd=round(econ.capex_usd) if econ else 0.0,
        opex_usd_per_year=round(econ.opex_usd_per_year) if econ else 0.0,
        tco_usd=round(econ.tco_usd) if econ else 0.0,
        tco_p10_usd=econ.tco_p10_usd if econ else None,
        tco_p50_usd=econ.tco_p50_usd if econ else None,
        tco_p90_usd=econ.tco_p90_usd if econ else None,
        usd_per_million_tokens=econ.usd_per_million_tokens if econ else None,
        usd_per_thousand_frames=econ.usd_per_thousand_frames if econ else None,
        feasible=best.feasible, violations=violations, binding_constraint=binding,
        workloads=wps,
        alternatives=[Alternative.model_validate(a) for a in econ.alternatives] if econ else [],
        tornado=[TornadoBar.model_validate(t) for t in econ.tornado] if econ else [],
        rejected=rejected, pareto=pareto,
        bom=[BomLine.model_validate(b) for b in econ.bom] if econ else [],
        capex_breakdown_usd=econ.capex_breakdown_usd if econ else {},
        opex_breakdown_usd_per_year=econ.opex_breakdown_usd_per_year if econ else {},
        deployment_days=fac.deployment_days if fac else None,
        hourly=fac.to_hourly() if fac else None,
        warnings=warnings,
    )


def _slo_ratio(s: WorkloadSizing) -> float:
    if s.sizing is None:
        return 0.0
    return max((s.sizing.p99_ms.get(k, 0.0) / v for k, v in s.sizing.slo_ms.items() if v > 0),
               default=0.0)


def workload_plan(s: WorkloadSizing) -> WorkloadPlan:
    w = s.workload
    cap = s.peak_demand / max(s.capacity_share_at_peak, 1e-9) if s.gpus else 0.0
    return WorkloadPlan(
        id=w.id, kind=w.kind, model=w.model, accelerator=s.accel.id,
        precision=w.precision, gpus=s.gpus, replicas=s.replicas, tensor_parallel=s.option.tp,
        meets_slo=s.meets_slo,
        throughput_per_gpu=round(cap / s.gpus, 2) if s.gpus else 0.0,
        peak_demand=round(s.peak_demand, 2), latency=s.latency,
        data_where=w.data.where, data_regime=w.data.regime,
        note=s.problem[1] if s.problem else "",
    )


# ---------------------------------------------------------------------------------------------
# assumptions: every catalog value a plan used, with its source


def record_assumptions(kind: str, rec: Record) -> list[Assumption]:
    out = []
    meta = {"id", "name", "aliases", "source", "field_sources", "estimates", "notes"}
    for f, v in rec.model_dump().items():
        if f in meta or v is None or isinstance(v, bool | str):
            continue
        src = rec.field_sources.get(f, rec.source)
        if f in rec.estimates:
            src = f"estimate: {rec.estimates[f]}"
        out.append(Assumption(kind=kind, id=rec.id, field=f, value=_short(v), source=src))
    return out


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_short(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return ", ".join(_short(x) for x in v)
    return str(v)


def plan_assumptions(ctx_results: Sequence[tuple[SiteContext, OptionResult]]) -> list[Assumption]:
    seen: set[tuple[str, str]] = set()
    out: list[Assumption] = []

    def add(kind: str, rec: Record | None) -> None:
        if rec is None or (kind, rec.id) in seen:
            return
        seen.add((kind, rec.id))
        out.extend(record_assumptions(kind, rec))

    for ctx, res in ctx_results:
        cat = ctx.catalog
        if not ctx.site.weather_file:
            add("climates", cat.get("climates", ctx.site.climate))
        add("road_limits", cat.get("road_limits", ctx.site.road))
        for s in res.sizings:
            add("accelerators", s.accel)
            add("servers", s.server)
            add("models" if s.workload.kind == "llm" else "vision_models",
                cat.get("models" if s.workload.kind == "llm" else "vision_models",
                        s.workload.model))
        add("cooling", cat.get("cooling", res.option.cooling))
        add("modules", cat.get("modules", res.option.module))
        if res.facility:
            for gid in res.facility.gensets:
                add("gensets", cat.get("gensets", gid))
        if res.economics:
            for a in res.economics.assumptions:
                key = (a["kind"], a["id"] + a["field"])
                if key not in seen:
                    seen.add(key)
                    out.append(Assumption.model_validate(a))
    return out


# ---------------------------------------------------------------------------------------------
# the scenario


def site_context(scen: Scenario, site: Site, catalog: Catalog, seed: int = 0,
                 base_dir: Path | None = None) -> SiteContext:
    try:
        weather = weather_for_site(site, catalog, seed=seed, base_dir=base_dir)
    except (OSError, ValueError) as exc:
        raise InputError(f"site {site.id!r}: cannot read weather: {exc}") from None
    return SiteContext(scen, site, catalog, weather, seed, base_dir)


MC_SAMPLES = 10_000
"""Monte Carlo samples for the chosen configuration of each site."""


def plan_scenario(scenario: Scenario, catalog: Catalog | None = None, seed: int = 0,
                  progress: bool = False, base_dir: Path | None = None,
                  mc_samples: int = MC_SAMPLES, fleet: bool = True) -> Plan:
    """Plan every site of ``scenario``: search, then present the winner with its evidence.

    With several sites (and ``fleet``), the fleet optimizer also places units across them —
    a unit may serve nearby sites within latency and data rules — and the Plan carries it.
    """
    from flatbed.plan.choose import search_site

    cat = catalog if catalog is not None else load_catalog(
        [(base_dir or Path.cwd()) / p for p in scenario.catalog_paths])
    sites: list[SitePlan] = []
    used: list[tuple[SiteContext, OptionResult]] = []
    warnings: list[str] = []
    for site in scenario.sites:
        if not scenario.site_workloads(site.id):
            warnings.append(f"site {site.id!r} has no workloads; not planned")
            continue
        ctx = site_context(scenario, site, cat, seed, base_dir)
        found = search_site(ctx, progress=progress)
        best = evaluate_option(ctx, found.best.option, mc_samples=mc_samples) \
            if found.best.feasible or found.best.economics else found.best
        sites.append(site_plan(ctx, best, found.rejected, found.pareto, found.binding))
        used.append((ctx, best))
    fleet_doc = None
    if fleet and len(scenario.sites) > 1:
        from flatbed.fleet.from_scenario import plan_fleet

        fleet_doc = plan_fleet(scenario, cat)
    stages = scenario.stages.model_dump() | {"objective": scenario.constraints.objective}
    warnings += [f"stage {k} ran the plug-in {v!r}, not flatbed's validated model"
                 for k, v in stages.items() if k != "objective" and v != BUILTIN]
    return Plan(
        scenario=scenario.name, flatbed_version=__version__,
        currency_year=scenario.currency_year, horizon_years=scenario.horizon_years,
        sites=sites, assumptions=plan_assumptions(used), provenance=PROVENANCE,
        fleet=fleet_doc, stages=stages, warnings=warnings,
    )


PROVENANCE: dict[str, str] = {
    "workloads[].gpus, replicas, latency": "perf.llm / perf.vision iteration times → "
    "serving.sizing request-level simulation at the peak hour (p99 vs SLO)",
    "workloads[].latency.cloud_*": "serving.network: same server latency + cloud RTT",
    "servers, racks, modules, trucks": "plan.chain server count → facility.transport layout",
    "it_kw, facility_kw, pue_annual, throttled_hours, fuel, energy": "facility.thermal year "
    "simulation over 8,760 h of weather (facility.weather)",
    "power_source, gensets": "facility.evaluate power-source choice and genset sizing",
    "capex, opex, tco, alternatives, tornado, tco_p*": "economics.evaluate (capex, opex, tco, "
    "cloud, uncertainty)",
    "rejected, pareto": "plan.choose search over accelerators, TP, cooling and modules",
    "fleet": "fleet.from_scenario + fleet.solve: placement MILP over all sites (HiGHS)",
}
