"""Sweeps run in parallel processes, write tidy Parquet, and query with DuckDB."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flatbed.errors import InputError
from flatbed.scenario import Scenario
from flatbed.sweep.evaluators import scenario_summary
from flatbed.sweep.query import query_results
from flatbed.sweep.run import run_sweep
from flatbed.sweep.spec import parse_sweep_spec

_here = Path(__file__).with_name("test_sweep_spec_and_paths.py")
_spec = importlib.util.spec_from_file_location("_sweep_base", _here)
assert _spec and _spec.loader
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
base_scenario = _mod.base_scenario

SPEC = parse_sweep_spec({"mode": "grid", "parameters": {
    "sites[0].grid_usd_per_kwh": [0.05, 0.10, 0.20],
    "workloads[chat].peak_requests_per_s": {"low": 5, "high": 20, "steps": 4},
    "sites[1].climate": ["oslo", "frankfurt"],
}})


def fails_on_phoenix(scen: Scenario) -> dict[str, float | str]:
    if scen.sites[0].climate == "phoenix":
        raise ValueError("too hot for this test")
    return {"x": scen.sites[0].grid_usd_per_kwh * 2}


def test_local_parallel_equals_serial_and_values_are_right(tmp_path: Path) -> None:
    base = base_scenario()
    p2 = run_sweep(base, SPEC, scenario_summary, workers=2, out=tmp_path / "p2.parquet",
                   progress=False)
    p1 = run_sweep(base, SPEC, scenario_summary, workers=1, out=tmp_path / "p1.parquet",
                   progress=False)
    t2, t1 = pq.read_table(p2), pq.read_table(p1)
    assert t1.equals(t2)
    rows = t2.to_pylist()
    assert len(rows) == 24 and [r["variant"] for r in rows] == list(range(24))
    assert t2.column_names[:4] == ["variant", "sites[0].grid_usd_per_kwh",
                                   "workloads[chat].peak_requests_per_s", "sites[1].climate"]
    assert t2.column_names[-1] == "error"
    for r in rows:
        assert r["error"] is None
        # the evaluate saw the overridden scenario: mean of (override, 0.08) and the peak rate
        assert r["grid_usd_per_kwh_mean"] == pytest.approx(
            (r["sites[0].grid_usd_per_kwh"] + 0.08) / 2)
        assert r["llm_peak_requests_per_s"] == pytest.approx(
            r["workloads[chat].peak_requests_per_s"])
        assert r["llm_daily_requests"] == pytest.approx(
            r["workloads[chat].peak_requests_per_s"] * 86400)  # flat profile
        assert r["climates"] == ",".join(sorted({"denver", r["sites[1].climate"]}))
    meta = t2.schema.metadata[b"flatbed_sweep"].decode()
    assert '"variants": 24' in meta and "scenario_summary" in meta


def test_failed_variants_become_error_rows(tmp_path: Path) -> None:
    spec = parse_sweep_spec({"parameters": {"sites[0].climate": ["denver", "phoenix"]}})
    t = pq.read_table(run_sweep(base_scenario(), spec, fails_on_phoenix, workers=1,
                                out=tmp_path / "e.parquet", progress=False)).to_pylist()
    assert t[0]["error"] is None and t[0]["x"] == pytest.approx(0.2)
    assert t[1]["x"] is None and "too hot for this test" in t[1]["error"]


def test_bad_paths_fail_before_any_work(tmp_path: Path) -> None:
    spec = parse_sweep_spec({"parameters": {"sites[9].pads": [1]}})
    with pytest.raises(InputError, match="out of range"):
        run_sweep(base_scenario(), spec, scenario_summary, out=tmp_path / "x.parquet",
                  progress=False)
    assert not (tmp_path / "x.parquet").exists()
    with pytest.raises(InputError, match="backend"):
        run_sweep(base_scenario(), SPEC, scenario_summary, backend="spark",  # type: ignore[arg-type]
                  out=tmp_path / "y.parquet")


def test_duckdb_query(tmp_path: Path) -> None:
    p = run_sweep(base_scenario(), SPEC, scenario_summary, workers=1,
                  out=tmp_path / "q.parquet", progress=False)
    cols, rows = query_results(
        p, 'SELECT "sites[1].climate" AS c, count(*) AS n, max(llm_peak_requests_per_s) AS m '
           "FROM results GROUP BY 1 ORDER BY 1")
    assert cols == ["c", "n", "m"]
    assert rows == [("frankfurt", 12, pytest.approx(20.0)), ("oslo", 12, pytest.approx(20.0))]
    with pytest.raises(InputError, match="no such"):
        query_results(tmp_path / "none.parquet")
    with pytest.raises(InputError, match="query"):
        query_results(p, "SELECT nope FROM results")


def test_core_never_imports_ray() -> None:
    code = ("import sys, flatbed, flatbed.sweep, flatbed.sweep.run, flatbed.sweep.spec, "
            "flatbed.sweep.query, flatbed.sweep.evaluators, flatbed.fleet.solve, "
            "flatbed.fleet.from_scenario\n"
            "bad = sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.'))\n"
            "assert not bad, bad\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr


def stage_in_worker(scen: Scenario) -> dict[str, float | str]:
    """The stage each variant picks, and whether this worker process has it registered."""
    from flatbed.serving.sizing import LLM_SIZING

    name = scen.stages.llm_sizing
    return {"stage": name, "registered": "yes" if name in LLM_SIZING else "no"}


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_plugins_reach_the_workers(tmp_path: Path, start: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from flatbed.serving.sizing import LLM_SIZING

    if start == "spawn":  # a spawned worker starts bare: only the initializer can load them
        spawn = multiprocessing.get_context("spawn")
        monkeypatch.setattr(multiprocessing, "get_context", lambda *_: spawn)

    plugin = tmp_path / "sweep_stages.py"
    plugin.write_text("from flatbed.serving.sizing import LLM_SIZING, size_llm_replicas\n"
                      "LLM_SIZING.register('sweep_policy')(size_llm_replicas)\n",
                      encoding="utf-8")
    spec = parse_sweep_spec({"mode": "grid", "parameters": {
        "stages.llm_sizing": ["flatbed", "sweep_policy"],
        "sites[0].grid_usd_per_kwh": [0.05, 0.10]}})
    try:
        with pytest.raises(InputError, match="unknown llm_sizing 'sweep_policy'"):
            run_sweep(base_scenario(), spec, stage_in_worker, workers=1,
                      out=tmp_path / "no.parquet", progress=False)
        t = pq.read_table(run_sweep(base_scenario(), spec, stage_in_worker, workers=2,
                                    out=tmp_path / "yes.parquet", progress=False,
                                    plugins=[str(plugin)])).to_pylist()
        assert sorted(r["stage"] for r in t) == ["flatbed"] * 2 + ["sweep_policy"] * 2
        assert all(r["registered"] == "yes" and r["error"] is None for r in t)
    finally:
        LLM_SIZING.unregister("sweep_policy")
