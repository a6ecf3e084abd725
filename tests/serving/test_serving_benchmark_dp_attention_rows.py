"""Attention-DP serving rows: the simulated benchmark and ``steady_state`` run the same loop.

With attention data parallelism every rank runs its own scheduler, but the ranks step together
(the MoE all-to-all needs all of them), so an iteration is a prompt iteration as soon as any
rank has a prompt. In a mixed-batch engine (vLLM, TRT-LLM) the ranks do not wait for each
other's arrivals: a prompt iteration carries the prompts that arrived during the previous
iteration (Poisson-many, conditioned on at least one), not one prompt per rank. The simulator
(:mod:`flatbed.serving.engine`, one scheduler over the summed budget) does exactly that; the
analytic model used to assume a full rank set per prompt iteration, which put 30% of these
rows more than 5% off on TPOT (too few prompt iterations per lifetime, TPOT low, throughput
high). An unmixed engine (SGLang) prefills everything that arrived during the previous prompt
iteration, so it keeps one prompt per rank (the Poisson grouping there put SGLang DP-72 rows
2.3x off on throughput).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from flatbed.catalog import builtin_catalog
from flatbed.perf.serving_sample import deployment_for_row, row_concurrency
from flatbed.serving.benchmark import simulate_benchmark

SERVING_CSV = (Path(__file__).resolve().parents[1] / "data" / "validation"
               / "serving_silicon_sample.csv")


def _dp_rows(step: int) -> list[tuple[dict[str, str], Any]]:
    cat = builtin_catalog()
    with SERVING_CSV.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("mode") == "agg"]
    out: list[tuple[dict[str, str], Any]] = []
    for r in rows:
        try:
            dep = deployment_for_row(r, cat)
        except (LookupError, ValueError):
            continue
        if dep.dp_attention >= 2 and dep.max_concurrency(int(r["isl"]), int(r["osl"])) >= 1:
            out.append((r, dep))
    return out[::step]


def test_dp_attention_rows_tpot_and_throughput_agree() -> None:
    mixed: list[tuple[float, float]] = []
    unmixed: list[tuple[float, float]] = []
    for r, dep in _dp_rows(4):
        isl, osl = int(r["isl"]), int(r["osl"])
        c = row_concurrency(r, dep)
        st = dep.steady_state(c, isl, osl)
        sim = simulate_benchmark(dep, c, isl, osl)
        err = (sim.tpot_s / st.tpot_s - 1.0,
               sim.output_tokens_per_s / st.output_tokens_per_s - 1.0)
        (mixed if dep.coef.mixed_batches else unmixed).append(err)
    m = np.abs(np.array(mixed))
    u = np.abs(np.array(unmixed))
    assert len(m) >= 30 and len(u) >= 10
    # mixed engines (every 4th DP row: 0.90 / 0.87 now; 0.71 / 0.71 with one prompt per rank)
    assert np.mean(m[:, 0] <= 0.05) >= 0.8  # TPOT
    assert np.mean(m[:, 1] <= 0.05) >= 0.8  # throughput
    # SGLang: no row off by a factor (the Poisson grouping applied to it was 2.3x)
    assert float(np.max(u[:, 1])) < 0.5
