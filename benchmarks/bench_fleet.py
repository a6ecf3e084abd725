"""Fleet MILP speed: 100 sites × 10 unit types must reach proven optimal or ≤ 1 % gap in < 60 s.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--seeds 0 1 2] [--periods 1 3]``. Prints, per
instance, the wall time, HiGHS status, the optimality gap and the objective. Instances come from
:func:`flatbed.fleet.synthetic.synthetic_fleet` (seeded, so the same on every machine).
"""

from __future__ import annotations

import argparse
import time

from flatbed.fleet.solve import solve_fleet
from flatbed.fleet.synthetic import synthetic_fleet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--types", type=int, default=10)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--periods", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--gap", type=float, default=0.01, help="mip_rel_gap target")
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args()
    print(f"fleet MILP: {a.sites} sites x {a.types} unit types, mip_rel_gap {a.gap}, "
          f"time limit {a.time_limit:g} s")
    print(f"{'periods':>7} {'seed':>4} {'vars':>6} {'int':>5} {'rows':>6} {'time_s':>7} "
          f"{'status':>18} {'gap':>8} {'objective_usd':>16} pass")
    for periods in a.periods:
        for seed in a.seeds:
            inst = synthetic_fleet(a.sites, a.types, periods, seed=seed)
            t0 = time.perf_counter()
            sol = solve_fleet(inst, time_limit_s=a.time_limit, mip_rel_gap=a.gap)
            dt = time.perf_counter() - t0
            ok = dt < 60.0 and sol.optimality_gap <= 0.01
            print(f"{periods:>7} {seed:>4} {sol.n_variables:>6} {sol.n_integer:>5} "
                  f"{sol.n_constraints:>6} {dt:>7.2f} {sol.status:>18} "
                  f"{sol.optimality_gap:>8.4%} {sol.objective_usd:>16,.0f} {ok}")


if __name__ == "__main__":
    main()
