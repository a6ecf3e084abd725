"""A small sweep on a local Ray instance gives the same Parquet table as the local backend."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flatbed.scenario import Scenario
from flatbed.sweep.evaluators import scenario_summary
from flatbed.sweep.run import run_sweep
from flatbed.sweep.spec import parse_sweep_spec

ray = pytest.importorskip("ray")

SPEC = parse_sweep_spec({"mode": "random", "samples": 40, "seed": 11, "parameters": {
    "sites[0].grid_usd_per_kwh": {"low": 0.04, "high": 0.3},
    "workloads[0].peak_requests_per_s": {"low": 1, "high": 200, "log": True},
    "sites[1].climate": {"choices": ["oslo", "frankfurt", "madrid"]},
    "prices.discount_rate": [0.04, 0.08, 0.12],
}})


def _base() -> Scenario:
    import importlib.util

    here = Path(__file__).with_name("test_sweep_spec_and_paths.py")
    spec = importlib.util.spec_from_file_location("_sweep_base_ray", here)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    scen: Scenario = mod.base_scenario()
    return scen


def test_local_ray_equals_local_processes(tmp_path: Path) -> None:
    base = _base()
    local = pq.read_table(run_sweep(base, SPEC, scenario_summary, backend="local", workers=2,
                                    out=tmp_path / "local.parquet", progress=False))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = pq.read_table(run_sweep(base, SPEC, scenario_summary, backend="ray",
                                         out=tmp_path / "ray.parquet", progress=False))
        # run_sweep leaves a Ray instance it did not start running
        assert ray.is_initialized()
    finally:
        ray.shutdown()
    assert local.num_rows == 40 and all(e is None for e in local.column("error").to_pylist())
    assert remote.equals(local)
