"""The network between the client and the server: on-site LAN and the round trip to a cloud region.

Sources (research notes ``/work/shared/docs/research/catalog_facts.md`` §7):

- Light in single-mode fibre: 4.897 µs/km one way at 1550 nm (R57, mapyourtech.com), so a fibre
  route of d km has a propagation RTT of 2 × 4.897e-3 × d ms.
- Route inflation: fibre paths run ~1.5–2× the geodesic distance [est, §7 "Facility-to-cloud
  RTT"]; default 1.5 when the user gives a geodesic distance. London–NY: ~70 ms physical floor,
  ~80 ms measured (R60) — the measured/physical ratio (≈1.14) is the extra routing/queueing
  delay a live path adds on top of propagation.
- On-site LAN RTT: ``Site.lan_rtt_ms`` (default 0.5 ms) — switch hops are ≤ 0.1 ms each [est,
  §7].
- No cloud RTT or distance given: 40 ms, the middle of the 20–80 ms facility-to-cloud range
  the notes give as an estimate [est, §7].

Jitter model [est, documented here, not fitted to a measurement]: each request's RTT is the base
RTT plus an exponential queueing delay of mean ``JITTER_FRACTION`` × base + ``JITTER_FLOOR_MS``
(an exponential tail is the queueing delay of a lightly loaded M/M/1-like path). With 7% the
median RTT is ~5% over the base and the p99 (ln 100 ≈ 4.6 × mean) ~32% over it — the same order
as the ~14% gap between the London–NY propagation floor and its typical measurement (R60).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from flatbed.scenario import Site

FloatArray = NDArray[np.float64]

FIBRE_US_PER_KM = 4.897
"""One-way propagation delay in single-mode fibre [µs/km] (R57)."""
ROUTE_INFLATION = 1.5
"""Fibre path length / geodesic distance [-] (low end of the 1.5–2× estimate, §7)."""
DEFAULT_CLOUD_RTT_MS = 40.0
"""Site→cloud RTT when the scenario gives neither RTT nor distance [ms] [est: the geometric
middle of the 20–80 ms range in research notes §7]."""
JITTER_FRACTION = 0.07
"""Mean exponential queueing jitter as a share of the base RTT [-] [est]."""
JITTER_FLOOR_MS = 0.02
"""Mean jitter added on every path (switch/NIC queueing) [ms] [est]."""


def fibre_rtt_ms(distance_km: float | FloatArray,
                 route_inflation: float = ROUTE_INFLATION) -> float | FloatArray:
    """Propagation round trip over fibre [ms]: 2 × 4.897 µs/km × distance × inflation."""
    return 2.0 * FIBRE_US_PER_KM * 1e-3 * np.asarray(distance_km) * route_inflation


def cloud_rtt_ms(site: Site, route_inflation: float = ROUTE_INFLATION) -> tuple[float, str]:
    """Base site→cloud-region RTT [ms] and where it came from."""
    if site.cloud_rtt_ms is not None:
        return float(site.cloud_rtt_ms), "scenario: sites[].cloud_rtt_ms"
    if site.cloud_distance_km is not None:
        rtt = float(fibre_rtt_ms(site.cloud_distance_km, route_inflation))
        return rtt, (f"fibre: {site.cloud_distance_km:g} km × 4.897 µs/km × 2 × "
                     f"{route_inflation:g} route inflation")
    return DEFAULT_CLOUD_RTT_MS, ("estimate: 40 ms (geometric middle of the 20–80 ms "
                                  "facility-to-cloud range)")


def rtt_samples_ms(base_ms: float, n: int, rng: np.random.Generator,
                   jitter_fraction: float = JITTER_FRACTION,
                   floor_ms: float = JITTER_FLOOR_MS) -> FloatArray:
    """``n`` round trips: base plus exponential jitter of mean fraction × base + floor [ms]."""
    mean = jitter_fraction * base_ms + floor_ms
    return np.asarray(base_ms + rng.exponential(mean, n), dtype=np.float64)


def rtt_quantile_ms(base_ms: float, q: float, jitter_fraction: float = JITTER_FRACTION,
                    floor_ms: float = JITTER_FLOOR_MS) -> float:
    """Closed-form quantile of :func:`rtt_samples_ms` (base − mean·ln(1 − q)) [ms]."""
    return base_ms - (jitter_fraction * base_ms + floor_ms) * math.log(1.0 - q)


@dataclass(frozen=True)
class EdgeCloudLatency:
    """End-to-end latency of the same server-side latencies behind two network paths [ms]."""

    edge_p50_ms: float
    edge_p99_ms: float
    cloud_p50_ms: float
    cloud_p99_ms: float
    lan_rtt_ms: float
    cloud_rtt_ms: float
    cloud_rtt_source: str


def edge_vs_cloud(server_latency_s: FloatArray, site: Site, rng: np.random.Generator,
                  ) -> EdgeCloudLatency:
    """Add one LAN round trip (edge) or one cloud round trip (cloud) to each request's
    server-side latency and take p50/p99.

    The cloud server is assumed to serve the request as fast as the edge replica does (same
    accelerator class), so the difference is the network path only.
    """
    lat = np.asarray(server_latency_s, dtype=np.float64)
    lat = lat[np.isfinite(lat)] * 1e3
    n = int(lat.size)
    crtt, src = cloud_rtt_ms(site)
    if n == 0:
        return EdgeCloudLatency(math.nan, math.nan, math.nan, math.nan, site.lan_rtt_ms, crtt,
                                src)
    edge = lat + rtt_samples_ms(site.lan_rtt_ms, n, rng)
    cloud = lat + rtt_samples_ms(crtt, n, rng)
    pe = np.percentile(edge, [50.0, 99.0])
    pc = np.percentile(cloud, [50.0, 99.0])
    return EdgeCloudLatency(float(pe[0]), float(pe[1]), float(pc[0]), float(pc[1]),
                            site.lan_rtt_ms, crtt, src)
