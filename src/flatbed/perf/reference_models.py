"""Architectures of the LLMs in the validation sets, used when the catalog lacks them.

The built-in catalog (``catalog/data/models.yaml``) is the primary source; :func:`arch_for`
looks a Hugging Face id up there first and only falls back to these trimmed ``config.json``
excerpts (fields as published on huggingface.co/<id>/blob/main/config.json, read 2026-11) so
``flatbed validate`` works on every row of the serving sample. Two architectures need an
equivalent the record schema can hold; both are labelled estimates:

* Qwen3.5-397B-A17B: 45 of its 60 layers are Gated-DeltaNet linear attention with a constant
  per-sequence state (48 value heads × 128 × 128, ≈ 786k values per layer); it is represented as
  a sliding window on 75% of layers whose KV equals that state: 786k values ÷ (2 kv heads × 2 ×
  256 head dim = 1024 values per token) ≈ 768 tokens.
* GLM-5: DeepSeek Sparse Attention attends to ``index_topk = 2048`` selected keys per query, so
  its attention reads at most 2048 tokens of MLA cache: a 2048-token window on every layer.
"""

from __future__ import annotations

from typing import Any

from flatbed.catalog.loader import Catalog, model_from_hf_config
from flatbed.catalog.records import ModelArch

_LLAMA31_8B = dict(
    hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
    intermediate_size=14336, vocab_size=128256, max_position_embeddings=131072,
)
_LLAMA31_70B = dict(
    hidden_size=8192, num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8,
    intermediate_size=28672, vocab_size=128256, max_position_embeddings=131072,
)
_QWEN3_32B = dict(
    hidden_size=5120, num_hidden_layers=64, num_attention_heads=64, num_key_value_heads=8,
    head_dim=128, intermediate_size=25600, vocab_size=151936, max_position_embeddings=40960,
)
_QWEN3_235B = dict(
    hidden_size=4096, num_hidden_layers=94, num_attention_heads=64, num_key_value_heads=4,
    head_dim=128, intermediate_size=12288, moe_intermediate_size=1536, num_experts=128,
    num_local_experts=128, num_experts_per_tok=8, vocab_size=151936,
    max_position_embeddings=40960,
)
_QWEN35_397B = dict(
    hidden_size=4096, num_hidden_layers=60, num_attention_heads=32, num_key_value_heads=2,
    head_dim=256, intermediate_size=1024, moe_intermediate_size=1024, num_local_experts=512,
    num_experts_per_tok=10, n_shared_experts=1, vocab_size=248320,
    max_position_embeddings=262144,
)
_DEEPSEEK_V3 = dict(
    hidden_size=7168, num_hidden_layers=61, num_attention_heads=128, num_key_value_heads=128,
    intermediate_size=18432, moe_intermediate_size=2048, n_routed_experts=256,
    num_experts_per_tok=8, n_shared_experts=1, first_k_dense_replace=3, kv_lora_rank=512,
    q_lora_rank=1536, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
    vocab_size=129280, max_position_embeddings=163840,
)
_KIMI_K25 = dict(
    hidden_size=7168, num_hidden_layers=61, num_attention_heads=64, num_key_value_heads=64,
    intermediate_size=18432, moe_intermediate_size=2048, n_routed_experts=384,
    num_experts_per_tok=8, n_shared_experts=1, first_k_dense_replace=1, kv_lora_rank=512,
    q_lora_rank=1536, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
    vocab_size=163840, max_position_embeddings=262144,
)
_GLM5 = dict(
    hidden_size=6144, num_hidden_layers=78, num_attention_heads=64, num_key_value_heads=64,
    intermediate_size=12288, moe_intermediate_size=2048, n_routed_experts=256,
    num_experts_per_tok=8, n_shared_experts=1, first_k_dense_replace=3, kv_lora_rank=512,
    q_lora_rank=2048, qk_rope_head_dim=64, qk_nope_head_dim=192, v_head_dim=256,
    vocab_size=154880, max_position_embeddings=202752,
)
_GPT_OSS_120B = dict(
    hidden_size=2880, num_hidden_layers=36, num_attention_heads=64, num_key_value_heads=8,
    head_dim=64, intermediate_size=2880, num_local_experts=128, num_experts_per_tok=4,
    vocab_size=201088, max_position_embeddings=131072,
)
_MINIMAX_M25 = dict(
    hidden_size=3072, num_hidden_layers=62, num_attention_heads=48, num_key_value_heads=8,
    head_dim=128, intermediate_size=1536, num_local_experts=256, num_experts_per_tok=8,
    vocab_size=200064, max_position_embeddings=196608,
)

