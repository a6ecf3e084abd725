"""LLM architectures: config.json shapes -> parameter counts, checked three ways.

1. ``model_from_hf_config`` on the config values reproduces the shapes stored in models.yaml.
2. Its parameter counts agree with the catalog's params_b / active_params_b.
3. Both agree, within ~3%, with the parameter counts the model publishers state (an independent
   reference), allowing for the stated counting conventions.
An independent closed-form counter (written here, not shared with the loader) cross-checks the
loader's arithmetic on the dense and MLA cases.
"""

from __future__ import annotations

from typing import Any

import pytest

from flatbed.catalog import ModelArch, builtin_catalog, model_from_hf_config

# Hugging Face config.json values (the fields that set the shapes).
CONFIGS: dict[str, dict[str, Any]] = {
    "Llama-3.1-8B": dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, head_dim=128, intermediate_size=14336,
                         vocab_size=128256, max_position_embeddings=131072),
    "Llama-3.1-70B": dict(hidden_size=8192, num_hidden_layers=80, num_attention_heads=64,
                          num_key_value_heads=8, head_dim=128, intermediate_size=28672,
                          vocab_size=128256, max_position_embeddings=131072),
    "Llama-3.1-405B": dict(hidden_size=16384, num_hidden_layers=126, num_attention_heads=128,
                           num_key_value_heads=8, head_dim=128, intermediate_size=53248,
                           vocab_size=128256, max_position_embeddings=131072),
    "Llama-2-70B": dict(hidden_size=8192, num_hidden_layers=80, num_attention_heads=64,
                        num_key_value_heads=8, intermediate_size=28672, vocab_size=32000,
                        max_position_embeddings=4096),
    "Qwen3-8B": dict(hidden_size=4096, num_hidden_layers=36, num_attention_heads=32,
                     num_key_value_heads=8, head_dim=128, intermediate_size=12288,
                     vocab_size=151936, max_position_embeddings=40960),
    "Qwen3-32B": dict(hidden_size=5120, num_hidden_layers=64, num_attention_heads=64,
                      num_key_value_heads=8, head_dim=128, intermediate_size=25600,
                      vocab_size=151936, max_position_embeddings=40960),
    "Qwen3-235B-A22B": dict(hidden_size=4096, num_hidden_layers=94, num_attention_heads=64,
                            num_key_value_heads=4, head_dim=128, intermediate_size=12288,
                            moe_intermediate_size=1536, num_local_experts=128,
                            num_experts_per_tok=8, vocab_size=151936,
                            max_position_embeddings=40960),
    "Mixtral-8x7B": dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, intermediate_size=14336, num_local_experts=8,
                         num_experts_per_tok=2, vocab_size=32000, max_position_embeddings=32768,
                         sliding_window=None),
    "gpt-oss-120b": dict(hidden_size=2880, num_hidden_layers=36, num_attention_heads=64,
                         num_key_value_heads=8, head_dim=64, intermediate_size=2880,
                         num_local_experts=128, experts_per_token=4, vocab_size=201088,
                         max_position_embeddings=131072, sliding_window=128),
    "DeepSeek-V3": dict(hidden_size=7168, num_hidden_layers=61, num_attention_heads=128,
                        num_key_value_heads=128, intermediate_size=18432,
                        moe_intermediate_size=2048, n_routed_experts=256, n_shared_experts=1,
                        num_experts_per_tok=8, first_k_dense_replace=3, kv_lora_rank=512,
                        q_lora_rank=1536, qk_rope_head_dim=64, qk_nope_head_dim=128,
                        v_head_dim=128, vocab_size=129280, max_position_embeddings=163840),
    "Kimi-K2.5": dict(hidden_size=7168, num_hidden_layers=61, num_attention_heads=64,
                      num_key_value_heads=64, intermediate_size=18432, moe_intermediate_size=2048,
                      n_routed_experts=384, n_shared_experts=1, num_experts_per_tok=8,
                      first_k_dense_replace=1, kv_lora_rank=512, q_lora_rank=1536,
                      qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
                      vocab_size=163840, max_position_embeddings=262144),
    "GLM-5": dict(hidden_size=6144, num_hidden_layers=78, num_attention_heads=64,
                  num_key_value_heads=64, head_dim=64, intermediate_size=12288,
                  moe_intermediate_size=2048, n_routed_experts=256, n_shared_experts=1,
                  num_experts_per_tok=8, first_k_dense_replace=3, kv_lora_rank=512,
                  q_lora_rank=2048, qk_rope_head_dim=64, qk_nope_head_dim=192, v_head_dim=256,
                  vocab_size=154880, max_position_embeddings=202752),
    "MiniMax-M2.5": dict(hidden_size=3072, num_hidden_layers=62, num_attention_heads=48,
                         num_key_value_heads=8, head_dim=128, intermediate_size=1536,
                         num_local_experts=256, num_experts_per_tok=8, vocab_size=200064,
                         max_position_embeddings=196608),
}
CONFIGS["DeepSeek-R1"] = CONFIGS["DeepSeek-V3"]

