"""Scheduler and batching parameters of the simulated inference servers.

Defaults follow the engines' documented defaults (read 2026-11 from their docs/source):

- vLLM V1 continuous batching with chunked prefill (vllm-project/vllm
  ``vllm/engine/arg_utils.py`` ``EngineArgs._set_default_args_v1``, as read for vLLM 0.8–0.10):
  for the OpenAI-compatible server on GPUs with >= 70 GiB, ``max_num_batched_tokens`` 8192 (the
  per-iteration token budget; 2048 on smaller GPUs) and ``max_num_seqs`` 1024 (256 on smaller
  GPUs); preemption by *recompute* (the V1 default); a 1% free-KV watermark held back at
  admission (``watermark=0.01`` in vLLM's block manager). KV usage is counted in tokens (paged
  blocks of 16 tokens waste under one block per sequence, ignored here).
- NVIDIA Triton dynamic batcher: ``max_batch_size`` and ``max_queue_delay_microseconds`` (Triton
  model-configuration docs, "Dynamic Batcher"): a batch is dispatched when it is full or when
  its oldest request has waited the maximum queue delay, whichever is first, as soon as a model
  instance is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Routing = Literal["round_robin", "least_outstanding"]
"""How a load balancer spreads requests over replicas."""


@dataclass(frozen=True)
class LLMSchedulerConfig:
    """Continuous-batching scheduler of one LLM replica (vLLM-style)."""

    max_batched_tokens: int = 8192
    """Per-iteration token budget shared by decode tokens (1 per sequence) and prefill chunks."""
    max_seqs: int = 1024
    """Most sequences (prefilling + decoding) in the running batch."""
    kv_watermark: float = 0.01
    """Fraction of KV capacity kept free when admitting new requests."""
    mixed_batches: bool = True
    """Prefill chunks ride in the same iteration as the decodes (vLLM V1, TRT-LLM in-flight
    batching); False: a prefill iteration runs alone and stalls decoding (SGLang default)."""
    frontend_s: float = 0.0
    """Fixed delay between a request's arrival and the scheduler seeing it (HTTP, tokenization)
    [s]; adds to TTFT and end-to-end latency."""

    def __post_init__(self) -> None:
        if self.max_batched_tokens < 1 or self.max_seqs < 1:
            raise ValueError("max_batched_tokens and max_seqs must be >= 1")
        if not 0.0 <= self.kv_watermark < 1.0:
            raise ValueError("kv_watermark must be in [0, 1)")


@dataclass(frozen=True)
class DynamicBatcherConfig:
    """Dynamic batching of one vision replica (Triton-style)."""

    max_batch: int = 8
    """Largest batch dispatched [frames]."""
    max_queue_delay_s: float = 0.002
    """Longest the oldest queued frame waits for a batch to fill [s]."""

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_queue_delay_s < 0:
            raise ValueError("max_batch must be >= 1 and max_queue_delay_s >= 0")
