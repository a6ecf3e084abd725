"""Sizing: the smallest replica count whose *simulated* p99 meets the SLOs at the peak hour.

Method
------
1. A capacity bound from the performance model gives a first guess ``n0`` (no replica can serve
   more than its saturated throughput).
2. ``meets(n)`` simulates one *representative replica*: with round-robin routing over ``n``
   identical replicas each replica sees every n-th arrival of the peak-hour Poisson stream (an
   Erlang-n renewal process at rate λ/n) and replicas evolve independently, so one replica's
   request latencies have the same distribution as the cluster's. For vision, camera streams are
   pinned to replicas; the replica with ``ceil(streams / n)`` streams is the worst and is the one
   simulated. The cost of one evaluation therefore does not grow with ``n``.
3. Bracket from ``n0`` (doubling steps down or up) and bisect to the smallest count that meets
   every SLO, assuming p99 falls as replicas are added. All evaluations share one seed (common
   random numbers), so the search is deterministic.

The binding SLO is the one that fails at ``n − 1`` replicas (or, when one replica suffices, the
one with the least headroom).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from flatbed.catalog import Catalog
from flatbed.catalog.records import Accelerator, ModelArch, VisionModel
from flatbed.errors import InputError
from flatbed.perf.power import cap_time_factors
from flatbed.perf.vision import batch_time_s as vision_batch_time_s
from flatbed.registry import BUILTIN, Registry
from flatbed.scenario import LLMWorkload, VisionWorkload
from flatbed.serving.arrivals import Requests, sample_tokens, stream_arrivals_s
from flatbed.serving.engine import (
    IterationTimeFn,
    LLMRun,
    VisionRun,
    kv_capacity_of,
    rich_iteration_form,
    simulate_llm,
    simulate_vision,
)
from flatbed.serving.metrics import LLMMetrics, VisionMetrics, llm_metrics, vision_metrics
from flatbed.serving.scheduling import DynamicBatcherConfig, LLMSchedulerConfig

FloatArray = NDArray[np.float64]

DEFAULT_LLM_ACCELERATOR = "H100-SXM"
DEFAULT_VISION_ACCELERATOR = "L4"
MAX_REPLICAS = 4096
WARMUP_SHARE = 0.1
"""Share of the simulated requests (the first ones) excluded from statistics (empty-start bias)."""
MIN_REQUESTS = 2000
MAX_REQUESTS = 8000
"""Requests simulated per evaluation (p99 from ≥ 1,800 measured samples has ≥ 18 in its tail)."""
LIFETIMES_PER_EVAL = 100
"""Evaluations span at least this many request lifetimes (requests in flight × 100)."""
MIN_FRAMES = 3000
MAX_FRAMES = 30000


@dataclass(frozen=True)
class SizingResult:
    """Outcome of a replica-count search."""

    kind: str
    replicas: int
    gpus_per_replica: int
    meets_slo: bool
    binding_slo: str
    p99_ms: dict[str, float]
    """Achieved p99 of each SLO'd latency at ``replicas`` [ms]."""
    slo_ms: dict[str, float]
    metrics: LLMMetrics | VisionMetrics
    server_latency_s: FloatArray = field(repr=False)
    """Server-side end-to-end latency of each measured request at ``replicas`` [s]."""
    evaluated: dict[int, bool] = field(default_factory=dict)
    note: str = ""
    load_share: float = math.nan
    """Peak offered load per replica / the replica's estimated saturated throughput [-]
    (:func:`llm_capacity_per_s`; vision: best frames/s over batch sizes). Unlike
    ``metrics.utilization`` (share of time the engine is iterating, ≈1 for an LLM replica
    whenever any request is in flight) this says how hard the replica works — use it for power."""

    @property
    def gpus(self) -> int:
        return self.replicas * self.gpus_per_replica


# ---------------------------------------------------------------------------------------------
# deployments


@dataclass(frozen=True)
class VisionDeployment:
    """A vision model on one accelerator with a dynamic batcher."""

    model: VisionModel
    accel: Accelerator
    precision: str
    resolution: tuple[int, int]
    max_batch: int = 8
    power_cap_fraction: float = 1.0
    """GPU power limit as a fraction of TDP [-]; batches are taken as compute-bound under a cap
    (they stretch by ``flatbed.perf.power.cap_time_factors``' compute factor — the conservative
    case, as the facility's throttling curve also assumes for vision)."""

    @property
    def gpus(self) -> int:
        return 1

    def batch_time_s(self, batch: int) -> float:
        t = float(vision_batch_time_s(self.model, self.accel, batch, self.precision,
                                      self.resolution))
        if self.power_cap_fraction < 1.0:
            t *= float(cap_time_factors(self.power_cap_fraction)[0])
        return t