# Publisher-stated counts [billions]: (total, active, tolerance, embedding convention).
# "no_input_embed" = the publisher's active count excludes the input embedding table.
PUBLISHED: dict[str, tuple[float, float, float, str]] = {
    "Llama-3.1-8B": (8.03, 8.03, 0.03, ""),       # HF model card
    "Llama-3.1-70B": (70.6, 70.6, 0.03, ""),      # HF model card
    "Llama-3.1-405B": (405.0, 405.0, 0.03, ""),   # Llama 3.1 model card
    "Llama-2-70B": (68.98, 68.98, 0.03, ""),      # HF safetensors metadata
    "GPT-J-6B": (6.05, 6.05, 0.03, ""),           # EleutherAI model card
    "Qwen3-8B": (8.2, 8.2, 0.03, ""),             # Qwen3 model card
    "Qwen3-32B": (32.8, 32.8, 0.03, ""),          # Qwen3 model card
    "Qwen3-235B-A22B": (235.0, 22.0, 0.03, ""),   # Qwen3 model card
    "Qwen3.5-397B-A17B": (397.0, 17.0, 0.03, ""),  # Qwen3.5 model card
    "Mixtral-8x7B": (46.7, 12.9, 0.03, ""),       # Mistral AI announcement
    "gpt-oss-120b": (116.8, 5.13, 0.03, "no_input_embed"),  # OpenAI gpt-oss model card
    "DeepSeek-V3": (671.0, 37.0, 0.03, ""),       # DeepSeek-V3 report (MTP excluded)
    "DeepSeek-R1": (671.0, 37.0, 0.03, ""),
    "Kimi-K2.5": (1000.0, 32.0, 0.03, ""),        # Moonshot model card ("1T / 32B")
    "GLM-5": (744.0, 40.0, 0.03, ""),             # Z.ai announcement
    # MiniMax publishes rounded figures ("230B total, 10B active"); its active count also
    # excludes the input embedding, and "10B" is rounded from ~10.4B: 5% tolerance.
    "MiniMax-M2.5": (230.0, 10.0, 0.05, "no_input_embed"),
}


def _model(mid: str) -> ModelArch:
    return builtin_catalog().get("models", mid, ModelArch)


