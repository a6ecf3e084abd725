"""Vision dynamic batching and the network model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flatbed.scenario import Site
from flatbed.serving.arrivals import poisson_arrivals_n, stream_arrivals_s
from flatbed.serving.engine import dynamic_batching, simulate_vision
from flatbed.serving.metrics import littles_law, vision_metrics
from flatbed.serving.network import (
    cloud_rtt_ms,
    edge_vs_cloud,
    fibre_rtt_ms,
    rtt_quantile_ms,
    rtt_samples_ms,
)
from flatbed.serving.scheduling import DynamicBatcherConfig


def bt(b: int) -> float:
    """Stand-in batch latency: 2 ms + 0.5 ms per frame."""
    return 0.002 + 0.0005 * b


def test_batch_waits_for_delay_or_fills() -> None:
    cfg = DynamicBatcherConfig(max_batch=4, max_queue_delay_s=0.001)
    arr = np.array([0.0, 0.0001, 0.0002, 0.0003, 0.1])
    start, finish, size, busy = dynamic_batching(arr, bt, cfg)
    # the first four fill a batch at 0.3 ms; the lone fifth waits the 1 ms delay
    np.testing.assert_allclose(start, [0.0003] * 4 + [0.101])
    np.testing.assert_allclose(finish, [0.0003 + bt(4)] * 4 + [0.101 + bt(1)])
    np.testing.assert_array_equal(size, [4, 4, 4, 4, 1])
    assert busy == pytest.approx(bt(4) + bt(1))


def test_busy_server_takes_what_is_waiting() -> None:
    cfg = DynamicBatcherConfig(max_batch=8, max_queue_delay_s=0.0)
    arr = np.array([0.0, 0.001, 0.002, 0.003])
    start, finish, size, _ = dynamic_batching(arr, bt, cfg)
    # frame 0 alone at t=0 (busy until 2.5 ms); frames 1,2 wait and go together at 2.5 ms
    assert start[0] == 0.0 and size[0] == 1
    assert start[1] == pytest.approx(bt(1)) and size[1] == 2
    assert start[3] == pytest.approx(bt(1) + bt(2))


def test_unbatched_vision_replica_is_md1() -> None:
    rng = np.random.default_rng(0)
    s, rho = 0.004, 0.8
    arr = poisson_arrivals_n(rho / s, 1_000_000, rng)
    run = simulate_vision(arr, lambda b: s, 1, DynamicBatcherConfig(1, 0.0))
    wait = float(np.mean(run.start_s - arr))
    assert wait == pytest.approx(rho * s / (2 * (1 - rho)), rel=0.03)  # Pollaczek–Khinchine


def test_saturated_throughput_is_full_batches() -> None:
    rng = np.random.default_rng(1)
    cfg = DynamicBatcherConfig(max_batch=8, max_queue_delay_s=0.001)
    arr = poisson_arrivals_n(10_000.0, 50_000, rng)  # far above 8 / 6 ms = 1,333 fps
    run = simulate_vision(arr, bt, 1, cfg)
    fps = arr.size / run.end_s
    assert fps == pytest.approx(8 / bt(8), rel=0.01)
    assert vision_metrics(run).mean_batch == pytest.approx(8, rel=0.01)


def test_vision_littles_law_and_routing() -> None:
    rng = np.random.default_rng(2)
    arr, sid = stream_arrivals_s(40, 30.0, 60.0, rng, jitter_s=0.002)
    cfg = DynamicBatcherConfig(max_batch=4, max_queue_delay_s=0.001)
    for routing in ("round_robin", "stream", "least_outstanding"):
        run = simulate_vision(arr, bt, 3, cfg, stream=sid, routing=routing)
        chk = littles_law(run.arrival_s, run.finish_s, 5.0, 55.0)
        assert chk.rel_error < 0.01
        assert set(run.replica.tolist()) == {0, 1, 2}
        assert np.all(run.finish_s - run.start_s >= bt(1) - 1e-12)
    one = vision_metrics(simulate_vision(arr, bt, 1, cfg))
    three = vision_metrics(simulate_vision(arr, bt, 3, cfg))
    assert three.latency.p99_ms <= one.latency.p99_ms
    assert one.utilization > three.utilization


def test_fibre_rtt() -> None:
    # 1,000 km: 4.897 ms one way, ×2, ×1.5 inflation
    assert fibre_rtt_ms(1000.0) == pytest.approx(2 * 4.897 * 1.5)
    assert fibre_rtt_ms(1000.0, 1.0) == pytest.approx(9.794)


def site(**kw: object) -> Site:
    base: dict[str, object] = dict(id="s", country="us", latitude=40, longitude=-90,
                                   climate="x")
    base.update(kw)
    return Site.model_validate(base)


def test_cloud_rtt_precedence() -> None:
    assert cloud_rtt_ms(site(cloud_rtt_ms=23.0))[0] == 23.0
    assert cloud_rtt_ms(site(cloud_distance_km=500.0))[0] == pytest.approx(2 * 4.897 * 0.75)
    rtt, src = cloud_rtt_ms(site())
    assert rtt == 40.0 and "estimate" in src


def test_jitter_quantiles_closed_form() -> None:
    rng = np.random.default_rng(3)
    x = rtt_samples_ms(30.0, 400_000, rng)
    for q in (0.5, 0.99):
        assert np.quantile(x, q) == pytest.approx(rtt_quantile_ms(30.0, q), rel=0.01)
    assert x.min() >= 30.0


def test_edge_vs_cloud_adds_the_path() -> None:
    rng = np.random.default_rng(4)
    server = np.full(10_000, 0.050)  # 50 ms server-side
    lat = edge_vs_cloud(server, site(cloud_rtt_ms=60.0, lan_rtt_ms=0.5), rng)
    assert lat.edge_p50_ms == pytest.approx(50.0 + rtt_quantile_ms(0.5, 0.5), rel=0.01)
    assert lat.cloud_p99_ms == pytest.approx(50.0 + rtt_quantile_ms(60.0, 0.99), rel=0.01)
    assert lat.cloud_p50_ms - lat.edge_p50_ms > 59.0
    assert not math.isnan(lat.edge_p99_ms)