def default_accelerator(workload: LLMWorkload | VisionWorkload) -> str:
    """The workload's first allowed accelerator, else H100-SXM (LLM) or L4 (vision)."""
    if workload.accelerators:
        return workload.accelerators[0]
    return DEFAULT_LLM_ACCELERATOR if workload.kind == "llm" else DEFAULT_VISION_ACCELERATOR


def deployment_for(workload: LLMWorkload | VisionWorkload, accelerator_id: str | None,
                   catalog: Catalog) -> Any:
    """Build the replica a workload runs on.

    LLM: :class:`flatbed.perf.llm.LLMDeployment` with the smallest tensor-parallel degree (1, 2,
    4, 8, within the accelerator's NVLink domain) whose KV cache holds at least 32 requests of
    mean length (input + output), KV in FP8 when the weights are FP8/FP4, else BF16.
    Vision: :class:`VisionDeployment`, max batch 8.
    """
    accel_id = accelerator_id or default_accelerator(workload)
    try:
        accel = catalog.get("accelerators", accel_id, Accelerator)
    except InputError as exc:
        raise InputError(f"workload {workload.id!r}: {exc}") from None
    if isinstance(workload, VisionWorkload):
        vm = catalog.get("vision_models", workload.model, VisionModel)
        return VisionDeployment(vm, accel, workload.precision, workload.resolution)
    from flatbed.perf.llm import LLMDeployment  # noqa: PLC0415 - perf is a sibling area

    arch = catalog.get("models", workload.model, ModelArch)
    kv_prec = "fp8" if workload.precision in ("fp8", "fp4") else "bf16"
    need = 32 * (workload.input_tokens.mean + workload.output_tokens.mean)
    domain = max(1, int(getattr(accel, "nvlink_domain", 8) or 8))
    best = None
    for tp in (1, 2, 4, 8, 16, 32, 64, 72):
        if tp > max(domain, 1) and tp > 1:
            break
        dep = LLMDeployment(arch=arch, accel=accel, precision=workload.precision,
                            kv_precision=kv_prec, tp=tp, engine=workload.engine)
        best = dep
        if kv_capacity_of(dep) >= need:
            return dep
    if best is None or kv_capacity_of(best) <= 0:
        raise InputError(f"workload {workload.id!r}: model {workload.model} does not fit on "
                         f"{accel.id} even at the largest tensor-parallel degree")
    return best


def scheduler_config_for(deployment: Any) -> LLMSchedulerConfig:
    """Scheduler settings matching the deployment's engine coefficients, where it has them."""
    coef = getattr(deployment, "coef", None)
    if coef is None:
        return LLMSchedulerConfig()
    # one scheduler per attention data-parallel rank (DeepSeek/SGLang "DP attention"), each
    # with its own token budget and sequence limit; the replica sees their sum
    dp = max(1, int(getattr(deployment, "dp_attention", 1)))
    return LLMSchedulerConfig(
        max_batched_tokens=int(getattr(coef, "token_budget", 8192)) * dp,
        max_seqs=int(getattr(coef, "max_seqs", LLMSchedulerConfig().max_seqs)) * dp,
        mixed_batches=bool(getattr(coef, "mixed_batches", True)),
        frontend_s=float(getattr(coef, "t_ttft_s", 0.0)),
    )


# ---------------------------------------------------------------------------------------------
# LLM


def llm_capacity_per_s(iteration_time_s: IterationTimeFn, kv_capacity_tokens: int,
                       mean_input: float, mean_output: float,
                       config: LLMSchedulerConfig) -> float:
    """Upper-bound estimate of one replica's request throughput [1/s].

    Decode at the largest batch the KV cache allows (B = min(max_seqs, KV / (in + out/2))) plus
    prefill at full-budget iterations: 1 / (in·t_prefill/token + out·t_decode(B)/B).
    """
    ctx = mean_input + mean_output / 2.0
    b = max(1.0, min(float(config.max_seqs), kv_capacity_tokens / max(ctx, 1.0)))
    budget = float(config.max_batched_tokens)
    rich = rich_iteration_form(iteration_time_s)
    if rich is not None:  # prompts of mean length packed into the budget
        full = rich(budget, 0.0, 0.0, budget * mean_input / 2.0, budget / max(mean_input, 1.0))
    else:
        full = iteration_time_s(budget, 0.0, 0.0)
    per_tok = max(full - iteration_time_s(0.0, 1.0, ctx), 0.0) / budget
    t_dec = iteration_time_s(0.0, b, b * ctx) / b
    return 1.0 / max(mean_input * per_tok + mean_output * t_dec, 1e-12)


