"""The single-site search: every candidate configuration through the chain, the best kept.

The space is, per workload, the accelerators (and for LLMs the tensor-parallel degrees) that can
serve it, times the cooling technologies, times the module types. Each workload is sized once per
(accelerator, TP) — the request-level simulation is the costly part — and the options that meet
their SLOs are shortlisted by GPU capex (``SHORTLIST`` per workload). The product of the
shortlists, cooling and modules is then evaluated exhaustively through the whole chain (facility
year, economics), so the winner is the true optimum of that product; options cut from a shortlist
are listed as rejected on cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.progress import track

from flatbed.catalog import Accelerator
from flatbed.plan.chain import (
    OptionResult,
    SiteContext,
    SiteOption,
    WorkloadOption,
    WorkloadSizing,
    cap_label,
    evaluate_option,
    servers_for,
    size_workload,
)
from flatbed.plan.result import ParetoPoint, Rejected
from flatbed.registry import Registry
from flatbed.scenario import LLMWorkload, VisionWorkload

SHORTLIST = 3
"""Accelerator/TP options kept per workload after sizing, cheapest GPU capex first."""

TP_DEGREES = (1, 2, 4, 8)


@dataclass
class SearchResult:
    best: OptionResult
    evaluated: list[OptionResult]
    rejected: list[Rejected]
    pareto: list[ParetoPoint]
    binding: str = ""


def binding_constraint(best: OptionResult, results: list[OptionResult],
                       obj: Callable[[OptionResult], float]) -> str:
    """What stops a cheaper plan: the constraint that ruled out the cheapest option that would
    have beaten the winner; else what sets the winner's size (an SLO)."""
    if best.problems:
        c, d = best.problems[0]
        return f"{c}: {d}"
    cheaper = [r for r in results if r.problems and r.economics is not None
               and obj(r) < obj(best)]
    if cheaper:
        r = min(cheaper, key=obj)
        c, d = r.problems[0]
        return (f"{c}: {d} — this rules out {r.option.label}, "
                f"{1 - obj(r) / obj(best):.1%} cheaper than the plan")
    return ""


ObjectiveFn = Callable[[OptionResult], float]

OBJECTIVES: Registry[ObjectiveFn] = Registry("objective", "fn(result: OptionResult) -> float")
"""Objective name → value to minimize (the scenario's ``constraints.objective``). ``energy``
counts a litre of diesel as ~10 kWh of fuel, its lower heating value, 35.9 MJ/L ÷ 3.6 MJ/kWh —
IPCC 2006 Guidelines vol. 2 table 1.2."""
OBJECTIVES.register("tco")(lambda r: r.tco_usd)
OBJECTIVES.register("capex")(
    lambda r: r.economics.capex_usd if r.economics else math.inf)
OBJECTIVES.register("energy")(
    lambda r: r.facility.energy_kwh_per_year + 10.0 * r.facility.fuel_l_per_year
    if r.facility else math.inf)
OBJECTIVES.register("time_to_live")(
    lambda r: r.facility.deployment_days if r.facility else math.inf)

_OBJECTIVE_UNITS = {"tco": "TCO $", "capex": "capex $", "energy": "energy kWh-eq/yr",
                    "time_to_live": "days to live"}


def accelerator_candidates(ctx: SiteContext, names: Iterable[str] | None) -> list[str]:
    """Accelerators to try: the workload's list, else every one a catalog server carries."""
    cat = ctx.catalog
    if names:
        return [cat.get("accelerators", n, Accelerator).id for n in names]
    return sorted({a.id for a in cat.all("accelerators") if servers_for(cat, a.id)})


def workload_options(ctx: SiteContext, w: LLMWorkload | VisionWorkload, accel_id: str
                     ) -> list[WorkloadOption]:
    """TP degrees worth sizing: the smallest that fits the model with room for its KV cache,
    and the next (more GPUs per replica can be cheaper when it lifts batch size). TP stays
    within one server; over PCIe parts the perf model charges the slower all-reduce."""
    wid = w.id
    if not isinstance(w, LLMWorkload):
        return [WorkloadOption(wid, accel_id, 1)]
    servers = servers_for(ctx.catalog, accel_id)
    per_server = servers[0].accelerator_count if servers else 1
    limit = per_server
    out: list[WorkloadOption] = []
    for tp in TP_DEGREES:
        if tp > limit:
            break
        s = size_workload(ctx, w, WorkloadOption(wid, accel_id, tp))
        if s.problem is not None and s.problem[0] == "memory":
            continue
        out.append(s.option)
        if len(out) == 2:
            break
    return out or [WorkloadOption(wid, accel_id, 1)]


def _gpu_capex(s: WorkloadSizing) -> float:
    if s.server is None:
        return math.inf
    return s.gpus * s.server.price_usd / s.server.accelerator_count


