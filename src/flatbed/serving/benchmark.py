"""Simulate a fixed-concurrency benchmark run the way the performance model reads one.

The serving sample (``../shared/validation/serving_silicon_sample.csv``) was measured by a
benchmark client that keeps ``C`` requests of equal lengths in flight (aiperf/genai-perf, vLLM's
``benchmark_serving --max-concurrency``). :meth:`flatbed.perf.llm.LLMDeployment.steady_state`
reads such a run as two phases, and this module simulates the same two phases request by request
with :func:`flatbed.serving.engine.simulate_llm`:

* **First wave** — all ``C`` clients start together (one closed-loop round, ``ramp_s = 0``): the
  prompts are prefilled at the token budget per iteration and request ``j`` waits for the
  iterations before its prompt.
* **Steady phase** — de-synchronised arrivals. Real clients drift apart (HTTP and tokenizer
  timing noise, clients started one after another); with identical lengths and no noise a
  simulated loop that starts together never does (its requests stay in waves). The steady phase
  is therefore simulated with the clients' first requests spread evenly over one request
  lifetime (``ClosedLoop.ramp_s``), ``requests_per_client`` rounds, and measured on the
  requests after the first round and before the last (the drain). Each replacement request
  is sent after an exponential client delay with the mean of one decode iteration
  (``ClosedLoop.jitter_s``): without it a replacement reaches the scheduler a fixed
  ``t_ttft_s`` after the iteration that finished its predecessor, always at the same phase of
  the iteration in progress, where the analytic model (and a real client) sees a random one.

Mean TTFT = ``w·TTFT_wave + (1 − w)·TTFT_steady`` with the engine's ``wave_weight`` ``w``
(:class:`flatbed.perf.llm.EngineCoefficients`); mean TPOT and throughput come from the steady
phase, except that an engine without mixed batches (SGLang) keeps the first wave together, so
its mean TPOT is ``w·TPOT_wave + (1 − w)·TPOT_steady`` too. The test
``tests/serving/test_serving_benchmark_vs_validate.py`` checks these against ``flatbed
validate``'s analytic predictions for serving-sample rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flatbed.serving.arrivals import ClosedLoop
from flatbed.serving.engine import kv_capacity_of, simulate_llm
from flatbed.serving.sizing import scheduler_config_for


@dataclass(frozen=True)
class BenchmarkResult:
    """Means of one simulated fixed-concurrency benchmark run."""

    ttft_s: float
    """Mean time to first token, first wave and steady phase mixed [s]."""
    tpot_s: float
    """Mean time per output token after the first, steady phase [s]."""
    output_tokens_per_s: float
    """Output token throughput of the steady phase [tokens/s]."""
    ttft_wave_s: float
    """Mean TTFT of the synchronised first wave [s]."""
    ttft_steady_s: float
    """Mean TTFT of the de-synchronised steady phase [s]."""


def simulate_benchmark(deployment: Any, concurrency: int, isl: int, osl: int,
                       requests_per_client: int = 10,
                       wave_weight: float | None = None, seed: int = 0) -> BenchmarkResult:
    """Simulate a closed-loop benchmark of ``concurrency`` clients with fixed lengths.

    Parameters
    ----------
    deployment
        An :class:`flatbed.perf.llm.LLMDeployment` (iteration times, KV capacity, engine
        coefficients for the scheduler settings and ``wave_weight``).
    concurrency
        Requests in flight [-].
    isl, osl
        Prompt and output length of every request [tokens].
    requests_per_client
        Rounds of the steady-phase run (≥ 3: one to ramp, one to drain) [-].
    wave_weight
        Share of TTFT from the synchronised first wave; default the engine's fitted value.
    seed
        Seed of the steady phase's client timing noise.
    """
    if concurrency < 1 or isl < 1 or osl < 1:
        raise ValueError("concurrency, isl and osl must be >= 1")
    k = max(3, int(requests_per_client))
    cfg = scheduler_config_for(deployment)
    kv = kv_capacity_of(deployment)
    fn = deployment.iteration_time_s
    c = int(concurrency)
    # first wave: one synchronised round
    wave = simulate_llm(ClosedLoop(c, np.full(c, isl), np.full(c, osl)), fn, kv, config=cfg)
    ttft_wave = float(np.mean(wave.first_token_s - wave.arrival_s))
    # steady phase: clients spread over one lifetime (the analytic estimate of it)
    st = deployment.steady_state(c, isl, osl)
    life_s = st.ttft_s + max(osl - 1, 1) * st.tpot_s
    n = c * k
    # client timing noise: each replacement request is sent after an exponential delay with
    # the mean of one decode iteration, so arrivals land at a random phase of the iteration in
    # progress (the analytic residual wait assumes that) instead of a fixed offset from the
    # iteration that completed its predecessor; it idles a client ~1/osl of its lifetime
    run = simulate_llm(ClosedLoop(c, np.full(n, isl), np.full(n, osl), ramp_s=life_s,
                                  jitter_s=st.decode_iteration_s, seed=seed),
                       fn, kv, config=cfg)
    mid = slice(c, n - c)
    ttft = run.first_token_s[mid] - run.arrival_s[mid]
    tpot = (run.finish_s[mid] - run.first_token_s[mid]) / max(osl - 1, 1)
    fin = np.sort(run.finish_s)
    t0, t1 = fin[c], fin[n - c - 1]
    done = int(np.sum((run.finish_s > t0) & (run.finish_s <= t1)))
    thr = done * osl / (t1 - t0) if t1 > t0 else float("nan")
    w = float(deployment.coef.wave_weight if wave_weight is None else wave_weight)
    ttft_steady = float(np.mean(ttft))
    tpot_mean = float(np.mean(tpot))
    if not deployment.coef.mixed_batches:
        # an unmixed engine (SGLang) keeps the first wave's requests together: that share of
        # requests decodes at the wave's TPOT (as flatbed.perf.llm.steady_state reads it)
        tpot_wave = float(np.mean((wave.finish_s - wave.first_token_s) / max(osl - 1, 1)))
        tpot_mean = w * tpot_wave + (1.0 - w) * tpot_mean
    return BenchmarkResult(
        ttft_s=w * ttft_wave + (1.0 - w) * ttft_steady,
        tpot_s=tpot_mean,
        output_tokens_per_s=float(thr),
        ttft_wave_s=ttft_wave,
        ttft_steady_s=ttft_steady,
    )
