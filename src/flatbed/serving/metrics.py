"""Serving metrics: latency percentiles, throughput, goodput, utilization, KV occupancy, and a
Little's-law check.

Definitions (as in vLLM's ``benchmark_serving.py`` and MLPerf LoadGen):

- TTFT: first token time − arrival [s].
- TPOT: (finish − first token) / (output tokens − 1) [s/token]; requests of one output token
  have no TPOT (excluded from TPOT percentiles).
- End-to-end latency: finish − arrival [s].
- Queueing delay: first scheduled − arrival − fixed frontend delay [s].
- Goodput: share of *measured* requests that finished and met every SLO ("SLO attainment";
  Zhong et al., "DistServe", OSDI 2024). Unfinished or rejected requests count as misses.
- Utilization: busy time / (replicas × wall time of the measured window).
- Percentiles are the linear-interpolation sample quantiles (``numpy.percentile`` default).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from flatbed.serving.engine import LLMRun, VisionRun

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Percentiles:
    """p50/p90/p99 and mean of one latency [ms]."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float

    @staticmethod
    def of_s(x_s: FloatArray) -> Percentiles:
        x = np.asarray(x_s, dtype=np.float64)
        x = x[np.isfinite(x)]
        if x.size == 0:
            return Percentiles(math.nan, math.nan, math.nan, math.nan)
        p = np.percentile(x, [50.0, 90.0, 99.0]) * 1e3
        return Percentiles(float(p[0]), float(p[1]), float(p[2]), float(x.mean() * 1e3))


@dataclass(frozen=True)
class LLMMetrics:
    requests: int
    finished: int
    ttft: Percentiles
    tpot: Percentiles
    e2e: Percentiles
    queueing: Percentiles
    requests_per_s: float
    output_tokens_per_s: float
    goodput: float
    utilization: float
    kv_occupancy: float
    """Mean share of the KV cache in use while the replicas run."""
    mean_decode_batch: float
    preempted_share: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class VisionMetrics:
    frames: int
    latency: Percentiles
    queueing: Percentiles
    frames_per_s: float
    goodput: float
    utilization: float
    mean_batch: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def llm_metrics(run: LLMRun, ttft_slo_s: float = math.inf, tpot_slo_s: float = math.inf,
                warmup_s: float = 0.0, window_end_s: float | None = None) -> LLMMetrics:
    """Metrics over requests arriving in [``warmup_s``, ``window_end_s``).

    Latencies come from the measured requests; throughput counts completions inside the window
    per second of window; utilization and KV occupancy are whole-run averages.
    """
    end = run.end_s if window_end_s is None else window_end_s
    a = run.arrival_s
    sel = (a >= warmup_s) & (a < end)
    ttft = run.first_token_s[sel] - a[sel]
    e2e = run.finish_s[sel] - a[sel]
    outn = run.output_tokens[sel]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(outn > 1, (run.finish_s[sel] - run.first_token_s[sel]) / (outn - 1),
                        np.nan)
    queue = run.admit_s[sel] - a[sel] - run.frontend_s
    done = np.isfinite(e2e)
    ok = done & (ttft <= ttft_slo_s) & ~(tpot > tpot_slo_s)
    window = max(end - warmup_s, 1e-12)
    fin = run.finish_s
    in_win = np.isfinite(fin) & (fin >= warmup_s) & (fin < end)
    nsel = int(sel.sum())
    span = max(run.end_s, 1e-12) * run.replicas
    return LLMMetrics(
        requests=nsel,
        finished=int(done.sum()),
        ttft=Percentiles.of_s(ttft),
        tpot=Percentiles.of_s(tpot),
        e2e=Percentiles.of_s(e2e),
        queueing=Percentiles.of_s(queue),
        requests_per_s=float(in_win.sum() / window),
        output_tokens_per_s=float(run.output_tokens[in_win].sum() / window),
        goodput=float(ok.sum() / nsel) if nsel else math.nan,
        utilization=float(run.busy_s / span),
        kv_occupancy=float(run.kv_token_s / (span * run.kv_capacity_tokens)),
        mean_decode_batch=float(run.batch_seq_s / max(run.busy_s, 1e-12)),
        preempted_share=float((run.preemptions[sel] > 0).mean()) if nsel else 0.0,
    )


def vision_metrics(run: VisionRun, deadline_s: float = math.inf, warmup_s: float = 0.0,
                   window_end_s: float | None = None) -> VisionMetrics:
    """Frame latency (finish − arrival) percentiles, throughput and deadline attainment."""
    end = run.end_s if window_end_s is None else window_end_s
    a = run.arrival_s
    sel = (a >= warmup_s) & (a < end)
    lat = run.finish_s[sel] - a[sel]
    n = int(sel.sum())
    window = max(end - warmup_s, 1e-12)
    return VisionMetrics(
        frames=n,
        latency=Percentiles.of_s(lat),
        queueing=Percentiles.of_s(run.start_s[sel] - a[sel]),
        frames_per_s=float(n / window),
        goodput=float((lat <= deadline_s).mean()) if n else math.nan,
        utilization=float(run.busy_s / (max(run.end_s, 1e-12) * run.replicas)),
        mean_batch=float(run.batch[sel].mean()) if n else math.nan,
    )


@dataclass(frozen=True)
class LittleCheck:
    """Little's law L = λW over a window: both sides computed independently."""

    l_time_avg: float
    """Time-average number in system, integrated from the arrival/departure step function."""
    lambda_w: float
    """Arrival rate in the window × mean time in system of those arrivals."""

    @property
    def rel_error(self) -> float:
        return abs(self.l_time_avg - self.lambda_w) / max(self.lambda_w, 1e-300)


def littles_law(arrival_s: FloatArray, departure_s: FloatArray, t0_s: float,
                t1_s: float) -> LittleCheck:
    """Check Little's law (Little, Operations Research 9 (1961) 383) on the window [t0, t1].

    L is the integral of N(t) = #arrivals ≤ t − #departures ≤ t over the window divided by its
    length, from the sorted event times (a step-function integral, no use of sojourn times).
    λW uses the customers that arrive in the window: (count / length) × mean(departure −
    arrival). They agree up to edge effects that vanish as the window grows; customers that
    never depart (NaN) are treated as still in the system at the end.
    """
    a = np.asarray(arrival_s, dtype=np.float64)
    d = np.asarray(departure_s, dtype=np.float64)
    d = np.where(np.isfinite(d), d, np.inf)
    length = t1_s - t0_s
    # N(t) just after t0: arrived before and not yet departed
    n0 = int(np.sum((a <= t0_s) & (d > t0_s)))
    ea = np.clip(a[(a > t0_s) & (a < t1_s)], t0_s, t1_s)
    ed = np.clip(d[(d > t0_s) & (d < t1_s)], t0_s, t1_s)
    times = np.concatenate((ea, ed))
    steps = np.concatenate((np.ones(ea.size), -np.ones(ed.size)))
    order = np.argsort(times, kind="stable")
    times, steps = times[order], steps[order]
    levels = n0 + np.cumsum(steps)
    edges = np.concatenate((times, [t1_s]))
    area = n0 * (edges[0] - t0_s) + float(np.sum(levels * np.diff(edges)))
    inside = (a >= t0_s) & (a < t1_s)
    soj = d[inside] - a[inside]
    lam = inside.sum() / length
    w = float(soj.mean()) if soj.size else 0.0
    return LittleCheck(area / length, float(lam * w))
