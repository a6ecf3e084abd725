"""Fixed-concurrency simulator runs against ``flatbed validate``'s analytic predictions.

Issue 4 asks that fixed-concurrency runs reproduce the performance model's predictions for the
serving-sample rows (same model, same numbers within 5%). Both sides read a benchmark run the
same way (:mod:`flatbed.serving.benchmark`): a synchronised first wave plus a de-synchronised
steady phase, TTFT mixed with the engine's ``wave_weight``. The simulator schedules every
iteration request by request (chunked prefill, KV admission, one token per decode); the
analytic model replaces that by closed-form means (a time-weighted residual iteration, an
M/D/1 prompt queue, the wave's chunk bookkeeping), so this checks those closed forms.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from flatbed.catalog import builtin_catalog
from flatbed.perf.serving_sample import deployment_for_row, predict_serving_row, row_concurrency
from flatbed.serving.benchmark import simulate_benchmark

SERVING_CSV = (Path(__file__).resolve().parents[1] / "data" / "validation"
               / "serving_silicon_sample.csv")


def _rows(step: int = 40) -> list[dict[str, str]]:
    with SERVING_CSV.open(newline="", encoding="utf-8") as fh:
        agg = [r for r in csv.DictReader(fh) if r.get("mode") == "agg"]
    return agg[::step]


def test_simulated_benchmark_reproduces_validate_predictions() -> None:
    cat = builtin_catalog()
    errs, light = [], []
    for r in _rows():
        dep = deployment_for_row(r, cat)
        isl, osl = int(r["isl"]), int(r["osl"])
        if dep.max_concurrency(isl, osl) < 1:
            continue
        c = row_concurrency(r, dep)  # batch_size is per attention-DP rank
        pred = predict_serving_row(r, cat)
        sim = simulate_benchmark(dep, c, isl, osl)
        st = dep.steady_state(c, isl, osl)
        light.append(st.prompt_load < 0.1 and c <= dep.max_concurrency(isl, osl))
        errs.append((sim.ttft_s * 1e3 / pred.ttft_ms - 1.0, sim.tpot_s * 1e3 / pred.tpot_ms - 1.0,
                     sim.output_tokens_per_s / st.output_tokens_per_s - 1.0))
    e = np.abs(np.array(errs))
    assert len(e) >= 80
    med = np.median(e, axis=0)
    assert med[0] <= 0.05  # TTFT
    assert med[1] <= 0.05  # TPOT
    assert med[2] <= 0.05  # output throughput
    # most rows individually within 5% (TPOT, throughput) and 10% (TTFT)
    assert np.mean(e[:, 1] <= 0.05) >= 0.85
    assert np.mean(e[:, 2] <= 0.05) >= 0.85
    assert np.mean(e[:, 0] <= 0.10) >= 0.80
    # within 5% (every 40th row, 2026-11-26: TTFT 84%, TPOT 92%, throughput 98%)
    assert np.mean(e[:, 0] <= 0.05) >= 0.80
    assert np.mean(e[:, 2] <= 0.05) >= 0.90
    # where an arrival sees little prompt load the closed forms hold row by row (every 5th
    # row, 2026-11-26: 96 / 99 / 97% of 410 rows within 5%); the gap is at higher load
    lt = e[np.array(light)]
    assert len(lt) >= 40
    assert np.all(np.mean(lt <= 0.05, axis=0) >= 0.9)


def test_benchmark_phases_bracket_the_mix() -> None:
    cat = builtin_catalog()
    from flatbed.perf.llm import LLMDeployment

    dep = LLMDeployment(arch=cat.get("models", "Llama-3.1-8B"),
                        accel=cat.get("accelerators", "H100-SXM"),
                        precision="fp8", kv_precision="fp8", engine="vllm")
    res = simulate_benchmark(dep, 64, 4000, 300, wave_weight=0.25)
    # the synchronised wave queues 64 prompts of 4000 tokens behind each other
    assert res.ttft_wave_s > 3 * res.ttft_steady_s
    assert res.ttft_s == pytest.approx(0.25 * res.ttft_wave_s + 0.75 * res.ttft_steady_s)
    ss = dep.steady_state(64, 4000, 300)
    assert res.tpot_s == pytest.approx(ss.tpot_s, rel=0.05)
    assert res.output_tokens_per_s == pytest.approx(ss.output_tokens_per_s, rel=0.05)


def test_preempted_and_readmitted_requests_complete_once() -> None:
    """Regression: a KV-limited loop (SGLang, DeepSeek-R1 on 8×B200, 256 × 1024/8192 tokens)
    preempts requests that are later re-admitted; a stale completion entry with the same
    (iteration, id) as the new one used to complete the request twice (KeyError)."""
    from flatbed.perf.llm import LLMDeployment

    cat = builtin_catalog()
    dep = LLMDeployment(arch=cat.get("models", "DeepSeek-R1"),
                        accel=cat.get("accelerators", "b200_sxm"), precision="fp8",
                        tp=8, ep=8, engine="sglang")
    res = simulate_benchmark(dep, 256, 1024, 8192)
    assert np.isfinite(res.ttft_s) and np.isfinite(res.tpot_s)
    assert res.output_tokens_per_s > 0


def test_prompt_bound_rows_carry_the_first_wave_too() -> None:
    """Regression: in the prompt-bound regime (short outputs, many clients: every iteration
    carries prompt tokens) ``steady_state`` returned the steady phase's TTFT alone, without the
    first wave's share that every other regime and ``simulate_benchmark`` mix in — 5.4× below
    the simulator on this serving-sample configuration (vLLM, Llama-3.1-8B FP8, H200,
    112 clients × 1000/100 tokens)."""
    from flatbed.perf.llm import LLMDeployment

    cat = builtin_catalog()
    dep = LLMDeployment(arch=cat.get("models", "nvidia/Llama-3.1-8B-Instruct-FP8"),
                        accel=cat.get("accelerators", "h200_sxm"), precision="fp8",
                        kv_precision="bf16", engine="vllm")
    st = dep.steady_state(112, 1000, 100)
    sim = simulate_benchmark(dep, 112, 1000, 100)
    w = dep.coef.wave_weight
    assert st.ttft_s >= w * sim.ttft_wave_s
    assert sim.ttft_s / st.ttft_s < 2.0
    assert st.tpot_s == pytest.approx(sim.tpot_s, rel=0.05)
