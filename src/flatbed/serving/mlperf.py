"""Predict MLPerf Inference *Server* and *Interactive* results with the serving simulator.

The Server metric is the highest Poisson arrival rate at which the p99 latency stays within the
benchmark's bound — for LLMs the p99 TTFT *and* p99 TPOT bounds (``mlperf_notes.md``, "Metric
definitions"; bounds from ``loadgen/mlperf.conf`` / submission-checker ``constants.py`` as
tabulated there). We reproduce it the same way: simulate one replica under Poisson arrivals at
rate λ, bisect λ for the highest rate whose simulated p99s are within the bounds, and multiply by
the replicas the system holds (``accelerator_count // tensor_parallel``; LoadGen's load balancer
spreads queries over them).

- LLM benchmarks: iteration times from :class:`flatbed.perf.llm.LLMDeployment` (TensorRT-LLM
  coefficients for NVIDIA, vLLM for AMD, without the HTTP front-end delay ``t_ttft_s`` —
  LoadGen runs in-process on pre-tokenised samples; FP8
  weights and KV on Hopper and older, FP4 on Blackwell — the precisions the notes report
  submitters used). The value is *output* tokens/s
  (``mlperf_notes.md``: "LLM token metrics are output tokens/s").
- Other benchmarks (ResNet-50, RetinaNet, BERT, DLRM v1 and v2, SDXL): one dynamic-batching
  instance per accelerator with batch times from ``flatbed.perf.vision.batch_time_s`` when
  that module is available; queries/s.
- GPT-J (beam search, 4 beams, Server only): each query is four sequences arriving together,
  the bound is the 20 s p99 end-to-end latency (:data:`BEAM_SERVER`); tokens/s = queries/s × 69
  as LoadGen infers it. The engine's per-request host cost is paid once per query.
- Non-LLM Server batches are timed with ``flatbed.perf.vision.server_batch_time_s`` (batch time
  plus a fitted per-sample host cost of a Server run, one LoadGen query per sample).
- Rows the simulator cannot stand for return ``None``: RNN-T (retired, no model record),
  non-Server scenarios, unknown accelerators/models. DLRM v1 (``dlrm-99``, v3.0) is predicted
  with its own catalog record (``DLRM-v1``), not DLRM-v2's.

Token-length means and precisions are the performance model's (``flatbed.perf.mlperf``
``LLM_BENCHMARKS`` and ``mlperf_precision``: outputs from ``mlperf_notes.md``, inputs estimated
from the datasets' descriptions) so Offline and Server predictions share one set of assumptions.
Lengths are drawn lognormal (σ = 0.6, an estimate of the datasets' spread) and clipped at the
benchmark maxima in :data:`LLM_BOUNDS`. Rows repeated for the -99/-99.9 accuracy targets share one
simulation (cached).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from flatbed.catalog import Catalog, builtin_catalog
from flatbed.catalog.records import Accelerator, ModelArch, VisionModel
from flatbed.errors import InputError
from flatbed.perf.llm import DEFAULT_COEFFICIENTS, LLMDeployment
from flatbed.perf.mlperf import LLM_BENCHMARKS, mlperf_precision
from flatbed.perf.vision import server_batch_time_s
from flatbed.scenario import TokenDist
from flatbed.serving.arrivals import Requests, poisson_arrivals_n, sample_tokens
from flatbed.serving.engine import kv_capacity_of, simulate_llm, simulate_vision
from flatbed.serving.scheduling import DynamicBatcherConfig, LLMSchedulerConfig
from flatbed.serving.sizing import llm_capacity_per_s, scheduler_config_for


@dataclass(frozen=True)
class LLMBench:
    model: str
    input_mean: float
    input_max: int
    output_mean: float
    output_max: int
    server_ttft_s: float
    server_tpot_s: float
    interactive_ttft_s: float | None
    interactive_tpot_s: float | None


LLM_BOUNDS: dict[str, tuple[int, int, float, float, float | None, float | None]] = {
    # (input max, output max, Server TTFT, Server TPOT, Interactive TTFT, Interactive TPOT) [s];
    # /work/shared/validation/mlperf_notes.md, "Benchmark parameters" table
    "llama2-70b": (1024, 1024, 2.0, 0.200, 0.450, 0.040),
    "llama3.1-8b": (2048, 128, 2.0, 0.100, 0.5, 0.030),
    "llama3.1-405b": (20000, 2000, 6.0, 0.175, 4.5, 0.080),
    "mixtral-8x7b": (2048, 1024, 2.0, 0.200, None, None),
    "deepseek-r1": (4096, 20000, 2.0, 0.080, None, None),
}


BEAM_SERVER: dict[str, tuple[int, int, float]] = {
    # (input max, output max, Server end-to-end p99 bound [s]) of beam-search benchmarks:
    # mlperf_notes.md "Benchmark parameters" — GPT-J: beam 4, 30–128 new tokens, 20 s
    # end to end. Input max 1920 is an estimate: GPT-J's 2048-token context less the 128
    # new tokens.
    "gptj": (1920, 128, 20.0),
}


def beam_bench(name: str) -> tuple[LLMBench, int, float] | None:
    """(token parameters, beams, end-to-end bound [s]) of a beam-search Server benchmark."""
    if name not in BEAM_SERVER:
        return None

    pb = LLM_BENCHMARKS.get(name)
    if pb is None:
        return None
    imax, omax, e2e = BEAM_SERVER[name]
    inf = math.inf
    return (LLMBench(pb.model, float(pb.isl), imax, float(pb.osl), omax, inf, inf, None, None),
            int(getattr(pb, "beams", 1)), e2e)


def llm_bench(name: str) -> LLMBench | None:
    """Benchmark parameters: bounds from :data:`LLM_BOUNDS`, token means from flatbed.perf."""
    if name not in LLM_BOUNDS:
        return None

    pb = LLM_BENCHMARKS.get(name)
    if pb is None or getattr(pb, "beams", 1) != 1:
        return None
    imax, omax, st, sp, it, ip = LLM_BOUNDS[name]
    return LLMBench(pb.model, float(pb.isl), imax, float(pb.osl), omax, st, sp, it, ip)


OTHER_BOUNDS_S: dict[str, float] = {
    # Server p99 latency bounds, mlperf_notes.md benchmark table
    "resnet50": 0.015, "retinanet": 0.100, "bert": 0.130, "dlrm-v2": 0.060,
    "stable-diffusion-xl": 20.0,
    # DLRM v1 (``dlrm``, rounds up to v3.0): mlcommons/inference mlperf.conf
    # ``dlrm.Server.target_latency = 30`` [ms]; the catalog's DLRM-v1 record, not DLRM-v2
    "dlrm": 0.030,
}

REQUESTS_PER_EVAL = 2500
"""Simulated queries per load level (p99 from 2,500 samples: 25 in the tail)."""
BISECTION_STEPS = 8
"""Geometric halvings of a factor-2 rate bracket (2^(1/256) ≈ 0.3% resolution)."""
TOKEN_SIGMA = 0.6
"""Lognormal shape of dataset token lengths [est]."""


def _bisect_rate(ok: Callable[[float], bool], lo: float, hi: float) -> float:
    """Highest rate in [lo, hi] that passes ``ok`` (``ok(lo)`` holds, ``ok(hi)`` does not),
    bisected geometrically for ``BISECTION_STEPS`` steps."""
    for _ in range(BISECTION_STEPS):
        mid = math.sqrt(lo * hi)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _base_benchmark(name: str) -> str:
    n = name.strip().lower()
    for suffix in ("-99.9", "-99"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    return n.replace("-interactive", "")


def _blackwell(accel: Accelerator) -> bool:
    return accel.family.lower() == "blackwell"


def predict_server_row(row: dict[str, str], catalog: Catalog | None = None) -> float | None:
    """Predicted Server/Interactive metric of one ``mlperf_results.csv`` row, in the row's units
    (tokens/s for LLMs, queries/s otherwise), or ``None`` when the row is out of scope."""
    scenario = (row.get("scenario") or "").strip()
    units = (row.get("units") or "").strip()
    if scenario not in ("Server", "Interactive") or "measured" in units:
        return None
    cat = catalog or builtin_catalog()
    bench = _base_benchmark(row.get("benchmark") or "")
    try:
        count = int(float(row.get("accelerator_count") or "0"))
        accel = cat.get("accelerators", (row.get("accelerator") or "").strip(), Accelerator)
    except (ValueError, InputError):
        return None
    if count < 1:
        return None
    if bench in BEAM_SERVER and scenario == "Server":
        if units not in ("tokens/s", "queries/s", "samples/s"):
            return None
        try:
            bb = beam_bench(bench)
        except ImportError:
            return None
        if bb is None:
            return None
        key = (bench, "Server-beam", accel.id, count, id(cat))
        if key not in _LLM_CACHE:
            _LLM_CACHE[key] = _predict_beam_server(*bb, accel, count, cat)
        qps = _LLM_CACHE[key]
        if qps is None:
            return None
        # LoadGen's GPT-J tokens/s is queries/s × 69 (token_latency_scaling_factor)
        return qps * bb[0].output_mean if units == "tokens/s" else qps
    if bench in LLM_BOUNDS:
        if units != "tokens/s":
            return None
        try:
            b = llm_bench(bench)
        except ImportError:
            return None
        if b is None:
            return None
        per = _llm_rate_cached(bench, scenario, accel.id, count, cat)
        return per
    if bench in OTHER_BOUNDS_S and scenario == "Server":
        accuracy = "99.9" if (row.get("benchmark") or "").strip().endswith("-99.9") else "99"
        rate = _vision_rate_cached(bench, accuracy, accel.id, (row.get("round") or "").strip(),
                                   cat)
        return rate * count if rate else None
    return None


_LLM_CACHE: dict[tuple[str, str, str, int, int], float | None] = {}
_VISION_CACHE: dict[tuple[str, str, str, str, int], float | None] = {}


def _llm_rate_cached(bench: str, scenario: str, accel_id: str, count: int,
                     cat: Catalog) -> float | None:
    key = (bench, scenario, accel_id, count, id(cat))
    if key not in _LLM_CACHE:
        b = llm_bench(bench)
        accel = cat.get("accelerators", accel_id, Accelerator)
        _LLM_CACHE[key] = _predict_llm(b, scenario, accel, count, cat) if b else None
    return _LLM_CACHE[key]


def _vision_rate_cached(bench: str, accuracy: str, accel_id: str, round_: str,
                        cat: Catalog) -> float | None:
    key = (bench, accuracy, accel_id, round_, id(cat))
    if key not in _VISION_CACHE:
        accel = cat.get("accelerators", accel_id, Accelerator)
        _VISION_CACHE[key] = _predict_other(bench, accuracy, accel, round_, cat)
    return _VISION_CACHE[key]


def _llm_deployment(b: LLMBench, accel: Accelerator, count: int, cat: Catalog) -> Any:
    arch = cat.get("models", b.model, ModelArch)
    prec = "fp4" if _blackwell(accel) and "fp4" in accel.peak_dense_tflops else "fp8"
    if prec not in accel.peak_dense_tflops:
        prec = "bf16"
    engine = "vllm" if accel.vendor == "amd" else "trtllm"
    need = 64 * (b.input_mean + b.output_mean)
    dep = None
    for tp in (1, 2, 4, 8, 16, 32, 64, 72):
        if tp > count:
            break
        # LoadGen runs in-process on pre-tokenised samples: no HTTP front end, so the fixed
        # front-end delay t_ttft_s is dropped; per-sequence costs (t_seq_s) stay, since the SUT
        # still returns first tokens and completions per query
        coef = replace(DEFAULT_COEFFICIENTS[engine], t_ttft_s=0.0)
        dep = LLMDeployment(arch=arch, accel=accel, precision=prec, kv_precision="fp8", tp=tp,
                            engine=engine, coefficients=coef)
        if kv_capacity_of(dep) >= need:
            return dep
    return dep if dep is not None and kv_capacity_of(dep) > 0 else None


def _deployment_or_none(b: LLMBench, accel: Accelerator, count: int, cat: Catalog) -> Any:
    """:func:`_llm_deployment`, or ``None`` where the catalog or the memory rule has none."""
    try:
        return _llm_deployment(b, accel, count, cat)
    except (InputError, ValueError):
        return None


def _predict_llm(b: LLMBench, scenario: str, accel: Accelerator, count: int,
                 cat: Catalog) -> float | None:
    dep = _deployment_or_none(b, accel, count, cat)
    if dep is None:
        return None
    ttft_b, tpot_b = b.server_ttft_s, b.server_tpot_s
    if scenario == "Interactive":
        if b.interactive_ttft_s is None or b.interactive_tpot_s is None:
            return None
        ttft_b, tpot_b = b.interactive_ttft_s, b.interactive_tpot_s
    replicas = count // int(dep.gpus)
    cfg = scheduler_config_for(dep)
    guess = llm_capacity_per_s(dep.iteration_time_s, kv_capacity_of(dep), b.input_mean,
                               b.output_mean, cfg)
    rate = max_llm_rate_per_s(dep.iteration_time_s, kv_capacity_of(dep), cfg, b, ttft_b,
                              tpot_b, guess_per_s=guess)
    return rate * replicas * b.output_mean if rate is not None else None


def _predict_beam_server(b: LLMBench, beams: int, e2e_bound_s: float, accel: Accelerator,
                         count: int, cat: Catalog) -> float | None:
    """Highest Server query rate of the system [queries/s] for a beam-search benchmark: each
    query runs as ``beams`` sequences arriving together (the prompt prefilled once, the other
    beams decoding beside it), p99 end-to-end latency within ``e2e_bound_s``."""
    dep = _deployment_or_none(b, accel, count, cat)
    if dep is None:
        return None
    # a query is one request to the engine: its per-request host cost t_req_s is paid once and
    # shared by its beams, which the simulator sees as separate sequences (as the Offline
    # predictor, flatbed.perf.mlperf._llm_offline_tokens_per_s, does)
    dep = replace(dep, coefficients=replace(dep.coef, t_req_s=dep.coef.t_req_s / beams))
    replicas = count // int(dep.gpus)
    cfg = scheduler_config_for(dep)
    guess = llm_capacity_per_s(dep.iteration_time_s, kv_capacity_of(dep), b.input_mean,
                               b.output_mean, cfg) / beams
    rate = max_llm_rate_per_s(dep.iteration_time_s, kv_capacity_of(dep), cfg, b, math.inf,
                              math.inf, guess_per_s=guess, beams=beams,
                              e2e_bound_s=e2e_bound_s)
    return rate * replicas if rate is not None else None


@lru_cache(maxsize=8)
def _tokens(b: LLMBench, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    unit = poisson_arrivals_n(1.0, n, rng)
    inp = sample_tokens(TokenDist(mean=b.input_mean, sigma=TOKEN_SIGMA, max=b.input_max), n, rng)
    out = sample_tokens(TokenDist(mean=b.output_mean, sigma=TOKEN_SIGMA, max=b.output_max), n,
                        rng)
    return unit, inp, out


def max_llm_rate_per_s(iteration_time_s: Any, kv_capacity_tokens: int,
                       config: LLMSchedulerConfig, bench: LLMBench, ttft_bound_s: float,
                       tpot_bound_s: float, seed: int = 0,
                       guess_per_s: float = 1.0, beams: int = 1,
                       e2e_bound_s: float | None = None) -> float | None:
    """Highest Poisson rate [1/s] on one replica with simulated p99 TTFT and TPOT within bounds.

    The same unit-rate arrival pattern, scaled by 1/λ, is used at every λ (common random
    numbers), so the pass/fail outcome is a deterministic function of λ. With ``beams`` > 1
    each query is that many sequences arriving together (the rate is of queries), and
    ``e2e_bound_s`` adds a p99 end-to-end bound.
    """
    unit, inp, out = _tokens(bench, REQUESTS_PER_EVAL, seed)
    if beams > 1:
        # the prompt is prefilled once per query and its KV shared by the beams: one
        # sequence carries the prompt, the other beams join as one-token prompts that decode
        # alongside it
        unit, out = np.repeat(unit, beams), np.repeat(out, beams)
        inp = np.where(np.arange(unit.size) % beams == 0, np.repeat(inp, beams), 1)
    n_req = int(unit.size)

    def ok(lam: float) -> bool:
        req = Requests(unit / lam, inp, out)
        run = simulate_llm(req, iteration_time_s, kv_capacity_tokens, config=config)
        skip = n_req // 10
        ttft = (run.first_token_s - run.arrival_s)[skip:]
        done = np.isfinite(run.finish_s[skip:])
        if done.mean() < 0.995:
            return False
        if e2e_bound_s is not None:
            e2e = (run.finish_s - run.arrival_s)[skip:]
            if float(np.nanpercentile(e2e, 99)) > e2e_bound_s:
                return False
        n_out = run.output_tokens[skip:]
        tpot = np.where(n_out > 1, (run.finish_s - run.first_token_s)[skip:] /
                        np.maximum(n_out - 1, 1), np.nan)
        p_ttft = float(np.nanpercentile(ttft, 99))
        p_tpot = float(np.nanpercentile(tpot, 99))
        return p_ttft <= ttft_bound_s and p_tpot <= tpot_bound_s

    # bracket around the capacity guess (halve down / double up), then bisect geometrically
    hi = max(guess_per_s, 1e-3)
    if ok(hi):
        lo = hi
        hi = lo * 2.0
        while ok(hi):
            lo, hi = hi, hi * 2.0
            if hi > 1e7:
                return None
    else:
        lo = hi / 2.0
        while not ok(lo):
            hi, lo = lo, lo / 2.0
            if lo < guess_per_s * 1e-4:
                return None
    return _bisect_rate(ok, lo, hi)


def _predict_other(bench: str, accuracy: str, accel: Accelerator, round_: str,
                   cat: Catalog) -> float | None:
    """Highest per-accelerator Server rate of a non-LLM benchmark [queries/s]."""
    try:
        model = cat.get("vision_models", bench, VisionModel)
    except InputError:
        return None
    prec = mlperf_precision(bench, accuracy, accel, round_)
    bound = OTHER_BOUNDS_S[bench]

    def bt(b: int) -> float:
        # with the per-sample host cost of a Server run (one LoadGen query per sample)
        return float(server_batch_time_s(model, accel, b, prec))

    try:
        sizes = [mb for mb in VISION_MAX_BATCHES if bt(mb) < 0.5 * bound] or [1]
        return max_vision_rate_per_s(bt, sizes, bound)
    except (ValueError, TypeError, KeyError):
        return None


VISION_MAX_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
"""Max-batch settings tried per accelerator (the best is kept, as submitters tune theirs)."""
VISION_FRAMES = 6000


def max_vision_rate_per_s(batch_time_s: Any, max_batches: list[int], bound_s: float,
                          seed: int = 0) -> float | None:
    """Highest Poisson rate [1/s] at which one dynamic-batching instance, with the best of
    ``max_batches``, keeps the p99 latency within ``bound_s``."""
    unit = poisson_arrivals_n(1.0, VISION_FRAMES, np.random.default_rng(seed))
    skip = VISION_FRAMES // 10
    best_mb = [max(max_batches, key=lambda m: m / batch_time_s(m))]

    def ok_mb(lam: float, mb: int) -> bool:
        cfg = DynamicBatcherConfig(mb, min(0.002, 0.1 * bound_s))
        run = simulate_vision(unit / lam, batch_time_s, 1, cfg)
        return float(np.percentile((run.finish_s - run.arrival_s)[skip:], 99)) <= bound_s

    def ok(lam: float) -> bool:
        if ok_mb(lam, best_mb[0]):
            return True
        for mb in max_batches:
            if mb != best_mb[0] and ok_mb(lam, mb):
                best_mb[0] = mb
                return True
        return False

    top = float(max(m / batch_time_s(m) for m in max_batches))
    hi, lo = top, top / 2.0
    while not ok(lo):
        hi, lo = lo, lo / 2.0
        if lo < top * 1e-4:
            return None
    return _bisect_rate(ok, lo, hi)