def peak_requests(workload: LLMWorkload, n: int, count: int, rng: np.random.Generator,
                  ) -> Requests:
    """``count`` requests of one replica out of ``n`` under round-robin at the peak rate."""
    lam = workload.peak_requests_per_s
    gaps = rng.gamma(float(n), 1.0 / lam, count)  # Erlang-n inter-arrivals
    arr = np.cumsum(gaps)
    return Requests(arr, sample_tokens(workload.input_tokens, count, rng),
                    sample_tokens(workload.output_tokens, count, rng))


def _llm_eval(deployment: Any, workload: LLMWorkload, n: int, seed: int, duration_s: float,
              config: LLMSchedulerConfig) -> tuple[LLMRun, LLMMetrics]:
    per_replica = workload.peak_requests_per_s / n
    # enough requests to span many request lifetimes: p99 TPOT/TTFT samples are correlated
    # over a lifetime (they share the iterations they ran in), so a short run misses the rare
    # bad episodes and under-reads p99 (measured: 2,000 requests of a 70B, 4k/500-token
    # workload read p99 TPOT ~4% low on average, 8,000 within noise of a 16-replica run)
    in_flight = per_replica * workload.output_tokens.mean * workload.tpot_p99_ms / 1e3
    want = max(per_replica * duration_s, LIFETIMES_PER_EVAL * in_flight)
    count = int(np.clip(want, MIN_REQUESTS, MAX_REQUESTS))
    rng = np.random.default_rng(seed)
    req = peak_requests(workload, n, count, rng)
    run = simulate_llm(req, deployment.iteration_time_s, kv_capacity_of(deployment),
                       config=config)
    warm = float(req.arrival_s[int(count * WARMUP_SHARE)])
    m = llm_metrics(run, workload.ttft_p99_ms / 1e3, workload.tpot_p99_ms / 1e3, warmup_s=warm,
                    window_end_s=float(req.arrival_s[-1]) + 1e-9)
    return run, m


def _llm_ratios(m: LLMMetrics, w: LLMWorkload) -> dict[str, float]:
    """p99 / SLO per SLO; more than 0.5% of requests unfinished (overload) counts as a miss."""
    r = {"ttft_p99": m.ttft.p99_ms / w.ttft_p99_ms, "tpot_p99": m.tpot.p99_ms / w.tpot_p99_ms}
    if m.finished < 0.995 * m.requests:
        r["ttft_p99"] = math.inf
    return {k: (v if v == v else math.inf) for k, v in r.items()}  # NaN → miss


