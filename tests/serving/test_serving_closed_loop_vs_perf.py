"""Fixed-concurrency closed loops driven by the real performance model against its analytic
closed-loop steady state (``LLMDeployment.steady_state``).

The analytic steady phase assumes de-synchronised arrivals. A simulated loop whose clients all
start together stays in waves when every request has the same lengths (replacement requests
arrive in bursts, prompts queue behind each other); real benchmark clients drift apart. The
loop here therefore spreads its clients' first requests over one request lifetime
(``ClosedLoop.ramp_s``), as :mod:`flatbed.serving.benchmark` does, and compares the steady
middle of the run with the analytic steady phase (``wave_weight = 0``): TPOT and output
throughput within 5%, TTFT within 12% (the analytic prompt queue is M/D/1, i.e. Poisson
arrivals; the ramped loop's arrivals are more regular and queue a little less: 87 vs 97 ms for
8B, 32 × 4000/500 on H100). A synchronised start is checked to keep its waves.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import flatbed.perf.llm as llm
from flatbed.serving.arrivals import ClosedLoop
from flatbed.serving.engine import kv_capacity_of, simulate_llm
from flatbed.serving.metrics import littles_law
from flatbed.serving.sizing import scheduler_config_for


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    from flatbed.catalog import builtin_catalog

    return builtin_catalog()


CASES = [
    ("Llama-3.1-8B", "H100-SXM", 1, 32, 4000, 500),
    ("Llama-3.1-8B", "H100-SXM", 1, 64, 1000, 1000),
    ("Llama-3.1-70B", "H200-SXM", 4, 64, 1000, 1000),
]


def _dep(catalog, model: str, accel: str, tp: int):  # type: ignore[no-untyped-def]
    dep = llm.LLMDeployment(arch=catalog.get("models", model),
                            accel=catalog.get("accelerators", accel),
                            precision="fp8", kv_precision="fp8", tp=tp)
    return dep.with_coefficients(replace(dep.coef, wave_weight=0.0))


@pytest.mark.parametrize("model,accel,tp,conc,isl,osl", CASES)
def test_desynchronised_closed_loop_matches_steady_state(  # type: ignore[no-untyped-def]
        catalog, model: str, accel: str, tp: int, conc: int, isl: int, osl: int) -> None:
    dep = _dep(catalog, model, accel, tp)
    ss = dep.steady_state(conc, isl, osl)
    life = ss.ttft_s + (osl - 1) * ss.tpot_s
    n = conc * 10
    run = simulate_llm(ClosedLoop(conc, np.full(n, isl), np.full(n, osl), ramp_s=life),
                       dep.iteration_time_s, kv_capacity_of(dep), config=scheduler_config_for(dep))
    assert np.all(np.isfinite(run.finish_s))
    mid = slice(conc, n - conc)
    tpot = float(np.mean((run.finish_s[mid] - run.first_token_s[mid]) / (osl - 1)))
    ttft = float(np.mean(run.first_token_s[mid] - run.arrival_s[mid]))
    assert tpot == pytest.approx(ss.tpot_s, rel=0.05)
    assert ttft == pytest.approx(ss.ttft_s, rel=0.12)
    fin = np.sort(run.finish_s)
    t0, t1 = fin[2 * conc], fin[-2 * conc]
    done = np.sum((run.finish_s > t0) & (run.finish_s <= t1))
    assert done * osl / (t1 - t0) == pytest.approx(ss.output_tokens_per_s, rel=0.05)
    # Little's law on the closed loop: exactly `conc` in flight
    assert littles_law(run.arrival_s, run.finish_s, t0, t1).l_time_avg == pytest.approx(
        conc, rel=0.01)


def test_synchronised_start_keeps_waves(catalog) -> None:  # type: ignore[no-untyped-def]
    """Without the ramp the identical requests stay grouped: prompts queue behind each other
    and TTFT is several times the de-synchronised value (why the ramp is needed)."""
    dep = _dep(catalog, "Llama-3.1-8B", "H100-SXM", 1)
    conc, isl, osl = 32, 4000, 500
    ss = dep.steady_state(conc, isl, osl)
    n = conc * 10
    run = simulate_llm(ClosedLoop(conc, np.full(n, isl), np.full(n, osl)),
                       dep.iteration_time_s, kv_capacity_of(dep), config=scheduler_config_for(dep))
    mid = slice(conc, n - conc)
    ttft = float(np.mean(run.first_token_s[mid] - run.arrival_s[mid]))
    assert ttft > 2.0 * ss.ttft_s
