"""Accelerator and server power versus load and phase, and throughput under a power cap.

GPU board power is ``P = P_idle + (P_tdp − P_idle)·u·a_phase`` for utilization ``u`` and a phase
activity ``a`` (compute-bound work such as prefill, CNN and encoder batches runs at the board
limit; memory-bound decode draws less). Splitwise (Patel et al., ISCA 2024, §3.4 and Fig. 7)
measured on DGX-H100 that the prompt phase draws close to TDP while the token phase draws well
below it and loses little throughput under a power cap; POLCA (Patel et al., ASPLOS 2024,
arXiv:2308.12908, Fig. 4) reports the same for inference power capping.

The throughput-versus-cap curve uses dynamic voltage-frequency scaling: dynamic power scales
as a power ``k`` of the core clock (``P ∝ f·V²``; ``k = 3`` while voltage tracks the clock,
Weste & Harris, *CMOS VLSI Design*, 4th ed., §5.2, falling towards 1 as the voltage reaches its
floor), compute-bound time scales with ``1/f`` and memory-bound time barely depends on the core
clock. ``k`` (:data:`CLOCK_POWER_EXPONENT`) is fitted to MLPerf MaxQ/MaxP pairs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from flatbed.catalog.records import Accelerator, Server

IDLE_FRACTION = 0.12
"""GPU idle power as a fraction of TDP [-]. Estimate: an H200 idled at 79 W of 700 W (0.114;
``benchmarks/device/h200_phase_power_2026-11-26.json``, NVML); H100 SXM boards are commonly
reported at 70–90 W and A100 SXM at 50–60 W of 400 W. (The MLPerf Power ``spl.txt`` logs cited
here before are whole-system analyzer logs, not per-GPU readings.)"""

PHASE_ACTIVITY: dict[str, float] = {
    "compute": 1.0,
    "prefill": 1.0,
    "mixed": 0.85,  # estimate: midway between prefill (1.0) and decode (0.7)
    "decode": 0.7,
    "memory": 0.7,
    "idle": 0.0,
}
"""Fraction of the dynamic range a fully busy GPU draws in each phase [-]. Compute-bound phases
run at the board limit; memory-bound decode about 0.7 (Splitwise, Patel et al. ISCA 2024, Fig. 7:
token phase at roughly 60–75% of TDP on H100); "mixed" is the continuous-batching blend.
Measured bounds on an H200 (``benchmarks/device/h200_phase_power_2026-11-26.json``): a
device-to-device copy draws 0.65 of the idle-to-GEMM range and a decode-like GEMV 0.91, both at
full clock, while a sustained GEMM sits at the 700 W limit with the clock at 0.68–0.74. Whole
served decode steps draw less: 137–300 W of 700 W on an H200 (0.09–0.36 of the range; Ma et al.,
"The Illusion of Power Capping in LLM Decode", arXiv:2605.11999, 2026), so 0.7 is the
conservative end. (The facility stage does not use these: it counts a busy GPU at its TDP in
every phase, :func:`flatbed.facility.thermal.simulate_year`.)"""

CLOCK_POWER_EXPONENT = 1.5
"""Exponent ``k`` of dynamic GPU power versus core clock, ``P_dyn ∝ f^k``, over the capping range
[-]. Fitted to the 16 MLPerf Inference v3.0 Offline pairs of the same 8× A100-PCIe or 8×
H100-PCIe system run as MaxQ (GPU power limited; the cap is :data:`flatbed.perf.mlperf.
MAXQ_CAP_FRACTION`, fitted on system power alone) and without a limit
(``tests/data/validation/mlperf_results.csv``): measured MaxQ/MaxP throughput 0.69–0.87. With
``k = 3`` (voltage tracking the clock) the model was 12.7 % optimistic at the median; ``k = 1.5``
leaves −0.9 % (median |error| 4.8 %; −4.3 % on the A100 pairs, +0.2 % on the H100 pairs; fitted
on the A100 pairs alone, 1.7–1.8, which leaves +3.6–4.7 % on the H100 pairs). GPUs near 60 % of
TDP run close to their minimum voltage, where power falls about linearly with the clock."""

MIN_CLOCK_FRACTION = 345.0 / 1980.0
"""Lowest core clock reachable under a cap, as a fraction of the maximum [-]: Hopper boards idle
at 345 of 1980 MHz (measured on an H200, ``benchmarks/device/h200_phase_power_2026-11-26.json``;
the same 345 MHz floor in AWS's nvidia-smi output for P5e, awslabs/amazon-eks-ami PR #1985).
Re-checked 2026-11-26; 0.35 (690 MHz) was used before, without a source that showed it. At the
settable minimum power limit (200 of 700 W) the clock law gives 0.33, so the floor rarely binds."""


def gpu_power_w(
    accel: Accelerator,
    utilization: float | npt.NDArray[np.float64],
    phase: str = "mixed",
) -> float | npt.NDArray[np.float64]:
    """Board power of one accelerator [W].

    Parameters
    ----------
    accel
        Catalog record (``tdp_w``).
    utilization
        Busy fraction [-], 0–1 (scalar or array).
    phase
        Key of :data:`PHASE_ACTIVITY` ("compute"/"prefill", "mixed", "decode"/"memory", "idle").
    """
    try:
        a = PHASE_ACTIVITY[phase]
    except KeyError:
        raise ValueError(
            f"unknown phase {phase!r}; expected one of {sorted(PHASE_ACTIVITY)}"
        ) from None
    u = np.clip(np.asarray(utilization, dtype=float), 0.0, 1.0)
    idle = IDLE_FRACTION * accel.tdp_w
    p = idle + (accel.tdp_w - idle) * u * a
    return float(p) if np.ndim(p) == 0 else p


def server_power_kw(
    server: Server,
    accel: Accelerator,
    utilization: float | npt.NDArray[np.float64],
    phase: str = "mixed",
) -> float | npt.NDArray[np.float64]:
    """Wall power of one server [kW]: its idle power plus each GPU's rise above idle, capped at
    the nameplate maximum.

    ``server.idle_power_kw`` already holds the GPUs at idle, CPUs, fans and NICs.
    """
    rise = np.asarray(gpu_power_w(accel, utilization, phase)) - IDLE_FRACTION * accel.tdp_w
    p = np.minimum(server.idle_power_kw + server.accelerator_count * rise / 1e3,
                   server.max_power_kw)
    return float(p) if np.ndim(p) == 0 else p


def clock_fraction_at_power(
    power_fraction: float | npt.NDArray[np.float64],
    demand_fraction: float = 1.0,
) -> float | npt.NDArray[np.float64]:
    """Core clock fraction that holds board power at ``power_fraction`` of TDP [-].

    ``demand_fraction`` is the power the work would draw at full clock, as a fraction of TDP.
    With static power ``s = IDLE_FRACTION`` and dynamic power ∝ f^k
    (``k =`` :data:`CLOCK_POWER_EXPONENT`): ``f = ((cap − s)/(demand − s))^(1/k)``, clipped to
    [MIN_CLOCK_FRACTION, 1].
    """
    s = IDLE_FRACTION
    cap = np.asarray(power_fraction, dtype=float)
    d = max(demand_fraction, s + 1e-9)
    f = np.clip((cap - s) / (d - s), 0.0, None) ** (1.0 / CLOCK_POWER_EXPONENT)
    out = np.clip(f, MIN_CLOCK_FRACTION, 1.0)
    return float(out) if np.ndim(out) == 0 else out


def cap_time_factors(
    cap_fraction: float | npt.NDArray[np.float64],
) -> tuple[float | npt.NDArray[np.float64], float | npt.NDArray[np.float64]]:
    """How much longer compute-bound and memory-bound work takes under a power cap [-].

    Compute-bound work draws the full TDP at full clock, so its time stretches by ``1/f_c``
    with ``f_c`` from :func:`clock_fraction_at_power`. Memory-bound work draws
    ``PHASE_ACTIVITY['memory']`` of the dynamic range and only slows once the cap forces the
    clock below what keeps the memory system busy; its time is taken to stretch by
    ``1/sqrt(f_m)`` (half the sensitivity of the clock deficit) — a labelled estimate, in line
    with Splitwise's (Patel et al., ISCA 2024, Fig. 7) observation that the token phase loses
    little throughput under a cap.

    Returns
    -------
    (compute_factor, memory_factor), each ≥ 1 (scalars or arrays like ``cap_fraction``).
    """
    s = IDLE_FRACTION
    d_mem = s + (1 - s) * PHASE_ACTIVITY["memory"]
    f_c = np.asarray(clock_fraction_at_power(cap_fraction, 1.0))
    f_m = np.asarray(clock_fraction_at_power(cap_fraction, d_mem))
    a, b = 1.0 / f_c, 1.0 / np.sqrt(f_m)
    if np.ndim(a) == 0:
        return float(a), float(b)
    return a, b


def throughput_fraction_at_power_cap(
    cap_fraction: float | npt.NDArray[np.float64],
    memory_bound_fraction: float = 0.5,
) -> float | npt.NDArray[np.float64]:
    """Throughput relative to uncapped when GPU power is capped at ``cap_fraction`` of TDP [-].

    The work is split by time into a compute-bound share and a memory-bound share
    ``memory_bound_fraction``; capped time is ``(1−m)·a + m·b`` with the stretch factors
    ``a``, ``b`` of :func:`cap_time_factors`.

    Parameters
    ----------
    cap_fraction
        Power limit as a fraction of TDP [-] (scalar or array).
    memory_bound_fraction
        Share of uncapped time that is memory-bound [-], 0 (prefill) … 1 (small-batch decode).
    """
    m = float(np.clip(memory_bound_fraction, 0.0, 1.0))
    a, b = cap_time_factors(cap_fraction)
    out = 1.0 / ((1 - m) * np.asarray(a) + m * np.asarray(b))
    return float(out) if np.ndim(out) == 0 else out
