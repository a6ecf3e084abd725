"""Structure added in the third refinement round: roofline per kernel class (GEMMs vs
attention), the unmixed engine's first-wave TPOT, and the rule that excludes serving rows whose
weights cannot fit the recorded GPUs."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator, ModelArch
from flatbed.perf.llm import DEFAULT_COEFFICIENTS, EngineCoefficients, LLMDeployment
from flatbed.perf.serving_sample import DOES_NOT_FIT, predict_serving_row, weights_exceed_memory

CAT = builtin_catalog()
H100 = CAT.get("accelerators", "h100_sxm", Accelerator)
H200 = CAT.get("accelerators", "h200_sxm", Accelerator)
L8B = CAT.get("models", "Llama-3.1-8B", ModelArch)
BARE = EngineCoefficients(
    eta_gemm=1.0, eta_attn=1.0, eta_mem=1.0, eta_kv=1.0, t_iter_s=0.0, t_layer_s=0.0,
    t_moe_layer_s=0.0, t_seq_s=0.0, t_ttft_s=0.0, wave_weight=0.0, m_half=1e-9,
)


def test_decode_kv_reads_do_not_hide_under_a_compute_bound_prefill() -> None:
    """Mixed iteration = 8k-token prefill chunk + 256 decodes at 8k context each: the decode
    attention kernel streams 256·8192 tokens of KV (Llama-3.1-8B BF16: 128 KiB per token, ~275 GB)
    after the GEMMs, so adding the context adds (most of) that streaming time."""
    d = LLMDeployment(arch=L8B, accel=H100, coefficients=BARE)
    seqs, ctx = 256, 8192
    without = d.iteration_time_s(8192, seqs, 0.0)
    with_ctx = d.iteration_time_s(8192, seqs, seqs * ctx)
    kv_bytes = seqs * ctx * L8B.layers * 2 * L8B.kv_heads * L8B.head_dim * 2.0  # K+V, BF16
    t_kv = kv_bytes / (H100.memory_bandwidth_tb_per_s * 1e12)
    # the prefill GEMMs alone are compute bound and longer than the KV stream...
    assert without > t_kv
    # ...yet the KV stream still adds its time (less the part that overlaps the prefill's own
    # attention compute in the same kernel class, ~18 ms here); one roofline over the whole
    # iteration would have hidden it under the GEMMs entirely
    assert with_ctx - without > 0.75 * t_kv


def test_pure_decode_and_pure_prefill_keep_the_single_roofline() -> None:
    """Separate rooflines change nothing when one kernel class dominates: small-batch decode
    is weight streaming, long prefill is GEMM compute."""
    d = LLMDeployment(arch=L8B, accel=H100, coefficients=BARE)
    # every weight is read once per iteration, except the input embedding table (gathered)
    w_bytes = d.weight_bytes_per_gpu() - L8B.vocab_size * L8B.hidden_size * 2.0
    t_dec = d.decode_step_time_s(1, 16)
    assert t_dec == pytest.approx(w_bytes / (H100.memory_bandwidth_tb_per_s * 1e12), rel=0.05)
    # all parameters but the embedding table and LM head (logits for the last token only)
    flops = 2 * 8192 * (L8B.active_params_b * 1e9 - 2 * L8B.vocab_size * L8B.hidden_size)
    t_pf = d.iteration_time_s(8192, 0, 0, prefill_pairs=0.0)
    assert t_pf == pytest.approx(flops / (H100.peak_dense_tflops["bf16"] * 1e12), rel=0.03)


def test_unmixed_engine_wave_share_decodes_at_pure_decode_tpot() -> None:
    """SGLang (unmixed) keeps the first wave together: with every request in the wave
    (wave_weight 1) TPOT is exactly the pure-decode iteration; with none, the steady phase's
    TPOT with prompt iterations stalling decodes is longer."""
    base = DEFAULT_COEFFICIENTS["sglang"]
    assert not base.mixed_batches
    c, isl, osl = 64, 2048, 128
    all_wave = LLMDeployment(arch=L8B, accel=H100, precision="fp8", engine="sglang",
                             coefficients=replace(base, wave_weight=1.0))
    no_wave = all_wave.with_coefficients(replace(base, wave_weight=0.0))
    st1 = all_wave.steady_state(c, isl, osl)
    st0 = no_wave.steady_state(c, isl, osl)
    assert st1.tpot_s == pytest.approx(st1.decode_iteration_s, rel=1e-9)
    assert st0.tpot_s > 1.2 * st1.tpot_s
    # a mixed engine's TPOT does not depend on the wave weight
    mixed = replace(DEFAULT_COEFFICIENTS["vllm"])
    a = LLMDeployment(arch=L8B, accel=H100, engine="vllm",
                      coefficients=replace(mixed, wave_weight=1.0)).steady_state(c, isl, osl)
    b = LLMDeployment(arch=L8B, accel=H100, engine="vllm",
                      coefficients=replace(mixed, wave_weight=0.0)).steady_state(c, isl, osl)
    assert a.tpot_s == pytest.approx(b.tpot_s, rel=1e-12)


ROW = {
    "backend": "vllm", "backend_version": "0.12.0", "model_path": "Qwen/Qwen3-235B-A22B-FP8",
    "system": "h200_sxm", "precision": "fp8", "mode": "agg", "isl": "1000", "osl": "100",
    "batch_size": "8", "tp_size": "1", "pp_size": "1", "attention_dp_size": "",
    "moe_ep_size": "1", "silicon_ttft_ms": "357", "silicon_tpot_ms": "54.9",
}


def test_rows_whose_weights_exceed_the_recorded_gpus_are_excluded_with_the_reason() -> None:
    """Qwen3-235B in FP8 is ~235 GB of weights: it cannot run at tp 1 on one 141 GB H200
    (a real serving-sample row records that); at tp 2 it fits and is predicted."""
    with pytest.raises(LookupError, match="exceed the recorded GPUs' memory"):
        predict_serving_row(ROW, CAT)
    p = predict_serving_row({**ROW, "tp_size": "2"}, CAT)
    assert p.ttft_ms > 0 and p.tpot_ms > 0
    qwen = CAT.get("models", "Qwen3-235B-A22B", ModelArch)
    one = LLMDeployment(arch=qwen, accel=H200, precision="fp8", tp=1)
    two = LLMDeployment(arch=qwen, accel=H200, precision="fp8", tp=2)
    assert weights_exceed_memory(one) and not weights_exceed_memory(two)
    assert one.weight_bytes_per_gpu() > 220e9  # ~235B parameters at 1 byte


def test_validate_reports_the_excluded_rows(tmp_path: Path) -> None:
    from flatbed.validate import validate_file

    cols = ["id", "silicon_data_source", *ROW]
    path = tmp_path / "serving.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerow({"id": "x", "silicon_data_source": "s", **ROW})
        w.writerow({"id": "y", "silicon_data_source": "s", **ROW, "tp_size": "2"})
    rep = validate_file(path)
    assert rep.skipped_by_reason() == {DOES_NOT_FIT: 1}
    assert rep.rows_predicted == 1


def test_expert_weight_streaming_runs_at_the_moe_kernel_efficiency() -> None:
    """Small-batch MoE decode streams the touched experts' weights: halving eta_moe_mem
    doubles the expert part of the weight-read time and leaves dense models untouched."""
    qwen = CAT.get("models", "Qwen3-235B-A22B", ModelArch)
    full = replace(BARE, eta_moe_mem=1.0)
    half = replace(BARE, eta_moe_mem=0.5)
    d1 = LLMDeployment(arch=qwen, accel=H200, precision="fp8", tp=4, coefficients=full)
    d2 = d1.with_coefficients(half)
    t1, t2 = d1.decode_step_time_s(1, 16), d2.decode_step_time_s(1, 16)
    # one token touches 8 of 128 experts in each of 94 layers: 94·8·3·4096·1536 values at
    # 1 byte, over 4 GPUs
    expert_bytes = 94 * 8 * 3 * 4096 * 1536 / 4
    bw = H200.memory_bandwidth_tb_per_s * 1e12
    assert t2 - t1 == pytest.approx(expert_bytes / bw, rel=0.1)
    dense1 = LLMDeployment(arch=L8B, accel=H100, coefficients=full)
    assert dense1.with_coefficients(half).decode_step_time_s(1, 16) == pytest.approx(
        dense1.decode_step_time_s(1, 16), rel=1e-12)
