"""Fleet MILP speed: 100 sites × 10 unit types must reach proven optimal or ≤ 1 % gap in < 60 s.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--seeds 0 1 2] [--periods 1 3]``. Prints, per
instance, the wall time, HiGHS status, the optimality gap and the objective. Instances come from
:func:`flatbed.fleet.synthetic.synthetic_fleet` (seeded, so the same on every machine), and with
``--scenario`` also from a 100-site scenario built by replicating the 23 sites of
``examples/fleet_regional.yaml`` (jittered coordinates, 30 %/yr demand growth) through
:func:`flatbed.fleet.from_scenario.fleet_from_scenario` — unit types and capacities from the
catalog and the perf model (12 default unit types).
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from typing import Any

import numpy as np

from flatbed.fleet.from_scenario import fleet_from_scenario
from flatbed.fleet.model import FleetInstance
from flatbed.fleet.solve import solve_fleet
from flatbed.fleet.synthetic import synthetic_fleet
from flatbed.scenario import Scenario, load_scenario


def _solve_row(inst: Any, periods: int, seed: str, time_limit: float, gap: float) -> str:
    """Solve one instance and format its table row (pass: ≤ 1 % gap in < 60 s)."""
    t0 = time.perf_counter()
    sol = solve_fleet(inst, time_limit_s=time_limit, mip_rel_gap=gap)
    dt = time.perf_counter() - t0
    ok = dt < 60.0 and sol.optimality_gap <= 0.01
    return (f"{periods:>7} {seed:>4} {sol.n_variables:>6} {sol.n_integer:>5} "
            f"{sol.n_constraints:>6} {dt:>7.2f} {sol.status:>18} "
            f"{sol.optimality_gap:>8.4%} {sol.objective_usd:>16,.0f} {ok}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--types", type=int, default=10)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--periods", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--gap", type=float, default=0.01, help="mip_rel_gap target")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--scenario", action="store_true", help="also the scenario-derived fleet")
    a = ap.parse_args()
    print(f"fleet MILP: {a.sites} sites x {a.types} unit types, mip_rel_gap {a.gap}, "
          f"time limit {a.time_limit:g} s")
    print(f"{'periods':>7} {'seed':>4} {'vars':>6} {'int':>5} {'rows':>6} {'time_s':>7} "
          f"{'status':>18} {'gap':>8} {'objective_usd':>16} pass")
    for periods in a.periods:
        for seed in a.seeds:
            inst = synthetic_fleet(a.sites, a.types, periods, seed=seed)
            print(_solve_row(inst, periods, str(seed), a.time_limit, a.gap))
    if a.scenario:
        print(f"scenario-derived fleet: {a.sites} sites from examples/fleet_regional.yaml")
        for periods in a.periods:
            inst = scenario_fleet(a.sites, periods)
            print(_solve_row(inst, periods, "-", a.time_limit, a.gap)
                  + f" ({len(inst.unit_types)} unit types)")


def scenario_fleet(n_sites: int, periods: int) -> FleetInstance:
    """The regional example's sites and workloads replicated to ``n_sites`` sites."""
    base = load_scenario(str(resources.files("flatbed") / "examples" / "fleet_regional.yaml"))
    d = base.model_dump(mode="python")
    rng = np.random.default_rng(0)
    sites, wls = [], []
    for i in range(n_sites):
        src = d["sites"][i % len(d["sites"])]
        s = dict(src, id=f"{src['id']}-{i // len(d['sites'])}")
        s["latitude"] += float(rng.normal(0, 0.3))
        s["longitude"] += float(rng.normal(0, 0.3))
        sites.append(s)
        wls += [dict(w, id=f"{w['id']}-{i // len(d['sites'])}", site=s["id"])
                for w in d["workloads"] if w["site"] == src["id"]]
    d["sites"], d["workloads"] = sites, wls
    return fleet_from_scenario(Scenario.model_validate(d), periods=periods,
                               demand_growth_per_year=0.3)


if __name__ == "__main__":
    main()
