"""GPU/server power and the throughput-versus-power-cap curve."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator, Server
from flatbed.perf.power import (
    CLOCK_POWER_EXPONENT,
    IDLE_FRACTION,
    MIN_CLOCK_FRACTION,
    PHASE_ACTIVITY,
    clock_fraction_at_power,
    gpu_power_w,
    server_power_kw,
    throughput_fraction_at_power_cap,
)

CAT = builtin_catalog()
H100 = CAT.get("accelerators", "h100_sxm", Accelerator)
DGX = CAT.get("servers", "DGX-H100", Server)


def test_gpu_power_endpoints() -> None:
    assert gpu_power_w(H100, 0.0, "compute") == pytest.approx(IDLE_FRACTION * 700)
    assert gpu_power_w(H100, 1.0, "compute") == pytest.approx(700)
    dec = gpu_power_w(H100, 1.0, "decode")
    assert IDLE_FRACTION * 700 < dec < 700
    assert dec == pytest.approx(84 + (700 - 84) * PHASE_ACTIVITY["decode"])
    arr = gpu_power_w(H100, np.array([0.0, 0.5, 1.0, 2.0]), "compute")
    assert isinstance(arr, np.ndarray)
    assert np.all(np.diff(arr) >= 0) and arr[-1] == pytest.approx(700)  # clipped at u=1
    with pytest.raises(ValueError):
        gpu_power_w(H100, 1.0, "warp-drive")


def test_server_power_between_idle_and_nameplate() -> None:
    idle = server_power_kw(DGX, H100, 0.0)
    full = server_power_kw(DGX, H100, 1.0, "compute")
    assert idle == pytest.approx(DGX.idle_power_kw)
    assert DGX.idle_power_kw < full <= DGX.max_power_kw
    # 8 GPUs rising from idle to TDP add 8 × 616 W unless the nameplate caps it
    assert full == pytest.approx(min(DGX.idle_power_kw + 8 * 0.616, DGX.max_power_kw))


def test_clock_power_law() -> None:
    s = IDLE_FRACTION
    for cap in (0.5, 0.7, 0.9):
        f = clock_fraction_at_power(cap)
        # dynamic power at the capped clock is the cap's share above static power
        assert s + (1 - s) * f**CLOCK_POWER_EXPONENT == pytest.approx(cap)
        assert cap < f < 1.0
    assert clock_fraction_at_power(1.2) == 1.0
    assert clock_fraction_at_power(0.05) == MIN_CLOCK_FRACTION


def test_throughput_at_cap_monotone_and_bounded() -> None:
    caps = np.linspace(0.2, 1.0, 33)
    for m in (0.0, 0.5, 1.0):
        thr = np.asarray(throughput_fraction_at_power_cap(caps, m))
        assert np.all(np.diff(thr) >= -1e-12)
        assert thr[-1] == pytest.approx(1.0)
        assert np.all((thr > 0) & (thr <= 1.0 + 1e-12))


def test_memory_bound_loses_less_than_compute_bound() -> None:
    for cap in (0.4, 0.6, 0.8):
        compute = throughput_fraction_at_power_cap(cap, 0.0)
        decode = throughput_fraction_at_power_cap(cap, 1.0)
        assert decode > compute
    # compute-bound throughput at a cap equals the clock fraction (time ∝ 1/f)
    assert throughput_fraction_at_power_cap(0.6, 0.0) == pytest.approx(clock_fraction_at_power(0.6))
    # decode keeps full speed while the cap is above what it draws
    d_mem = IDLE_FRACTION + (1 - IDLE_FRACTION) * PHASE_ACTIVITY["memory"]
    assert throughput_fraction_at_power_cap(d_mem + 0.01, 1.0) == pytest.approx(1.0)


def test_capped_llm_deployment_slows_prefill_more_than_decode() -> None:
    from flatbed.perf.llm import LLMDeployment
    from flatbed.perf.power import cap_time_factors

    arch = CAT.get("models", "Llama-3.1-70B")
    deps = {cap: LLMDeployment(arch=arch, accel=H100, precision="fp8", kv_precision="fp8",
                               tp=4, power_cap_fraction=cap) for cap in (1.0, 0.8, 0.6, 0.4)}
    pre = {c: d.prefill_time_s(4096) for c, d in deps.items()}
    dec = {c: d.decode_step_time_s(32, 2048) for c, d in deps.items()}
    caps = sorted(deps, reverse=True)
    # a lower cap is never faster, in either phase
    assert all(pre[a] <= pre[b] and dec[a] <= dec[b] for a, b in itertools.pairwise(caps))
    # compute-bound prefill loses more than memory-bound decode (Splitwise, ISCA 2024, Fig. 7)
    assert pre[0.6] / pre[1.0] > dec[0.6] / dec[1.0] > 1.0
    # and neither stretches more than pure compute would at that cap
    assert pre[0.6] / pre[1.0] <= cap_time_factors(0.6)[0] + 1e-9
    with pytest.raises(ValueError):
        LLMDeployment(arch=arch, accel=H100, power_cap_fraction=0.0)


def test_cap_time_factors_bracket_the_throughput_curve() -> None:
    from flatbed.perf.power import cap_time_factors

    caps = np.linspace(0.3, 1.0, 8)
    a, b = cap_time_factors(caps)
    assert np.all(np.asarray(a) >= np.asarray(b)) and np.all(np.asarray(b) >= 1.0)
    assert cap_time_factors(1.0) == (1.0, 1.0)
    # purely compute-bound work runs at the capped clock (the power law's f)
    assert np.allclose(np.asarray(throughput_fraction_at_power_cap(caps, 0.0)),
                       np.asarray(clock_fraction_at_power(caps, 1.0)))
    # more memory-bound work keeps more of its throughput under the same cap
    lo, hi = (np.asarray(throughput_fraction_at_power_cap(caps, m)) for m in (0.2, 0.9))
    assert np.all(hi >= lo - 1e-12)


def test_cap_curve_reproduces_mlperf_maxq_pairs() -> None:
    """MaxQ (GPU power limited) vs unlimited runs of the same system: the measured throughput
    ratio against the model's at the MaxQ cap. The exponent was fitted to these pairs (see
    ``CLOCK_POWER_EXPONENT``); the cube law it replaced was 12.7 % optimistic on them."""
    import csv
    from pathlib import Path

    from flatbed.perf.mlperf import maxq_offline_pairs

    path = Path(__file__).resolve().parents[1] / "data" / "validation" / "mlperf_results.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    errs = [p.predicted_ratio / p.measured_ratio - 1.0 for p in maxq_offline_pairs(rows, CAT)]
    e = np.array(errs)
    assert len(e) >= 12
    assert abs(float(np.median(e))) <= 0.05
    assert float(np.median(np.abs(e))) <= 0.08
