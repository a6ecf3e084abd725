"""Ready-made evaluate functions for sweeps (module-level, so worker processes can import them).

The lead's single-site plan chain (``flatbed.plan.chain``) supplies the full evaluate for plan
sweeps; until then, :func:`fleet_objective` sweeps the fleet optimizer and
:func:`scenario_summary` is a cheap, exact stand-in used to test and benchmark the sweep
machinery itself.
"""

from __future__ import annotations

from flatbed.scenario import LLMWorkload, Scenario, VisionWorkload


def scenario_summary(scen: Scenario) -> dict[str, float | str]:
    """Cheap exact figures of a scenario (no modelling): demand, prices, sites.

    ``llm_daily_requests`` is Σ peak rate × Σ hourly profile × 3600 [requests/day]; the rest are
    sums and means of scenario fields.
    """
    llm = [w for w in scen.workloads if isinstance(w, LLMWorkload)]
    vis = [w for w in scen.workloads if isinstance(w, VisionWorkload)]
    return {
        "sites": float(len(scen.sites)),
        "llm_peak_requests_per_s": float(sum(w.peak_requests_per_s for w in llm)),
        "llm_daily_requests": float(sum(w.peak_requests_per_s * sum(w.profile()) * 3600
                                        for w in llm)),
        "vision_frames_per_s": float(sum(w.streams * w.fps for w in vis)),
        "grid_usd_per_kwh_mean": float(sum(s.grid_usd_per_kwh for s in scen.sites)
                                       / len(scen.sites)),
        "discount_rate": float(scen.prices.discount_rate),
        "climates": ",".join(sorted({s.climate for s in scen.sites})),
    }


def fleet_objective(scen: Scenario) -> dict[str, float | str]:
    """Fleet optimizer on the scenario (:func:`flatbed.fleet.from_scenario.fleet_from_scenario`
    with its default unit options): objective, gap, units and cloud share."""
    from flatbed.fleet.from_scenario import fleet_from_scenario
    from flatbed.fleet.solve import solve_fleet

    inst = fleet_from_scenario(scen)
    sol = solve_fleet(inst, time_limit_s=30.0, mip_rel_gap=1e-3, threads=1)
    total = sum(sum(w.demand) for w in inst.workloads) or 1.0
    units = sum(u.count for u in sol.units if u.period == inst.n_periods - 1)
    return {
        "objective_usd": sol.objective_usd,
        "optimality_gap": sol.optimality_gap,
        "units": float(units),
        "cloud_demand_share": sum(c.demand for c in sol.cloud) / total,
        "sites_used": float(len({u.site for u in sol.units if u.count > 0})),
        "status": sol.status,
    }


def plan_totals(scen: Scenario) -> dict[str, float | str]:
    """The single-site plan chain (:func:`flatbed.plan.chain.plan_scenario`, no Monte Carlo)
    summed over sites: TCO, capex, opex, facility kW, GPUs, throttled hours, feasibility."""
    from flatbed.plan.chain import plan_scenario

    plan = plan_scenario(scen, mc_samples=0)
    sites = plan.sites
    return {
        "tco_usd": float(sum(s.tco_usd for s in sites)),
        "capex_usd": float(sum(s.capex_usd for s in sites)),
        "opex_usd_per_year": float(sum(s.opex_usd_per_year for s in sites)),
        "facility_kw": float(sum(s.facility_kw for s in sites)),
        "gpus": float(sum(s.gpus for s in sites)),
        "throttled_hours": float(max((s.throttled_hours for s in sites), default=0.0)),
        "feasible": "yes" if all(s.feasible for s in sites) else "no",
        "binding_constraint": ";".join(sorted({s.binding_constraint for s in sites
                                               if s.binding_constraint})),
    }


EVALUATORS = {"plan": plan_totals, "fleet": fleet_objective, "summary": scenario_summary}
"""Named evaluate functions for ``flatbed sweep --evaluate NAME``."""
