"""Sweep acceptance: 1,000 variants locally and on a local Ray instance give identical results.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--variants 1000] [--evaluate summary]``.
Uses the built-in regional fleet example as the base scenario and a seeded random spec over
five parameters (energy prices, demand, discount rate, climate). The default evaluate is the
cheap exact :func:`flatbed.sweep.evaluators.scenario_summary`, so the figures measure the sweep
machinery (variant generation, validation, process/Ray dispatch, Parquet); ``--evaluate plan``
or ``fleet`` runs the real models (seconds per variant; use fewer variants).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq

from flatbed.scenario import load_scenario
from flatbed.sweep.evaluators import EVALUATORS
from flatbed.sweep.run import run_sweep
from flatbed.sweep.spec import parse_sweep_spec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--evaluate", default="summary", choices=sorted(EVALUATORS))
    a = ap.parse_args()
    base = load_scenario(resources.files("flatbed") / "examples" / "fleet_regional.yaml")  # type: ignore[arg-type]
    spec = parse_sweep_spec({"mode": "random", "samples": a.variants, "seed": 2025,
                             "parameters": {
        "sites[denver-dc].grid_usd_per_kwh": {"low": 0.05, "high": 0.25},
        "sites[frankfurt-plant].grid_usd_per_kwh": {"low": 0.12, "high": 0.40},
        "workloads[denver-support-chat].peak_requests_per_s": {"low": 2, "high": 60, "log": True},
        "prices.discount_rate": [0.04, 0.06, 0.08, 0.10, 0.12],
        "sites[phoenix-fab].climate": {"choices": ["phoenix", "houston", "denver"]},
    }})
    fn = EVALUATORS[a.evaluate]
    tmp = Path(tempfile.mkdtemp(prefix="flatbed-bench-sweep-"))
    t0 = time.perf_counter()
    local = run_sweep(base, spec, fn, backend="local", workers=a.workers,
                      out=tmp / "local.parquet", progress=False)
    t_local = time.perf_counter() - t0
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False)
    t_init = time.perf_counter() - t0
    t0 = time.perf_counter()
    remote = run_sweep(base, spec, fn, backend="ray", out=tmp / "ray.parquet", progress=False)
    t_ray = time.perf_counter() - t0
    ray.shutdown()
    tl, tr = pq.read_table(local), pq.read_table(remote)
    errors = sum(e is not None for e in tl.column("error").to_pylist())
    print(f"sweep: {tl.num_rows} variants x {tl.num_columns} columns, evaluate={a.evaluate}, "
          f"workers={a.workers}, failed variants={errors}")
    print(f"local process pool : {t_local:7.2f} s ({tl.num_rows / t_local:8.1f} variants/s)")
    print(f"local Ray          : {t_ray:7.2f} s ({tr.num_rows / t_ray:8.1f} variants/s) "
          f"+ {t_init:.1f} s ray.init")
    print(f"identical tables   : {tl.equals(tr)}")


if __name__ == "__main__":
    main()