def size_llm_replicas(deployment: Any, workload: LLMWorkload, seed: int = 0,
                      duration_s: float = 300.0,
                      config: LLMSchedulerConfig | None = None) -> SizingResult:
    """Smallest replica count whose simulated p99 TTFT and TPOT meet the workload's SLOs at the
    peak hour.

    Parameters
    ----------
    deployment : anything with ``iteration_time_s(prefill_tokens, decode_seqs, context_tokens)``
        and ``kv_capacity_tokens`` (e.g. :class:`flatbed.perf.llm.LLMDeployment`).
    duration_s : simulated peak-hour span per evaluation [s] (the request count per evaluation
        is kept within 2,000–8,000, and ≥ 100 × the requests in flight).
    """
    cfg = config or scheduler_config_for(deployment)
    gpus = int(getattr(deployment, "gpus", 1))
    kv = kv_capacity_of(deployment)
    slo = {"ttft_p99": workload.ttft_p99_ms, "tpot_p99": workload.tpot_p99_ms}
    # zero-load feasibility: a lone p99-length prompt, and a lone decode step
    rng = np.random.default_rng(seed)
    p99_in = float(np.percentile(sample_tokens(workload.input_tokens, 4000, rng), 99))
    chunks = max(1, math.ceil(p99_in / cfg.max_batched_tokens))
    lone_ttft = cfg.frontend_s + chunks * deployment.iteration_time_s(
        min(p99_in, cfg.max_batched_tokens), 0.0, 0.0)
    lone_tpot = deployment.iteration_time_s(0.0, 1.0, p99_in)
    if kv <= 0 or lone_ttft * 1e3 > workload.ttft_p99_ms or lone_tpot * 1e3 > workload.tpot_p99_ms:
        binding = "ttft_p99" if lone_ttft * 1e3 > workload.ttft_p99_ms else "tpot_p99"
        if kv <= 0:
            binding = "kv_capacity"
        run, m = _llm_eval(deployment, workload, MAX_REPLICAS, seed, duration_s, cfg)
        return SizingResult("llm", 0, gpus, False, binding,
                            {"ttft_p99": m.ttft.p99_ms, "tpot_p99": m.tpot.p99_ms}, slo, m,
                            _server_latency(run, m), {},
                            note=(f"infeasible on this replica even unloaded: lone TTFT "
                                  f"{lone_ttft * 1e3:.0f} ms, TPOT {lone_tpot * 1e3:.1f} ms"))

    cap = llm_capacity_per_s(deployment.iteration_time_s, kv, workload.input_tokens.mean,
                             workload.output_tokens.mean, cfg)
    n0 = max(1, math.ceil(workload.peak_requests_per_s / cap))
    cache: dict[int, tuple[bool, dict[str, float], LLMRun, LLMMetrics]] = {}

    def meets(n: int) -> bool:
        if n not in cache:
            run, m = _llm_eval(deployment, workload, n, seed, duration_s, cfg)
            r = _llm_ratios(m, workload)
            cache[n] = (all(v <= 1.0 for v in r.values()), r, run, m)
        return cache[n][0]

    n = _smallest(meets, n0)
    if n is None:
        ok_n = max(cache)
        _, r, run, m = cache[ok_n]
        return SizingResult("llm", ok_n, gpus, False, max(r, key=lambda k: r[k]),
                            {"ttft_p99": m.ttft.p99_ms, "tpot_p99": m.tpot.p99_ms}, slo, m,
                            _server_latency(run, m), {k: v[0] for k, v in cache.items()},
                            note=f"no count up to {MAX_REPLICAS} replicas meets the SLOs",
                            load_share=min(1.0, workload.peak_requests_per_s / ok_n / cap))
    _, r, run, m = cache[n]
    binding = _binding(cache, n, r)
    return SizingResult("llm", n, gpus, True, binding,
                        {"ttft_p99": m.ttft.p99_ms, "tpot_p99": m.tpot.p99_ms}, slo, m,
                        _server_latency(run, m), {k: v[0] for k, v in sorted(cache.items())},
                        load_share=min(1.0, workload.peak_requests_per_s / n / cap))


def _server_latency(run: LLMRun, m: LLMMetrics) -> FloatArray:
    e2e = run.finish_s - run.arrival_s
    return np.asarray(e2e[-m.requests:] if m.requests else e2e, dtype=np.float64)


def _binding(cache: dict[int, Any], n: int, r: dict[str, float]) -> str:
    prev = cache.get(n - 1)
    if prev is not None:
        rp: dict[str, float] = prev[1]
        failing = {k: v for k, v in rp.items() if v > 1.0}
        if failing:
            return max(failing, key=lambda k: failing[k])
    return max(r, key=lambda k: r[k])


def _smallest(meets: Callable[[int], bool], guess: int, hi_max: int = MAX_REPLICAS) -> int | None:
    """Smallest n in [1, hi_max] with meets(n), for monotone ``meets``; bracket from ``guess``."""
    g = min(max(1, guess), hi_max)
    if meets(g):
        hi, step = g, 1
        lo = 0
        while hi - step >= 1:
            if meets(hi - step):
                hi = hi - step
                step *= 2
            else:
                lo = hi - step
                break
    else:
        lo, step = g, 1
        hi = 0
        while True:
            cand = min(lo + step, hi_max)
            if meets(cand):
                hi = cand
                break
            if cand >= hi_max:
                return None
            lo, step = cand, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


# ---------------------------------------------------------------------------------------------
# vision


def default_queue_delay_s(deadline_s: float) -> float:
    """Dynamic-batcher max queue delay: 10% of the deadline, at most 2 ms (design choice)."""
    return min(0.002, 0.1 * deadline_s)


