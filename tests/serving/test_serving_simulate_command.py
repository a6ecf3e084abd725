"""`flatbed simulate` and simulate_workload: sizing + whole-cluster run + network, with the real
performance model when it is installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from flatbed.serving.commands import register

DATA = Path(__file__).parent / "data" / "serving_scenario.yaml"


def app() -> typer.Typer:
    a = typer.Typer()
    register(a)

    @a.command()
    def other() -> None:  # a second command so typer keeps sub-command names
        pass

    return a


def test_simulate_json_is_deterministic_and_complete() -> None:

    r1 = CliRunner().invoke(app(), ["simulate", str(DATA), "--json", "--seed", "3",
                                    "--duration", "40"])
    r2 = CliRunner().invoke(app(), ["simulate", str(DATA), "--json", "--seed", "3",
                                    "--duration", "40"])
    assert r1.exit_code == 0, r1.output
    assert r1.output == r2.output
    rows = json.loads(r1.output)
    by = {r["workload"]: r for r in rows}
    llm = by["assistant"]
    assert llm["replicas"] >= 1 and llm["meets_slo"] is True
    lat = llm["latency"]
    for k in ("edge_p50_ms", "edge_p99_ms", "cloud_p50_ms", "cloud_p99_ms", "ttft_p99_ms",
              "tpot_p99_ms"):
        assert lat[k] is not None and lat[k] > 0
    # 600 km of fibre: the cloud path adds ~8.8 ms RTT to every request
    assert lat["cloud_p50_ms"] - lat["edge_p50_ms"] == pytest.approx(8.8 - 0.4, abs=2.0)
    assert lat["ttft_p99_ms"] <= 1500 and lat["tpot_p99_ms"] <= 60
    cams = by["cameras"]
    assert cams["latency"]["edge_p99_ms"] <= 60 * 1.1
    assert cams["metrics"]["frames_per_s"] == pytest.approx(48 * 15, rel=0.02)


def test_simulate_text_table() -> None:

    r = CliRunner().invoke(app(), ["simulate", str(DATA), "--duration", "20"])
    assert r.exit_code == 0, r.output
    assert "assistant" in r.output


@pytest.mark.parametrize("args,needle", [
    (["simulate", "no/such/file.yaml"], "no such file"),
    (["simulate", str(DATA), "--duration", "-5"], "--duration"),
])
def test_simulate_bad_input_exit_2(args: list[str], needle: str) -> None:
    r = CliRunner().invoke(app(), args)
    assert r.exit_code == 2
    assert needle in r.output
    assert "Traceback" not in r.output


def test_simulate_workload_littles_law_and_latency_object() -> None:

    from flatbed.catalog import builtin_catalog
    from flatbed.scenario import load_scenario
    from flatbed.serving.workload import simulate_workload

    scen = load_scenario(DATA)
    sim = simulate_workload(scen.workloads[0], scen.sites[0], builtin_catalog(), seed=1,
                            duration_s=60.0)
    lat = sim.latency()
    assert lat.edge_p99_ms >= lat.edge_p50_ms
    assert lat.cloud_p99_ms > lat.edge_p99_ms
    assert lat.binding_slo in ("ttft_p99", "tpot_p99")
    assert 0.0 < sim.metrics.goodput <= 1.0
    from flatbed.serving.metrics import LLMMetrics

    assert isinstance(sim.metrics, LLMMetrics)
    assert np.isfinite(sim.metrics.e2e.p99_ms)