@pytest.mark.parametrize("mid", sorted(CONFIGS))
def test_config_reproduces_catalog_shapes_and_counts(mid: str) -> None:
    cfg = CONFIGS[mid]
    got = model_from_hf_config(cfg, mid, "test")
    rec = _model(mid)
    for field in ("layers", "hidden_size", "heads", "kv_heads", "head_dim", "ffn_size",
                  "vocab_size", "experts", "experts_per_token", "shared_experts",
                  "moe_ffn_size", "dense_layers", "kv_lora_rank", "q_lora_rank",
                  "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "max_context_tokens"):
        assert getattr(rec, field) == getattr(got, field), f"{mid}.{field}"
    assert rec.params_b == pytest.approx(got.params_b, rel=0.001)
    assert rec.active_params_b == pytest.approx(got.active_params_b, rel=0.001)


@pytest.mark.parametrize("mid", sorted(PUBLISHED))
def test_catalog_counts_match_published(mid: str) -> None:
    total, active, tol, convention = PUBLISHED[mid]
    rec = _model(mid)
    assert rec.params_b == pytest.approx(total, rel=tol)
    ours_active = rec.active_params_b
    if convention == "no_input_embed":
        ours_active -= rec.vocab_size * rec.hidden_size / 1e9
    assert ours_active == pytest.approx(active, rel=tol)
    assert rec.active_params_b <= rec.params_b


def _closed_form_dense(c: dict[str, Any]) -> float:
    """Independent count for a Llama-style dense model: GQA attention + SwiGLU + untied embeds."""
    d, n_layers, v = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    hd = c.get("head_dim") or d // c["num_attention_heads"]
    q = c["num_attention_heads"] * hd
    kv = c["num_key_value_heads"] * hd
    attention = d * q + 2 * d * kv + q * d
    ffn = 3 * d * c["intermediate_size"]
    return float(n_layers * (attention + ffn) + 2 * v * d) / 1e9


@pytest.mark.parametrize("mid", ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B",
                                 "Llama-2-70B", "Qwen3-32B"])
def test_loader_matches_independent_dense_count(mid: str) -> None:
    got = model_from_hf_config(CONFIGS[mid], mid, "test")
    assert got.params_b == pytest.approx(_closed_form_dense(CONFIGS[mid]), rel=1e-9)


def test_deepseek_v3_by_hand() -> None:
    """DeepSeek-V3 worked by hand from the report's shapes: MLA attention per layer is
    q_a (7168x1536) + q_b (1536 x 128 x 192) + kv_a (7168 x 576) + kv_b (512 x 128 x 256)
    + o (128 x 128 x 7168); 3 dense layers (3 x 7168 x 18432 each) and 58 MoE layers with
    257 experts of 3 x 7168 x 2048 (9 active) plus a 7168 x 256 router."""
    attn = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168
    expert = 3 * 7168 * 2048
    total = 61 * attn + 3 * 3 * 7168 * 18432 + 58 * (257 * expert + 7168 * 256)
    total += 2 * 129280 * 7168
    active = 61 * attn + 3 * 3 * 7168 * 18432 + 58 * (9 * expert + 7168 * 256) + 2 * 129280 * 7168
    rec = _model("DeepSeek-V3")
    assert rec.params_b == pytest.approx(total / 1e9, rel=1e-3)
    assert rec.active_params_b == pytest.approx(active / 1e9, rel=1e-3)
    assert rec.uses_mla and rec.is_moe


def test_gptj_is_non_gated_and_matches_closed_form() -> None:
    rec = _model("GPT-J-6B")
    assert rec.gated_ffn is False
    d, ff, n_layers, v = 4096, 16384, 28, 50400
    closed = (n_layers * (4 * d * d + 2 * d * ff) + 2 * v * d) / 1e9
    assert rec.params_b == pytest.approx(closed, rel=1e-3)


def test_qwen35_hybrid_attention_is_represented() -> None:
    rec = _model("Qwen3.5-397B-A17B")
    assert rec.sliding_layers_fraction == pytest.approx(45 / 60)
    assert rec.kv_heads == 2 and rec.head_dim == 256
    assert "sliding_window" in rec.estimates


def test_gpt_oss_alternates_sliding_window_layers() -> None:
    rec = _model("gpt-oss-120b")
    assert rec.sliding_window == 128 and rec.sliding_layers_fraction == 0.5