def _vision_eval(batch_time_s: Callable[[int], float], workload: VisionWorkload, n: int,
                 cfg: DynamicBatcherConfig, seed: int, duration_s: float,
                 ) -> tuple[VisionRun, VisionMetrics]:
    streams = math.ceil(workload.streams / n)
    rate = streams * workload.fps
    dur = float(np.clip(duration_s, MIN_FRAMES / rate, MAX_FRAMES / rate))
    rng = np.random.default_rng(seed)
    arr, sid = stream_arrivals_s(streams, workload.fps, dur, rng)
    run = simulate_vision(arr, batch_time_s, 1, cfg)
    m = vision_metrics(run, workload.deadline_p99_ms / 1e3, warmup_s=dur * WARMUP_SHARE,
                       window_end_s=dur)
    return run, m


def size_vision_replicas(batch_time_s: Callable[[int], float], workload: VisionWorkload,
                         max_batch: int = 8, seed: int = 0, duration_s: float = 10.0,
                         max_queue_delay_s: float | None = None) -> SizingResult:
    """Smallest replica (GPU) count whose simulated p99 frame latency meets the deadline.

    Streams are pinned to replicas; the most loaded replica (``ceil(streams / n)`` streams) is
    simulated. ``batch_time_s(b)`` is the batch latency of ``b`` frames [s].
    """
    delay = default_queue_delay_s(workload.deadline_p99_ms / 1e3) if max_queue_delay_s is None \
        else max_queue_delay_s
    cfg = DynamicBatcherConfig(max_batch=max_batch, max_queue_delay_s=delay)
    slo = {"deadline_p99": workload.deadline_p99_ms}
    cache: dict[int, tuple[bool, dict[str, float], VisionRun, VisionMetrics]] = {}

    def meets(n: int) -> bool:
        if n not in cache:
            run, m = _vision_eval(batch_time_s, workload, n, cfg, seed, duration_s)
            r = {"deadline_p99": m.latency.p99_ms / workload.deadline_p99_ms}
            cache[n] = (r["deadline_p99"] <= 1.0, r, run, m)
        return cache[n][0]

    best_rate = max(b / batch_time_s(b) for b in range(1, max_batch + 1))
    demand = workload.streams * workload.fps
    n0 = max(1, math.ceil(demand / best_rate))
    n = _smallest(meets, min(n0, workload.streams), hi_max=workload.streams)
    if n is None:
        _, r, run, m = cache[max(cache)]
        return SizingResult("vision", max(cache), 1, False, "deadline_p99",
                            {"deadline_p99": m.latency.p99_ms}, slo, m,
                            run.finish_s - run.arrival_s, {k: v[0] for k, v in cache.items()},
                            note="even one stream per GPU misses the deadline",
                            load_share=min(1.0, demand / max(cache) / best_rate))
    _, r, run, m = cache[n]
    return SizingResult("vision", n, 1, True, "deadline_p99", {"deadline_p99": m.latency.p99_ms},
                        slo, m, run.finish_s - run.arrival_s,
                        {k: v[0] for k, v in sorted(cache.items())},
                        load_share=min(1.0, demand / n / best_rate))


# ---------------------------------------------------------------------------------------------
# replaceable stages (docs/design.md: each stage of the chain is replaceable by name)

SizingFn = Callable[..., SizingResult]

LLM_SIZING: Registry[SizingFn] = Registry(
    "llm_sizing", "fn(deployment, workload: LLMWorkload, seed: int = 0, duration_s: float = "
    "300.0) -> SizingResult")
"""LLM replica sizing by name (the scenario's ``stages.llm_sizing``); the built-in is
:func:`size_llm_replicas` (smallest count whose simulated p99 meets the SLOs). ``deployment`` is
an :class:`flatbed.perf.llm.LLMDeployment`."""
LLM_SIZING.register(BUILTIN)(size_llm_replicas)

VISION_SIZING: Registry[SizingFn] = Registry(
    "vision_sizing", "fn(batch_time_s: Callable[[int], float], workload: VisionWorkload, "
    "max_batch: int = 8, seed: int = 0) -> SizingResult")
"""Vision replica sizing by name (``stages.vision_sizing``); the built-in is
:func:`size_vision_replicas`."""
VISION_SIZING.register(BUILTIN)(size_vision_replicas)