def search_site(ctx: SiteContext, objective: str | None = None, progress: bool = False,
                shortlist: int = SHORTLIST) -> SearchResult:
    """Find the configuration that meets every constraint at the least ``objective``."""
    obj = OBJECTIVES.get(objective or ctx.scenario.constraints.objective)
    rejected: list[Rejected] = []
    cons = ctx.scenario.constraints
    coolings = [c.id for c in ctx.catalog.all("cooling")
                if cons.cooling is None or c.id in _ids(ctx, "cooling", cons.cooling)]
    modules = [m.id for m in ctx.catalog.all("modules")
               if cons.modules is None or m.id in _ids(ctx, "modules", cons.modules)]
    options: list[SiteOption] = []
    # the power cap is one setting for the whole site; each level is sized and shortlisted on
    # its own (a capped GPU does less work, so the cheapest accelerators can differ), highest
    # first so that each level bounds the next (_shortlist)
    bounds: dict[tuple[str, str, int], float] = {}
    for cap in sorted(set(cons.power_caps), reverse=True):
        per_workload = [_shortlist(ctx, w, cap, shortlist, rejected, bounds)
                        for w in ctx.workloads]
        options += [SiteOption(tuple(ws), c, m, cap) for ws in itertools.product(*per_workload)
                    for c in coolings for m in modules]
    results = [evaluate_option(ctx, o) for o in _progress(options, progress, ctx.site.id)]

    feasible = [r for r in results if r.feasible]
    if feasible:
        best = min(feasible, key=lambda r: (obj(r), r.option.label))
    else:  # nothing works: show the option with the fewest broken constraints
        best = min(results, key=lambda r: (len(r.problems), obj(r), r.option.label))
    for r in results:
        if r is best:
            continue
        if r.problems:
            c, d = r.problems[0]
            rejected.append(Rejected(option=r.option.label, constraint=c, detail=d))
        else:
            rejected.append(Rejected(
                option=r.option.label, constraint="cost",
                detail=f"{_obj_name(ctx, objective)} {obj(r):,.0f} vs the winner's "
                f"{obj(best):,.0f} (+{(obj(r) / obj(best) - 1):.0%})"))
    return SearchResult(best, results, rejected, pareto_front(feasible),
                        binding_constraint(best, results, obj))


def _shortlist(ctx: SiteContext, w: LLMWorkload | VisionWorkload, cap: float, shortlist: int,
               rejected: list[Rejected], bounds: dict[tuple[str, str, int], float]
               ) -> list[WorkloadOption]:
    """Size ``w`` on the candidates at GPU power ``cap``; keep the ``shortlist`` cheapest that
    meet its SLOs (else the least bad one) and append the others to ``rejected``.

    ``bounds`` holds each candidate's GPU capex at the previous, higher cap (``inf`` where it
    could not serve the workload there). A lower cap never makes a GPU faster nor gives it more
    memory, so that capex is a lower bound here: candidates are sized cheapest bound first,
    failed ones are not sized again, and sizing stops once the next bound is no cheaper than the
    shortlist's dearest (branch and bound; exact while the sizing is monotone in the cap)."""
    cands = [o for a in accelerator_candidates(ctx, w.accelerators)
             for o in workload_options(ctx, w, a)]  # TP fit is a memory question: cap-free
    cands.sort(key=lambda o: bounds.get((w.id, o.accelerator, o.tp), 0.0))
    sized: list[WorkloadSizing] = []
    good: list[WorkloadSizing] = []
    for i, o in enumerate(cands):
        key = (w.id, o.accelerator, o.tp)
        bound = bounds.get(key, 0.0)
        if math.isinf(bound):
            continue  # could not serve the workload at a higher cap; rejected there
        if len(good) >= shortlist and bound >= _gpu_capex(good[shortlist - 1]):
            for rest in cands[i:]:
                b = bounds.get((w.id, rest.accelerator, rest.tp), 0.0)
                if not math.isinf(b):
                    rejected.append(Rejected(
                        option=rest.label + cap_label(cap), constraint="cost",
                        detail=f"GPUs cost at least ${b:,.0f} (their cost at a higher cap), "
                        f"more than the {shortlist} cheapest ways to meet {w.id}'s SLOs"))
            break
        s = size_workload(ctx, w, o, cap)
        sized.append(s)
        bounds[key] = _gpu_capex(s) if s.problem is None else math.inf
        if s.problem is None:
            good = sorted([*good, s], key=_gpu_capex)
    for s in sized:
        if s.problem is not None:
            rejected.append(Rejected(option=s.option.label + cap_label(cap),
                                     constraint=s.problem[0], detail=s.problem[1]))
    for s in good[shortlist:]:
        rejected.append(Rejected(
            option=s.option.label + cap_label(cap), constraint="cost",
            detail=f"{s.gpus} GPUs cost ${_gpu_capex(s):,.0f}, more than the "
            f"{shortlist} cheapest ways to meet {w.id}'s SLOs"))
    keep = good[:shortlist] or sorted(sized, key=lambda s: (s.problem is not None,
                                                           _gpu_capex(s)))[:1]
    return [s.option for s in keep]


def _ids(ctx: SiteContext, kind: str, names: list[str]) -> set[str]:
    return {ctx.catalog.get(kind, n).id for n in names}


def _obj_name(ctx: SiteContext, objective: str | None) -> str:
    name = objective or ctx.scenario.constraints.objective
    return _OBJECTIVE_UNITS.get(name, name)


def _progress(options: list[SiteOption], show: bool, label: str) -> Iterable[SiteOption]:
    if not show:
        return options
    return track(options, description=f"planning {label}", transient=True,
                 console=_stderr())


def _stderr() -> Console:
    return Console(stderr=True)


def pareto_front(results: list[OptionResult]) -> list[ParetoPoint]:
    """Options no other feasible option beats on TCO, p99 latency and facility kW at once."""
    pts = [((r.tco_usd, r.p99_ms, r.facility_kw), r.option.label) for r in results]
    front = []
    for p, label in pts:
        dominated = any(q != p and all(a <= b for a, b in zip(q, p, strict=True))
                        for q, _ in pts)
        if not dominated:
            front.append(ParetoPoint(option=label, tco_usd=round(p[0]), p99_ms=round(p[1], 2),
                                     facility_kw=round(p[2], 1)))
    return sorted(front, key=lambda x: x.tco_usd)