HF_CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # hf id (lower case, org/name) → (config.json excerpt, record overrides)
    "meta-llama/llama-3.1-8b-instruct": (_LLAMA31_8B, {}),
    "meta-llama/llama-3.1-8b": (_LLAMA31_8B, {}),
    "nvidia/llama-3.1-8b-instruct-fp8": (_LLAMA31_8B, {}),
    "meta-llama/llama-3.1-70b": (_LLAMA31_70B, {}),
    "meta-llama/llama-3.1-70b-instruct": (_LLAMA31_70B, {}),
    "meta-llama/llama-2-70b-chat-hf": (
        dict(_LLAMA31_70B, vocab_size=32000, max_position_embeddings=4096), {},
    ),
    "qwen/qwen3-32b": (_QWEN3_32B, {}),
    "nvidia/qwen3-32b-nvfp4": (_QWEN3_32B, {}),
    "qwen/qwen3-235b-a22b-fp8": (_QWEN3_235B, {}),
    "qwen/qwen3-235b-a22b": (_QWEN3_235B, {}),
    "qwen/qwen3.5-397b-a17b": (
        _QWEN35_397B,
        {"sliding_window": 768, "sliding_layers_fraction": 0.75,
         "estimates": {"sliding_window": "Gated-DeltaNet state as an equivalent window, see "
                       "flatbed.perf.reference_models docstring"}},
    ),
    "deepseek-ai/deepseek-r1": (_DEEPSEEK_V3, {}),
    "deepseek-ai/deepseek-v3": (_DEEPSEEK_V3, {}),
    "nvidia/deepseek-r1-nvfp4": (_DEEPSEEK_V3, {}),
    "nvidia/deepseek-v3.1-nvfp4": (_DEEPSEEK_V3, {}),
    "moonshotai/kimi-k2.5": (_KIMI_K25, {}),
    "zhipuai/glm-5": (
        _GLM5,
        {"sliding_window": 2048, "sliding_layers_fraction": 1.0,
         "estimates": {"sliding_window": "DSA index_topk=2048 keys per query as a window"}},
    ),
    "openai/gpt-oss-120b": (
        _GPT_OSS_120B, {"sliding_window": 128, "sliding_layers_fraction": 0.5},
    ),
    "minimaxai/minimax-m2.5": (_MINIMAX_M25, {}),
    "mistralai/mixtral-8x7b-instruct-v0.1": (
        dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
             num_key_value_heads=8, intermediate_size=14336, num_local_experts=8,
             num_experts_per_tok=2, vocab_size=32000, max_position_embeddings=32768), {},
    ),
    "meta-llama/llama-3.1-405b-instruct": (
        dict(hidden_size=16384, num_hidden_layers=126, num_attention_heads=128,
             num_key_value_heads=8, intermediate_size=53248, vocab_size=128256,
             max_position_embeddings=131072), {},
    ),
    "eleutherai/gpt-j-6b": (
        dict(hidden_size=4096, num_hidden_layers=28, num_attention_heads=16,
             num_key_value_heads=16, intermediate_size=16384, vocab_size=50400,
             max_position_embeddings=2048), {"gated_ffn": False},
    ),
}

_CACHE: dict[str, ModelArch] = {}


def arch_for(hf_id: str, catalog: Catalog | None = None) -> ModelArch | None:
    """Architecture for a Hugging Face id: catalog first, then :data:`HF_CONFIGS`; else None."""
    if catalog is not None:
        for name in (hf_id, hf_id.split("/")[-1]):
            if catalog.has("models", name):
                found: object = catalog.get("models", name)
                if isinstance(found, ModelArch):
                    return found
        for rec in catalog.all("models"):
            if isinstance(rec, ModelArch) and rec.hf_id.lower() == hf_id.lower():
                return rec
    key = hf_id.lower()
    if key in _CACHE:
        return _CACHE[key]
    if key not in HF_CONFIGS:
        return None
    cfg, overrides = HF_CONFIGS[key]
    arch = model_from_hf_config(dict(cfg), hf_id, f"huggingface.co/{hf_id} config.json")
    if overrides:
        arch = arch.model_copy(update=overrides)
    _CACHE[key] = arch
    return arch
