"""Replica sizing: the count meets the SLO, one fewer does not, and whole-cluster simulations
agree with the representative-replica shortcut."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from flatbed.scenario import LLMWorkload, TokenDist, VisionWorkload
from flatbed.serving.arrivals import poisson_arrivals_s, stream_arrivals_s, with_tokens
from flatbed.serving.engine import simulate_llm, simulate_vision
from flatbed.serving.metrics import llm_metrics, vision_metrics
from flatbed.serving.scheduling import DynamicBatcherConfig
from flatbed.serving.sizing import (
    _smallest,
    default_queue_delay_s,
    size_llm_replicas,
    size_vision_replicas,
)


@dataclass(frozen=True)
class StandIn:
    """A small stand-in deployment: affine iteration time and a fixed KV cache."""

    kv_capacity_tokens: int = 150_000
    gpus: int = 1

    def iteration_time_s(self, p: float, d: float, c: float) -> float:
        return 0.006 + 6e-5 * p + 5e-5 * d + 3e-8 * c


def workload(rate: float, ttft_ms: float = 800.0, tpot_ms: float = 40.0) -> LLMWorkload:
    return LLMWorkload(id="w", model="m", peak_requests_per_s=rate, ttft_p99_ms=ttft_ms,
                       tpot_p99_ms=tpot_ms, input_tokens=TokenDist(mean=800),
                       output_tokens=TokenDist(mean=200))


def test_smallest_finds_threshold_from_any_guess() -> None:
    for true in (1, 2, 7, 50, 333):
        for guess in (1, 5, 40, 1000):
            calls: list[int] = []

            def meets(n: int, t: int = true, c: list[int] = calls) -> bool:
                c.append(n)
                return n >= t

            assert _smallest(meets, guess) == true
            assert len(calls) < 25
    assert _smallest(lambda n: False, 3, hi_max=64) is None


def test_llm_sizing_threshold_and_whole_cluster_check() -> None:
    dep = StandIn()
    w = workload(60.0)
    res = size_llm_replicas(dep, w, seed=3, duration_s=120.0)
    assert res.meets_slo and res.replicas >= 2
    assert res.evaluated[res.replicas] is True
    assert res.evaluated.get(res.replicas - 1) is False
    assert res.binding_slo in ("ttft_p99", "tpot_p99")
    assert res.p99_ms[res.binding_slo] <= res.slo_ms[res.binding_slo]
    # independent check: simulate the whole cluster (all replicas, Poisson stream, other seed)
    rng = np.random.default_rng(99)
    req = with_tokens(poisson_arrivals_s(60.0, 200.0, rng), w.input_tokens, w.output_tokens, rng)

    def p99(n: int) -> tuple[float, float]:
        m = llm_metrics(simulate_llm(req, dep.iteration_time_s, dep.kv_capacity_tokens,
                                     replicas=n), warmup_s=20.0, window_end_s=200.0)
        return m.ttft.p99_ms, m.tpot.p99_ms

    ok = p99(res.replicas)
    bad = p99(res.replicas - 1)
    assert ok[0] <= 1.1 * w.ttft_p99_ms and ok[1] <= 1.1 * w.tpot_p99_ms
    assert bad[0] > 0.9 * w.ttft_p99_ms or bad[1] > 0.9 * w.tpot_p99_ms


def test_llm_sizing_grows_with_load_and_is_deterministic() -> None:
    dep = StandIn()
    counts = [size_llm_replicas(dep, workload(r), seed=1).replicas for r in (5, 40, 160)]
    assert counts[0] <= counts[1] <= counts[2] and counts[2] > counts[0]
    a = size_llm_replicas(dep, workload(40), seed=1)
    b = size_llm_replicas(dep, workload(40), seed=1)
    assert a.replicas == b.replicas and a.p99_ms == b.p99_ms


def test_llm_sizing_reports_infeasible_slo() -> None:
    # a lone 800-token prompt takes ~54 ms: a 20 ms TTFT SLO is impossible at any count
    res = size_llm_replicas(StandIn(), workload(10.0, ttft_ms=20.0), seed=0)
    assert not res.meets_slo and res.binding_slo == "ttft_p99"
    # a TPOT SLO below one decode step (6 ms) too
    res = size_llm_replicas(StandIn(), workload(10.0, tpot_ms=5.0), seed=0)
    assert not res.meets_slo and res.binding_slo == "tpot_p99"


def vwork(streams: int, deadline_ms: float = 30.0) -> VisionWorkload:
    return VisionWorkload(id="v", model="yolo", streams=streams, fps=30.0,
                          deadline_p99_ms=deadline_ms)


def bt(b: int) -> float:
    return 0.004 + 0.001 * b  # 8 frames in 12 ms → 667 fps per GPU


def test_vision_sizing_threshold_and_whole_cluster_check() -> None:
    w = vwork(100)  # 3,000 fps
    res = size_vision_replicas(bt, w, max_batch=8, seed=2)
    assert res.meets_slo and res.replicas >= 5  # capacity bound 3000/667 = 4.5
    assert res.evaluated.get(res.replicas - 1) is False
    cfg = DynamicBatcherConfig(8, default_queue_delay_s(0.030))
    rng = np.random.default_rng(5)
    arr, sid = stream_arrivals_s(100, 30.0, 20.0, rng)
    ok = vision_metrics(simulate_vision(arr, bt, res.replicas, cfg, sid, "stream"),
                        warmup_s=2.0)
    assert ok.latency.p99_ms <= 1.1 * 30.0


def test_vision_sizing_infeasible_deadline() -> None:
    res = size_vision_replicas(bt, vwork(10, deadline_ms=4.0), seed=0)
    assert not res.meets_slo


@pytest.mark.parametrize("streams", [1, 7, 64])
def test_vision_sizing_never_exceeds_streams(streams: int) -> None:
    res = size_vision_replicas(bt, vwork(streams), seed=0)
    assert 1 <= res.replicas <= streams


def test_load_share_is_a_fraction_that_grows_with_load() -> None:
    dep = StandIn()
    lo = size_llm_replicas(dep, workload(2.0), seed=1)
    hi = size_llm_replicas(dep, workload(8.0), seed=1)
    assert lo.replicas == hi.replicas == 1
    assert 0.0 < lo.load_share < hi.load_share <= 1.0
    v = size_vision_replicas(bt, vwork(20), seed=0)
    assert 0.0 < v.load_share <= 1.0
