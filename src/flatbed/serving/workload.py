"""One workload end to end: size its replicas, simulate the whole cluster at the peak hour, and
put edge and cloud latency side by side. This is what ``flatbed simulate`` and the plan chain
call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flatbed.catalog import Catalog
from flatbed.errors import InputError
from flatbed.plan.result import Latency
from flatbed.scenario import LLMWorkload, Site, Stages, VisionWorkload
from flatbed.serving.arrivals import poisson_arrivals_s, stream_arrivals_s, with_tokens
from flatbed.serving.engine import kv_capacity_of, simulate_llm, simulate_vision
from flatbed.serving.metrics import LLMMetrics, VisionMetrics, llm_metrics, vision_metrics
from flatbed.serving.network import EdgeCloudLatency, edge_vs_cloud
from flatbed.serving.scheduling import DynamicBatcherConfig, Routing
from flatbed.serving.sizing import (
    LLM_SIZING,
    VISION_SIZING,
    SizingResult,
    default_accelerator,
    default_queue_delay_s,
    deployment_for,
    scheduler_config_for,
)

MAX_SIM_REQUESTS = 200_000
"""Cap on requests in one whole-cluster run (the duration is shortened to fit)."""


@dataclass(frozen=True)
class WorkloadSimulation:
    """Sizing and whole-cluster peak-hour simulation of one workload."""

    workload: str
    kind: str
    accelerator: str
    sizing: SizingResult
    metrics: LLMMetrics | VisionMetrics
    network: EdgeCloudLatency
    duration_s: float
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def replicas(self) -> int:
        return self.sizing.replicas

    @property
    def gpus(self) -> int:
        return self.sizing.gpus

    def latency(self) -> Latency:
        """The plan's ``latency`` object (``sites[].workloads[].latency``)."""
        m = self.metrics
        n = self.network
        return Latency(
            edge_p50_ms=_r(n.edge_p50_ms), edge_p99_ms=_r(n.edge_p99_ms),
            cloud_p50_ms=_r(n.cloud_p50_ms), cloud_p99_ms=_r(n.cloud_p99_ms),
            ttft_p99_ms=_r(m.ttft.p99_ms) if isinstance(m, LLMMetrics) else None,
            tpot_p99_ms=_r(m.tpot.p99_ms) if isinstance(m, LLMMetrics) else None,
            goodput=_r(m.goodput, 4), utilization=_r(m.utilization, 4),
            binding_slo=self.sizing.binding_slo,
        )

    @property
    def simulated_meets_slo(self) -> bool:
        """Whether the whole-cluster run itself met every SLO at p99 (the sizing verdict comes
        from the representative-replica runs; near the threshold the two can differ by the
        sampling noise of a p99)."""
        m = self.metrics
        slo = self.sizing.slo_ms
        if isinstance(m, LLMMetrics):
            return bool(m.ttft.p99_ms <= slo.get("ttft_p99", math.inf)
                        and m.tpot.p99_ms <= slo.get("tpot_p99", math.inf)
                        and m.finished >= 0.995 * m.requests)
        return bool(m.latency.p99_ms <= slo.get("deadline_p99", math.inf))

    def to_dict(self) -> dict[str, Any]:
        s = self.sizing
        return {
            "workload": self.workload, "kind": self.kind, "accelerator": self.accelerator,
            "replicas": s.replicas, "gpus_per_replica": s.gpus_per_replica, "gpus": s.gpus,
            "meets_slo": s.meets_slo, "simulated_meets_slo": self.simulated_meets_slo,
            "binding_slo": s.binding_slo, "load_share": s.load_share,
            "sizing_p99_ms": s.p99_ms, "slo_ms": s.slo_ms, "sizing_note": s.note,
            "metrics": self.metrics.to_dict(), "latency": self.latency().model_dump(),
            "cloud_rtt_ms": self.network.cloud_rtt_ms,
            "cloud_rtt_source": self.network.cloud_rtt_source,
            "lan_rtt_ms": self.network.lan_rtt_ms,
            "duration_s": self.duration_s, "seed": self.seed, **self.extra,
        }


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd) if math.isfinite(x) else float("nan")


def simulate_workload(workload: LLMWorkload | VisionWorkload, site: Site, catalog: Catalog,
                      seed: int = 0, duration_s: float = 600.0,
                      accelerator_id: str | None = None, routing: Routing = "round_robin",
                      deployment: Any = None, stages: Stages | None = None
                      ) -> WorkloadSimulation:
    """Size ``workload`` on ``accelerator_id`` (default: :func:`default_accelerator`), then
    simulate all its replicas for ``duration_s`` of the peak hour and add the network paths.

    Raises :class:`InputError` when the catalog lacks the model/accelerator, and
    ``ImportError`` when the needed performance model is not installed. ``stages`` picks the
    sizing functions (the scenario's ``stages:``; default the built-in ones).
    """
    stages = stages or Stages()
    accel = accelerator_id or default_accelerator(workload)
    dep = deployment if deployment is not None else deployment_for(workload, accel, catalog)
    rng = np.random.default_rng(seed)
    if isinstance(workload, LLMWorkload):
        size = LLM_SIZING.get(stages.llm_sizing)(dep, workload, seed=seed)
        n = max(size.replicas, 1)
        dur = min(duration_s, MAX_SIM_REQUESTS / workload.peak_requests_per_s)
        req = with_tokens(poisson_arrivals_s(workload.peak_requests_per_s, dur, rng),
                          workload.input_tokens, workload.output_tokens, rng)
        if len(req) == 0:
            raise InputError(f"workload {workload.id!r}: no request arrives in {dur:g} s at "
                             f"{workload.peak_requests_per_s:g}/s; use a longer --duration")
        run = simulate_llm(req, dep.iteration_time_s, kv_capacity_of(dep), replicas=n,
                           routing=routing, config=scheduler_config_for(dep))
        m: LLMMetrics | VisionMetrics = llm_metrics(
            run, workload.ttft_p99_ms / 1e3, workload.tpot_p99_ms / 1e3,
            warmup_s=0.1 * dur, window_end_s=dur)
        server = run.finish_s - run.arrival_s
        server = server[run.arrival_s >= 0.1 * dur]
    else:
        bt = dep.batch_time_s
        size = VISION_SIZING.get(stages.vision_sizing)(bt, workload, max_batch=dep.max_batch,
                                                       seed=seed)
        n = max(size.replicas, 1)
        dur = min(duration_s, MAX_SIM_REQUESTS * 10 / (workload.streams * workload.fps))
        arr, sid = stream_arrivals_s(workload.streams, workload.fps, dur, rng)
        cfg = DynamicBatcherConfig(dep.max_batch,
                                   default_queue_delay_s(workload.deadline_p99_ms / 1e3))
        vrun = simulate_vision(arr, bt, n, cfg, sid, "stream")
        m = vision_metrics(vrun, workload.deadline_p99_ms / 1e3, warmup_s=0.1 * dur,
                           window_end_s=dur)
        server = (vrun.finish_s - vrun.arrival_s)[vrun.arrival_s >= 0.1 * dur]
    net = edge_vs_cloud(server, site, rng)
    return WorkloadSimulation(workload.id, workload.kind, accel, size, m, net, dur, seed)
