"""LLM iteration model: closed forms, limits and the monotonicity physics demands."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator, ModelArch
from flatbed.perf.llm import (
    ACTIVATION_RESERVE_GB,
    DEFAULT_COEFFICIENTS,
    MEMORY_UTILIZATION,
    EngineCoefficients,
    LLMDeployment,
    experts_touched_fraction,
)

CAT = builtin_catalog()
H100 = CAT.get("accelerators", "h100_sxm", Accelerator)
H200 = CAT.get("accelerators", "h200_sxm", Accelerator)
B200 = CAT.get("accelerators", "b200_sxm", Accelerator)
L8B = CAT.get("models", "Llama-3.1-8B", ModelArch)
L70B = CAT.get("models", "Llama-3.1-70B", ModelArch)
DSR1 = CAT.get("models", "DeepSeek-R1", ModelArch)
QWEN_MOE = CAT.get("models", "Qwen3-235B-A22B", ModelArch)

# pure roofline: no overheads, hard max (sharp), so closed forms apply
BARE = EngineCoefficients(
    eta_gemm=1.0, eta_attn=1.0, eta_mem=1.0, eta_kv=1.0, t_iter_s=0.0, t_layer_s=0.0,
    t_moe_layer_s=0.0, t_seq_s=0.0, t_ttft_s=0.0, wave_weight=0.0,
)


def dep(arch: ModelArch = L8B, accel: Accelerator = H100, **kw: object) -> LLMDeployment:
    return LLMDeployment(arch=arch, accel=accel, **kw)  # type: ignore[arg-type]


def test_experts_touched_matches_monte_carlo() -> None:
    rng = random.Random(7)
    experts, k, tokens = 64, 4, 20
    trials = 4000
    hit = 0
    for _ in range(trials):
        touched: set[int] = set()
        for _t in range(tokens):
            touched.update(rng.sample(range(experts), k))
        hit += len(touched)
    mc = hit / trials / experts
    # uniform routing without replacement per token: P(miss) = (1 - k/E)^T exactly
    assert experts_touched_fraction(tokens, experts, k) == pytest.approx(mc, abs=0.01)
    assert experts_touched_fraction(0, experts, k) == 0.0
    assert experts_touched_fraction(1, experts, k) == pytest.approx(k / experts)
    assert experts_touched_fraction(10_000, experts, k) == pytest.approx(1.0)


def test_decode_small_batch_is_weight_streaming() -> None:
    """Batch-1 decode of a dense model ≈ (weights + LM head) / bandwidth on a bare roofline."""
    d = dep(precision="bf16", coefficients=BARE)
    t = d.decode_step_time_s(1, 1.0)
    arch = L8B
    hd = arch.head_dim
    h = arch.hidden_size
    attn = h * hd * (arch.heads + 2 * arch.kv_heads) + arch.heads * hd * h
    ffn = 3 * arch.hidden_size * arch.ffn_size
    weights = arch.layers * (attn + ffn) * 2 + arch.vocab_size * arch.hidden_size * 2
    t_bw = weights / (H100.memory_bandwidth_tb_per_s * 1e12)
    # the smooth roofline adds at most 2^(1/4)-1 = 19% where compute equals memory; at batch 1
    # compute is ~1000x smaller, so the two agree closely
    assert t == pytest.approx(t_bw, rel=0.01)


def test_large_prefill_is_compute_bound() -> None:
    d = dep(precision="fp8", coefficients=BARE)
    n = 16384
    t = d.prefill_time_s(n)
    flops = 2 * L8B.active_params_b * 1e9 * n  # includes embeddings: upper bound of the matmuls
    t_c = flops / (H100.peak_dense_tflops["fp8"] * 1e12)
    assert 0.7 * t_c < t < 2.0 * t_c  # plus attention (n²) at bf16


def test_kv_capacity_closed_form() -> None:
    d = dep(precision="bf16")
    kv_per_token = L8B.layers * 2 * L8B.kv_heads * L8B.head_dim * 2  # 131,072 B
    assert kv_per_token == 131072
    usable = (H100.memory_gb * MEMORY_UTILIZATION - ACTIVATION_RESERVE_GB) * 1e9
    free = usable - d.weight_bytes_per_gpu()
    assert d.kv_capacity_tokens() == int(free / kv_per_token)
    # a bf16 8B model: 16 GB of weights, ~400k tokens of KV on 80 GB
    assert 350_000 < d.kv_capacity_tokens() < 450_000


def test_mla_kv_is_latent_and_replicated() -> None:
    """DeepSeek MLA caches kv_lora_rank + rope dims per layer, not split by TP."""
    d8 = dep(DSR1, H200, precision="fp8", tp=8)
    per_token = d8._kv_bytes_per_token_gpu  # noqa: SLF001 - checking the documented formula
    assert per_token == DSR1.layers * (DSR1.kv_lora_rank + DSR1.qk_rope_head_dim) * 2
    assert per_token == 61 * 576 * 2


def test_gpus_property_and_validation() -> None:
    assert dep(tp=4, pp=2).gpus == 8
    assert dep(DSR1, H200, tp=1, dp_attention=8, ep=8, precision="fp8").gpus == 8
    with pytest.raises(ValueError):
        dep(tp=0)
    with pytest.raises(ValueError):
        dep(precision="fp7")
    with pytest.raises(ValueError):
        dep().iteration_time_s(-1, 1, 1)
    with pytest.raises(ValueError):
        dep().steady_state(0, 100, 100)


def test_gqa_kv_replicated_beyond_kv_heads() -> None:
    """With tp > kv_heads each GPU still holds one KV head per layer."""
    d8 = dep(L70B, H100, precision="fp8", tp=8)
    d16 = dep(L70B, H100, precision="fp8", tp=16)
    assert d8._kv_bytes_per_token_gpu == d16._kv_bytes_per_token_gpu  # noqa: SLF001


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 512),
    ctx=st.integers(16, 32768),
    bw_scale=st.floats(1.01, 4.0),
)
def test_more_bandwidth_never_slower_decode(batch: int, ctx: int, bw_scale: float) -> None:
    bw = H100.memory_bandwidth_tb_per_s * bw_scale
    fast = H100.model_copy(update={"memory_bandwidth_tb_per_s": bw})
    for arch in (L8B, QWEN_MOE):
        prec = "fp8"
        slow_t = dep(arch, H100, precision=prec, tp=4).decode_step_time_s(batch, ctx)
        fast_t = dep(arch, fast, precision=prec, tp=4).decode_step_time_s(batch, ctx)
        assert fast_t <= slow_t


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 256), ctx=st.integers(1, 16000), extra=st.integers(1, 16000))
def test_longer_context_never_faster(batch: int, ctx: int, extra: int) -> None:
    for arch in (L8B, DSR1):
        d = dep(arch, H200, precision="fp8", tp=8)
        assert d.decode_step_time_s(batch, ctx + extra) >= d.decode_step_time_s(batch, ctx)


@pytest.mark.parametrize("isl,osl", [(1024, 1024), (8192, 1024), (128, 4096)])
def test_longer_prompt_never_faster_steady_state(isl: int, osl: int) -> None:
    d = dep(L70B, H200, precision="fp8", tp=4, engine="trtllm")
    for c in (1, 8, 64):
        a = d.steady_state(c, isl, osl)
        b = d.steady_state(c, isl * 2, osl)
        assert b.tpot_s >= a.tpot_s
        assert b.ttft_s >= a.ttft_s


def test_more_gpus_never_less_capacity() -> None:
    caps = [dep(L70B, H100, precision="fp8", tp=tp).kv_capacity_tokens() for tp in (1, 2, 4, 8)]
    assert caps == sorted(caps)
    assert caps[0] < caps[-1]
    moe = [dep(DSR1, H200, precision="fp8", tp=8, ep=ep).kv_capacity_tokens() for ep in (1, 8)]
    assert moe[1] >= moe[0]
    dp = [dep(DSR1, H200, precision="fp8", tp=1, dp_attention=a, ep=a).kv_capacity_tokens()
          for a in (8, 16)]
    assert dp[1] >= dp[0]


def test_more_concurrency_more_throughput_until_saturation() -> None:
    d = dep(L8B, H100, precision="bf16", engine="vllm")
    tps = [d.steady_state(c, 1024, 512).output_tokens_per_s for c in (1, 4, 16, 64)]
    assert tps == sorted(tps)
    tpots = [d.steady_state(c, 1024, 512).tpot_s for c in (1, 4, 16, 64, 256)]
    assert tpots == sorted(tpots)


def test_littles_law_holds() -> None:
    d = dep(L8B, H100, precision="bf16", engine="trtllm")
    s = d.steady_state(32, 2048, 256)
    # requests/s × lifetime of the steady phase = concurrency; TTFT mixes in the first wave so
    # use the decode part plus a TTFT bounded by the reported one
    life = 32 / s.requests_per_s
    assert life > 255 * s.tpot_s
    assert s.output_tokens_per_s == pytest.approx(s.requests_per_s * 256)


def test_blackwell_faster_than_hopper_from_datasheet() -> None:
    h = dep(L70B, H200, precision="fp8", tp=4, engine="vllm").steady_state(32, 1024, 1024)
    b = dep(L70B, B200, precision="fp8", tp=4, engine="vllm").steady_state(32, 1024, 1024)
    assert b.tpot_s < h.tpot_s
    assert b.output_tokens_per_s > h.output_tokens_per_s


def test_engine_coefficients_physical() -> None:
    """Shipped coefficients stay in physical ranges (the count is part of the contract)."""
    from flatbed.perf.calibration import FITTED

    # 15 named coefficients per engine, 45 in all (eta_moe_mem added in the third round):
    # restructure rather than add
    assert len(DEFAULT_COEFFICIENTS) * len(FITTED) <= 45
    for c in DEFAULT_COEFFICIENTS.values():
        assert 0.05 <= c.eta_moe <= 1.0 and 0.05 <= c.eta_moe_mem <= 1.0
    for c in DEFAULT_COEFFICIENTS.values():
        for eta in (c.eta_gemm, c.eta_attn, c.eta_mem, c.eta_kv):
            assert 0.05 <= eta <= 0.95
        assert 0 <= c.wave_weight <= 1
        assert c.t_iter_s < 0.02 and c.t_ttft_s < 0.5
        assert math.isfinite(c.t_layer_s)


def test_prompt_load_is_the_arrival_theorem_utilisation() -> None:
    d = dep(L8B, H100, precision="bf16", engine="vllm")
    # one client never queues behind another's prompt
    assert d.steady_state(1, 2048, 128).prompt_load == 0.0
    # more clients, more prompt load (mixed regime, below saturation)
    loads = [d.steady_state(c, 2048, 128).prompt_load for c in (2, 8, 32)]
    assert loads == sorted(loads) and 0.0 < loads[0] < loads[-1] < 1.0
    # read back from the reported request rate: rate × (C−1)/C × one prompt's iteration (the
    # load uses the lifetime without TTFT's waits, so it is a little higher)
    s = d.steady_state(8, 2048, 128)
    t_pf = d.iteration_time_s(2048.0, 0.0, 0.0, 2048.0 * 1024.0, 1.0)
    ratio = s.prompt_load / (s.requests_per_s * 7 / 8 * t_pf)
    assert 1.0 <= ratio < 1.1
    # every iteration carries prompt tokens: the prompt-bound regime reports 1
    assert d.steady_state(512, 4000, 2).prompt_load == 1.0
