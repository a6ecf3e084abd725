"""LLM serving performance: engine iteration time, KV capacity and closed-loop steady state.

The model is a roofline over one continuous-batching engine iteration (the pattern of BLIS'
``roofline`` model and LLMCompass; see ``docs/research/llm_simulators.md`` §2.3, §9):

* **Work per GPU** is derived from the architecture (:class:`~flatbed.catalog.records.ModelArch`)
  and the sharding (tensor ``tp``, attention data parallel ``dp_attention``, expert ``ep`` and
  pipeline ``pp`` parallelism):

  - weight bytes read once per iteration — attention, dense FFN, LM head, and for a
    mixture-of-experts the *expected number of distinct experts the iteration's tokens touch*,
    ``E·(1−(1−k/E)^T)`` for ``T`` tokens routed to ``k`` of ``E`` experts (uniform routing);
  - KV-cache bytes read by decode attention (GQA: ``2·kv_heads·head_dim`` values per token and
    layer, split over ``tp``; MLA: ``kv_lora_rank + qk_rope_head_dim``, replicated over ``tp``;
    sliding-window layers read at most ``sliding_window`` tokens);
  - matrix FLOPs ``2·T·active parameters`` and attention FLOPs ``4·heads·head_dim`` per
    (query, key) pair (Kaplan et al. 2020, arXiv:2001.08361, Table 1).

* **Time** is ``max``-like combination of compute time (FLOPs over datasheet peak at the
  compute precision times an achieved fraction ``eta_gemm``/``eta_attn``) and memory time (bytes
  over datasheet bandwidth times ``eta_mem``), plus tensor-parallel all-reduce and expert-parallel
  all-to-all over the scale-up link (ring all-reduce moves ``2(p−1)/p`` of the message, Patarasuk &
  Yuan 2009), plus fixed per-iteration and per-layer overheads (scheduler, sampling, kernel launch).

* **Steady state** of the closed loop the serving sample measured (``../shared/validation``):
  ``C`` requests always in flight with equal ``isl``/``osl``. Completions happen at iteration
  boundaries, so replacement requests arrive in groups and are prefilled together in a "heavy"
  iteration of up to the engine's token budget; the other iterations are pure decode. TPOT is the
  mean iteration time a decoding request sees; TTFT is the iteration it arrives during plus its
  own prefill iteration(s); throughput follows from Little's law.

All coefficients are in :class:`EngineCoefficients` (per engine, fitted on Hopper rows of the
serving sample only, see :mod:`flatbed.perf.calibration` and ``docs/performance_model.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from flatbed.catalog.records import Accelerator, ModelArch
from flatbed.perf.power import cap_time_factors

BYTES_PER_VALUE: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    # NVFP4: 4-bit E2M1 values plus one FP8 scale per 16 values = 4.5 bits (NVIDIA, "Introducing
    # NVFP4", developer.nvidia.com/blog, 2025-06). MXFP4 (gpt-oss) is 4.25 bits; NVFP4's 4.5 used.
    "fp4": 0.5625,
    # INT4 weight-only with one BF16 scale per 128-value group = 4.125 bits (AWQ/GPTQ default).
    "int4": 0.515625,
}
"""Storage bytes per value of each precision [B], including block-scale overhead."""

ENGINES = ("vllm", "sglang", "trtllm")


@dataclass(frozen=True)
class EngineCoefficients:
    """Achieved-efficiency coefficients of one serving engine (all dimensionless or seconds).

    Attributes
    ----------
    eta_gemm : float
        Achieved fraction of datasheet dense peak for the matrix multiplies [-].
    eta_attn : float
        Achieved fraction of datasheet BF16 peak for attention score/value products [-].
    eta_mem : float
        Achieved fraction of datasheet memory bandwidth for weight and KV streaming [-].
    t_iter_s : float
        Fixed time per engine iteration: scheduling, sampling, host-device sync [s].
    t_layer_s : float
        Fixed time per transformer layer per iteration (kernel launch/tail effects) [s].
    t_moe_layer_s : float
        Extra fixed time per mixture-of-experts layer per iteration (routing, token
        permutation, grouped-GEMM launch) [s].
    eta_kv : float
        Achieved fraction of datasheet memory bandwidth for reading the paged KV cache in
        decode attention (scattered blocks, per-head reductions) [-].
    m_half : float
        Token rows at which a GEMM reaches half its large-batch efficiency [tokens]: the
        tensor-core tile fill ``M/(M + m_half)``; matters for mixture-of-experts prefill, where
        each expert sees only ``tokens·k/E`` rows.
    t_seq_s : float
        Host time per scheduled sequence per iteration (scheduling, sampling, detokenizing,
        streaming) [s].
    wave_weight : float
        Share of requests whose TTFT is that of a synchronised wave rather than of
        desynchronised arrivals [-]; ``1/K`` for a run of ``K`` requests per client whose first
        round starts together (prior :data:`REQUESTS_PER_CLIENT`).
    t_ttft_s : float
        Fixed extra time to first token: HTTP, tokenization, request admission [s].
    eta_moe : float
        Achieved efficiency of the mixture-of-experts grouped GEMMs relative to a dense GEMM
        of the same shape [-] (token permutation, per-expert scales, many small matrices);
        multiplies ``eta_gemm`` for expert FLOPs.
    eta_moe_mem : float
        Achieved efficiency of the mixture-of-experts kernels when streaming expert weights,
        relative to a dense weight read (``eta_mem``) [-]: a fused-MoE kernel reads each
        touched expert's matrices in blocks scheduled per expert, with per-expert scales, and
        reaches a lower share of bandwidth than one dense GEMV (fitted: vLLM's Triton fused-MoE
        0.61, SGLang 0.82, TRT-LLM's CUTLASS MoE 1.0).
    t_req_s : float
        Host time per new request on the engine's scheduling loop, charged to the iteration
        that completes its prompt [s] (request setup, KV block allocation, tokenizer and
        detokenizer hand-off); it stalls every sequence in that iteration, so it shows in TPOT
        when outputs are short and concurrency high.
    t_collective_s : float
        Latency of one small collective (all-reduce, all-to-all step, pipeline send) over the
        scale-up link [s]: NCCL or the engine's custom all-reduce, launch included. Prior 8 µs
        (:data:`COLLECTIVE_LATENCY_S`), fitted per engine.
    token_budget : int
        Maximum tokens one iteration schedules (vLLM ``max_num_batched_tokens``, TRT-LLM
        ``max_num_tokens``, SGLang ``chunked_prefill_size``) [tokens].
    mixed_batches : bool
        True when prefill chunks ride in the same iteration as decodes (vLLM V1 chunked
        prefill, TRT-LLM in-flight batching); False when prefill runs as its own batch
        (SGLang's default scheduler).
    max_seqs : int
        Most sequences in the running batch per scheduler (attention-DP rank) [-]: vLLM V1
        ``max_num_seqs`` 1024 for the API server on ≥ 70 GiB GPUs (``EngineArgs``
        ``_set_default_args``), TRT-LLM ``trtllm-serve --max_batch_size`` 2048 (CLI default);
        SGLang sizes ``max_running_requests`` from the KV pool (no separate cap modelled).
    """

    eta_gemm: float
    eta_attn: float
    eta_mem: float
    t_iter_s: float
    t_layer_s: float
    t_ttft_s: float
    t_moe_layer_s: float = 0.0
    eta_kv: float = 0.6
    m_half: float = 1.0
    t_seq_s: float = 2e-5
    wave_weight: float = 0.1
    token_budget: int = 8192
    mixed_batches: bool = True
    max_seqs: int = 1024
    t_collective_s: float = 8e-6  # COLLECTIVE_LATENCY_S
    eta_moe: float = 1.0
    t_req_s: float = 0.0
    eta_moe_mem: float = 1.0


LINK_EFFICIENCY = 0.7
"""Achieved fraction of the datasheet scale-up link bandwidth for all-reduce/all-to-all [-].

Estimate: NCCL all-reduce bus bandwidth on 8×H100 NVLink4 is about 360–480 GB/s per direction of
the 450 GB/s datasheet figure (NVIDIA nccl-tests results quoted in NVIDIA's "NVLink and NVSwitch"
page, 2024) — 0.7 is a round value within that range, for messages of the decode size."""

COLLECTIVE_LATENCY_S = 8e-6
"""Latency of one small collective over NVLink [s]. Estimate: NCCL/custom all-reduce of a few
hundred kB on 8×H100 takes about 6–12 µs (vLLM custom all-reduce PR #2192 benchmarks, 2024)."""

REQUESTS_PER_CLIENT = 10.0
"""Requests each client sends in one measured closed-loop run [-]. Estimate: the common
genai-perf/aiperf recipe ``--request-count concurrency×10`` after a separate warm-up (e.g. the
DeepSeek-R1 GenAI-Perf examples in BennielAllan/benchmark); only the first of them starts in a
synchronised wave."""

MEMORY_UTILIZATION = 0.9
"""Fraction of device memory the engine may use (vLLM ``gpu_memory_utilization`` default 0.9)."""

ACTIVATION_RESERVE_GB = 2.0
"""Per-GPU memory kept for activations, CUDA graphs and workspace [GB]. Estimate from vLLM's
profiling run logs, which reserve about 1–3 GB on H100 for 8B–70B models."""

ROOFLINE_SHARPNESS = 4.0
"""Exponent ``n`` of the smooth roofline ``(t_c^n + t_m^n)^(1/n)`` [-]: n→∞ is the hard
``max``; 4 rounds the ridge point by 19% where compute and memory time are equal, as kernels that
neither saturate bandwidth nor tensor cores do (Williams et al. 2009 roofline; value chosen, not
fitted)."""

# Fitted on Hopper (h100_sxm, h200_sxm) agg rows of the serving sample only; see
# flatbed.perf.calibration.fit_engine_coefficients and docs/performance_model.md. Efficiencies
# are bounded by what a microbenchmark reaches on an H200 (benchmarks/device/: dense BF16 GEMM
# 0.80 of peak, FP8 0.71, HBM copy 0.89 of datasheet bandwidth); fits that sit on a bound say
# the engine hides some other cost there.
DEFAULT_COEFFICIENTS: dict[str, EngineCoefficients] = {
    # 560 vLLM rows (v0.11–0.18) on H100/H200
    "vllm": EngineCoefficients(
        eta_gemm=0.791, eta_attn=0.512, eta_mem=0.89, eta_kv=0.652, eta_moe=0.269,
        m_half=3.59, t_iter_s=1e-07, t_layer_s=2.99e-05,
        t_moe_layer_s=1.3e-05, t_seq_s=1e-08, t_req_s=0.00327, t_ttft_s=0.0261,
        wave_weight=0.147, t_collective_s=2.23e-05, eta_moe_mem=0.609,
    ),
    # 274 SGLang rows (v0.5.1–0.5.9) on H100/H200
    "sglang": EngineCoefficients(
        eta_gemm=0.424, eta_attn=0.9, eta_mem=0.89, eta_kv=0.795, eta_moe=1.0,
        m_half=0.1, t_iter_s=0.00212, t_layer_s=1e-08,
        t_moe_layer_s=7.31e-05, t_seq_s=2.3e-05, t_req_s=0.000116, t_ttft_s=0.187,
        wave_weight=0.592, t_collective_s=8.57e-06, mixed_batches=False,
        max_seqs=1 << 20, eta_moe_mem=0.818,
    ),
    # 746 TensorRT-LLM rows (v1.0–1.3) on H100/H200
    "trtllm": EngineCoefficients(
        eta_gemm=0.8, eta_attn=0.21, eta_mem=0.89, eta_kv=0.89, eta_moe=0.501,
        m_half=8.83, t_iter_s=1e-07, t_layer_s=5.06e-05,
        t_moe_layer_s=4.17e-05, t_seq_s=2.96e-05, t_req_s=0.00667, t_ttft_s=0.108,
        wave_weight=0.146, t_collective_s=2e-06, max_seqs=2048, eta_moe_mem=1.0,
    ),
}


def bytes_per_value(precision: str) -> float:
    """Storage size of one value in ``precision`` [B]."""
    try:
        return BYTES_PER_VALUE[precision]
    except KeyError:
        raise ValueError(
            f"unknown precision {precision!r}; expected one of {', '.join(BYTES_PER_VALUE)}"
        ) from None


def compute_precision(accel: Accelerator, precision: str) -> str:
    """Precision the tensor cores run at for weights stored in ``precision``.

    FP8/INT8/FP4 run natively where the datasheet lists a peak for them; otherwise (FP4 on
    Hopper, INT4 weight-only everywhere) weights are dequantized and multiplied in BF16, as the
    Marlin/W4A16 kernels do.
    """
    peaks = accel.peak_dense_tflops
    if precision in ("fp8", "int8", "fp4") and precision in peaks:
        return precision
    for p in ("bf16", "fp16"):
        if p in peaks:
            return p
    return str(max(peaks, key=lambda k: peaks[k]))


@dataclass(frozen=True)
class ArchShapes:
    """Per-layer parameter and KV sizes derived from a :class:`ModelArch` (counts, not bytes)."""

    attn_params: float
    dense_ffn_params: float
    expert_params: float
    layers: int
    dense_layers: int
    moe_layers: int
    experts: int
    topk: int
    shared: int
    lm_head_params: float
    kv_values_per_token_layer: float
    kv_split_by_tp: bool
    kv_heads: int
    attn_flops_per_pair: float
    attn_flops_per_pair_prefill: float
    full_attn_layers: float
    window_layers: float
    window: int
    heads: int

    @staticmethod
    def of(arch: ModelArch) -> ArchShapes:
        h = arch.hidden_size
        heads = arch.heads
        if arch.uses_mla:
            rope, nope = arch.qk_rope_head_dim, arch.qk_nope_head_dim
            v_dim = arch.v_head_dim or nope
            q_in = (
                h * arch.q_lora_rank + arch.q_lora_rank * heads * (nope + rope)
                if arch.q_lora_rank
                else h * heads * (nope + rope)
            )
            attn = q_in + h * (arch.kv_lora_rank + rope)
            attn += arch.kv_lora_rank * heads * (nope + v_dim) + heads * v_dim * h
            kv_vals = float(arch.kv_lora_rank + rope)
            # absorbed MLA decode: scores over (kv_lora+rope), values over kv_lora, per head
            pair_flops = 2.0 * heads * (arch.kv_lora_rank + rope) + 2.0 * heads * arch.kv_lora_rank
            # prefill runs MLA un-absorbed (K/V up-projected, then ordinary attention over
            # nope+rope query/key dims and v_head_dim values), as FlashMLA/FlashInfer do
            pair_flops_prefill = 2.0 * heads * (nope + rope) + 2.0 * heads * v_dim
            split = False
        else:
            hd = arch.head_dim
            attn = h * hd * (heads + 2 * arch.kv_heads) + heads * hd * h
            kv_vals = 2.0 * arch.kv_heads * hd
            pair_flops = 4.0 * heads * hd
            pair_flops_prefill = pair_flops
            split = True
        mats = 3 if arch.gated_ffn else 2
        moe_layers = arch.layers - arch.dense_layers if arch.is_moe else 0
        dense_layers = arch.layers - moe_layers
        win_frac = arch.sliding_layers_fraction if arch.sliding_window else 0.0
        return ArchShapes(
            attn_params=float(attn),
            dense_ffn_params=float(mats * h * arch.ffn_size),
            expert_params=float(mats * h * (arch.moe_ffn_size or arch.ffn_size)),
            layers=arch.layers,
            dense_layers=dense_layers,
            moe_layers=moe_layers,
            experts=arch.experts,
            topk=arch.experts_per_token,
            shared=arch.shared_experts,
            lm_head_params=float(arch.vocab_size * h),
            kv_values_per_token_layer=kv_vals,
            kv_split_by_tp=split,
            kv_heads=arch.kv_heads,
            attn_flops_per_pair=pair_flops,
            attn_flops_per_pair_prefill=pair_flops_prefill,
            full_attn_layers=arch.layers * (1.0 - win_frac),
            window_layers=arch.layers * win_frac,
            window=arch.sliding_window,
            heads=heads,
        )


def experts_touched_fraction(tokens: float, experts: int, topk: int) -> float:
    """Expected fraction of ``experts`` that at least one of ``tokens`` tokens is routed to [-].

    Uniform, independent routing of each token to ``topk`` of ``experts``: each expert is missed
    by one token with probability ``1 − topk/experts``, so it is touched with probability
    ``1 − (1 − topk/experts)^tokens``.
    """
    if experts <= 0 or tokens <= 0:
        return 0.0
    p = min(1.0, topk / experts)
    if p >= 1.0:
        return 1.0
    return 1.0 - math.exp(tokens * math.log1p(-p))


def _mean_ceil(n: int, isl: float, budget: float) -> float:
    """Mean over ``j = 1..n`` of ``⌈j·isl/budget⌉`` (prompt ``j``'s iteration, unmixed)."""
    if n < 1:
        return 1.0
    return sum(math.ceil(j * isl / budget - 1e-9) for j in range(1, n + 1)) / n


def wave_mean_iterations(n: int, isl: float, osl: float, budget: float) -> float:
    """Mean iteration (1-based) in which each of ``n`` prompts submitted together completes [-].

    Mixed batches (vLLM V1, TRT-LLM): every iteration first decodes the sequences whose prompt
    is done (one token of the budget each, for ``osl − 1`` iterations) and fills the rest of
    the budget with the waiting prompts in order, chunking the one at the edge — the scheduler
    :mod:`flatbed.serving.engine` simulates. Integer bookkeeping only (no timing).
    """
    if n < 1:
        return 1.0
    budget_i = max(1, int(budget))
    isl_i = max(1, int(isl))
    dec_iters = max(int(osl) - 1, 0)
    done_at: list[int] = []  # iteration each finished prompt completed in
    rem = isl_i  # tokens left of the prompt at the head of the queue
    k = 0
    total = 0
    head = 0
    while head < n:
        k += 1
        # decoders this iteration: prompts done before it and still decoding
        d = 0
        for it in reversed(done_at):
            if k - it > dec_iters:
                break
            d += 1
        room = budget_i - d
        if room <= 0:
            room = 1
        while head < n and room > 0:
            take = rem if rem <= room else room
            room -= take
            rem -= take
            if rem == 0:
                done_at.append(k)
                total += k
                head += 1
                rem = isl_i
    return total / n


class _IterationConstants(NamedTuple):
    """Per-deployment factors of :meth:`LLMDeployment.iteration_time_s` (per GPU)."""

    weight_bytes: float
    expert_bytes_all: float
    dense_params_gpu: float
    expert_params_active: float
    lm_head_gpu: float
    attn_layers_share: float
    p_gemm: float
    p_attn: float
    bw: float
    link: float


@dataclass(frozen=True)
class SteadyState:
    """Closed-loop steady state at a fixed number of requests in flight."""

    concurrency: int
    ttft_s: float
    tpot_s: float
    output_tokens_per_s: float
    requests_per_s: float
    decode_iteration_s: float
    prefill_iteration_s: float
    prompt_load: float = 1.0
    """Utilisation of the prompt queue an arrival sees (arrival theorem, before the 0.95
    clamp of the M/D/1 wait) [-]; 1 in the prompt-bound regime. Where the closed forms are
    least exact (``docs/serving.md``, known differences)."""


@dataclass(frozen=True)
class LLMDeployment:
    """One serving replica of an LLM on ``tp·dp_attention·pp`` accelerators.

    Parameters
    ----------
    arch, accel
        Catalog records of the model and the accelerator.
    precision
        Weight (and activation, where the hardware supports it) precision.
    kv_precision
        KV-cache precision.
    tp, pp
        Tensor- and pipeline-parallel degree.
    ep
        Expert-parallel degree (experts are split over ``ep`` GPUs, each expert over
        ``moe_tp = tp·dp_attention/ep``).
    dp_attention
        Attention data parallelism (DeepSeek/SGLang "DP attention"): attention replicated
        ``dp_attention`` times, each with ``tp`` GPUs and its own share of the sequences.
    engine
        "vllm", "sglang" or "trtllm" (selects :class:`EngineCoefficients`).
    coefficients
        Override the engine's fitted coefficients (e.g. from ``flatbed calibrate``).
    """

    arch: ModelArch
    accel: Accelerator
    precision: str = "bf16"
    kv_precision: str = "bf16"
    tp: int = 1
    pp: int = 1
    ep: int = 1
    dp_attention: int = 1
    engine: str = "vllm"
    coefficients: EngineCoefficients | None = None
    power_cap_fraction: float = 1.0
    """GPU power limit as a fraction of TDP [-]: compute-bound kernel time stretches and
    memory-bound time barely does (:func:`flatbed.perf.power.cap_time_factors`)."""
    _shapes: ArchShapes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("tp", "pp", "ep", "dp_attention"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be ≥ 1")
        if not 0.0 < self.power_cap_fraction <= 1.0:
            raise ValueError("power_cap_fraction must be in (0, 1]")
        bytes_per_value(self.precision)
        bytes_per_value(self.kv_precision)
        if self.engine not in ENGINES and self.coefficients is None:
            raise ValueError(f"unknown engine {self.engine!r}; expected one of {ENGINES}")
        object.__setattr__(self, "_shapes", ArchShapes.of(self.arch))

    # ---- sizes ---------------------------------------------------------------------------
    @property
    def gpus(self) -> int:
        """Accelerators in the replica (``tp·dp_attention·pp``)."""
        return self.tp * self.dp_attention * self.pp

    @property
    def coef(self) -> EngineCoefficients:
        """The coefficients in force."""
        return self.coefficients or DEFAULT_COEFFICIENTS[self.engine]

    @property
    def moe_tp(self) -> float:
        """Tensor-parallel split of each expert (``tp·dp_attention/ep``, at least 1)."""
        return max(1.0, self.tp * self.dp_attention / self.ep)

    @cached_property
    def _cap_factors(self) -> tuple[float, float]:
        a, b = cap_time_factors(self.power_cap_fraction)
        return float(a), float(b)

    @cached_property
    def _iteration_constants(self) -> _IterationConstants:
        """What :meth:`iteration_time_s` needs that depends on the deployment alone."""
        s, acc, tp, pp = self._shapes, self.accel, self.tp, self.pp
        wb = bytes_per_value(self.precision)
        w_attn = s.layers * s.attn_params / tp
        w_dense = s.dense_layers * s.dense_ffn_params / tp
        w_shared = s.moe_layers * s.shared * s.expert_params / tp
        peak = acc.peak_dense_tflops
        p_gemm = peak[compute_precision(acc, self.precision)] * 1e12  # type: ignore[index]
        return _IterationConstants(
            # weights streamed every iteration; the LM head stays in BF16
            weight_bytes=(w_attn + w_dense + w_shared) / pp * wb + s.lm_head_params / tp * 2.0,
            # all local experts' weights; an iteration streams the touched fraction
            expert_bytes_all=s.moe_layers * (s.experts / self.ep) * s.expert_params
            / self.moe_tp / pp * wb,
            dense_params_gpu=w_attn + w_dense + w_shared,
            expert_params_active=s.moe_layers * s.topk * s.expert_params / (self.ep * self.moe_tp),
            lm_head_gpu=s.lm_head_params / tp,
            attn_layers_share=max(1.0, s.heads / tp) / s.heads * s.layers / pp,
            p_gemm=p_gemm,
            p_attn=peak.get("bf16", p_gemm / 1e12) * 1e12,
            bw=acc.memory_bandwidth_tb_per_s * 1e12,
            link=acc.interconnect_gb_per_s / 2.0 * 1e9 * LINK_EFFICIENCY,  # one direction
        )

    @cached_property
    def _kv_bytes_per_token_gpu(self) -> float:
        """KV-cache bytes one token occupies on one GPU, summed over its layers [B]."""
        s = self._shapes
        vals = s.kv_values_per_token_layer
        if s.kv_split_by_tp:
            vals = vals * max(1, math.ceil(s.kv_heads / self.tp)) / s.kv_heads
        layers = s.layers / self.pp
        return vals * layers * bytes_per_value(self.kv_precision)

    def weight_bytes_per_gpu(self) -> float:
        """Weights resident on one GPU [B] (largest shard: attention/dense over ``tp``, experts
        over ``ep·moe_tp``, embedding and LM head over ``tp``)."""
        s = self._shapes
        b = bytes_per_value(self.precision)
        dense = (s.layers * s.attn_params + s.dense_layers * s.dense_ffn_params) / self.tp
        dense += s.moe_layers * s.shared * s.expert_params / self.tp
        experts = s.moe_layers * s.experts * s.expert_params / (self.ep * self.moe_tp)
        # embedding table and LM head stay in 16-bit in every quantized checkpoint
        embed = 2 * s.lm_head_params / self.tp * 2.0
        return (dense + experts) / self.pp * b + embed

    def kv_capacity_tokens(self) -> int:
        """KV-cache tokens that fit in one replica after weights and activation reserve."""
        free = (
            self.accel.memory_gb * MEMORY_UTILIZATION - ACTIVATION_RESERVE_GB
        ) * 1e9 - self.weight_bytes_per_gpu()
        if free <= 0:
            return 0
        return int(free / self._kv_bytes_per_token_gpu) * self.dp_attention

    def max_concurrency(self, isl: float, osl: float) -> int:
        """Requests of ``isl + osl`` tokens whose whole KV cache fits at once."""
        per = self._shape_ctx(isl + osl)
        return int(self.kv_capacity_tokens() // per) if per > 0 else 0

    def _shape_ctx(self, tokens: float) -> float:
        s = self._shapes
        if s.window and s.window_layers:
            full = s.full_attn_layers / s.layers
            return full * tokens + (1 - full) * min(tokens, s.window)
        return tokens

    # ---- one iteration -------------------------------------------------------------------
    def iteration_time_s(
        self,
        prefill_tokens: float,
        decode_seqs: float,
        context_tokens: float,
        prefill_pairs: float | None = None,
        prefill_seqs: float | None = None,
    ) -> float:
        """Time of one continuous-batching iteration [s].

        Parameters
        ----------
        prefill_tokens
            New prompt tokens prefilled this iteration (over the whole replica) [tokens].
        decode_seqs
            Sequences that each decode one token this iteration [-].
        context_tokens
            KV context those decoding sequences hold, summed [tokens].
        prefill_pairs
            (query, key) pairs the prefill attention computes; default
            ``prefill_tokens²/2`` (one causal prompt with no cached prefix).
        prefill_seqs
            Prompts the prefill tokens belong to (their last tokens get logits) [-]; default 1
            when ``prefill_tokens > 0``, else 0.
        """
        if prefill_tokens < 0 or decode_seqs < 0 or context_tokens < 0:
            raise ValueError("token and sequence counts must be non-negative")
        c = self.coef
        s = self._shapes
        k = self._iteration_constants
        tokens = prefill_tokens + decode_seqs
        if tokens <= 0:
            return 0.0
        if prefill_pairs is None:
            prefill_pairs = prefill_tokens * prefill_tokens / 2.0
        if prefill_seqs is None:
            prefill_seqs = 1.0 if prefill_tokens > 0 else 0.0
        tp, dp, pp = self.tp, self.dp_attention, self.pp

        # --- memory traffic per GPU [B]
        frac = experts_touched_fraction(tokens, s.experts, s.topk)
        weight_bytes = k.weight_bytes
        expert_bytes = k.expert_bytes_all * frac
        # with attention data parallelism each prompt lands on one rank: the busiest rank
        # holds ceil(prompts/dp) of them, while decodes spread evenly
        n_pf = max(prefill_seqs, 1.0)
        pf_share = math.ceil(n_pf / dp - 1e-9) / n_pf if dp > 1 else 1.0
        pf_rank = prefill_tokens * pf_share
        tok_rank = decode_seqs / dp + pf_rank
        ctx_eff = self._shape_ctx_total(decode_seqs, context_tokens)
        kv_bytes = ctx_eff * self._kv_bytes_per_token_gpu / dp
        kv_bytes += pf_rank * self._kv_bytes_per_token_gpu  # KV written by prefill

        # --- FLOPs per GPU
        dense_lin = k.dense_params_gpu * tok_rank
        expert_lin = k.expert_params_active * tokens
        logits = (decode_seqs + prefill_seqs) * k.lm_head_gpu / dp
        dense_flops = 2.0 * (dense_lin / pp + logits)
        expert_flops = 2.0 * expert_lin / pp
        pf_pairs = self._shape_pairs(prefill_pairs, prefill_tokens) * pf_share
        attn_flops = (
            s.attn_flops_per_pair * ctx_eff / dp + s.attn_flops_per_pair_prefill * pf_pairs
        ) * k.attn_layers_share
        # GEMM efficiency falls when the token (row) dimension M is small: the tensor-core
        # tiles are only partly filled (M/(M + m_half)); experts see M = tokens·k/E each
        m_dense = tok_rank
        m_expert = tokens * s.topk / s.experts if s.experts else 1.0
        fill_dense = m_dense / (m_dense + c.m_half)
        fill_expert = m_expert / (m_expert + c.m_half)

        p_gemm, p_attn, bw = k.p_gemm, k.p_attn, k.bw
        t_gemm = (
            dense_flops / (p_gemm * c.eta_gemm * fill_dense)
            + expert_flops / (p_gemm * c.eta_gemm * c.eta_moe * fill_expert)
        )
        t_attn = attn_flops / (p_attn * c.eta_attn)
        t_weights = weight_bytes / (bw * c.eta_mem) + expert_bytes / (
            bw * c.eta_mem * c.eta_moe_mem
        )
        t_kv = kv_bytes / (bw * c.eta_kv)
        if self.power_cap_fraction < 1.0:
            f_comp, f_mem = self._cap_factors
            t_gemm, t_attn = t_gemm * f_comp, t_attn * f_comp
            t_weights, t_kv = t_weights * f_mem, t_kv * f_mem
        n = ROOFLINE_SHARPNESS
        # GEMMs and attention are separate kernels run one after the other: each overlaps
        # its own compute with its own memory traffic (roofline per kernel class), but a
        # memory-bound decode-attention kernel cannot hide under a compute-bound prefill
        # GEMM — the prefill/decode interference of chunked-prefill (mixed) iterations
        t_gpu = (t_gemm**n + t_weights**n) ** (1.0 / n) + (t_attn**n + t_kv**n) ** (1.0 / n)

        # --- communication over the scale-up link
        link = k.link
        act_bytes = 2.0  # BF16 activations
        layers_stage = s.layers / pp
        t_comm = 0.0
        if tp > 1:
            msg = tok_rank * self.arch.hidden_size * act_bytes
            per = c.t_collective_s + 2.0 * (tp - 1) / tp * msg / link
            t_comm += 2.0 * layers_stage * per
        if self.ep > 1 and s.moe_layers:
            msg = tok_rank * s.topk * self.arch.hidden_size * act_bytes
            per = 2.0 * (c.t_collective_s + (self.ep - 1) / self.ep * msg / self.ep / link)
            t_comm += s.moe_layers / pp * per
        if pp > 1:
            t_comm += (pp - 1) * (
                c.t_collective_s + tokens * self.arch.hidden_size * act_bytes / link
            )
        stage = t_gpu + c.t_layer_s * layers_stage + c.t_moe_layer_s * s.moe_layers / pp
        # host work per sequence is spread over the data-parallel attention ranks (one
        # scheduler process each)
        host = (c.t_seq_s * (decode_seqs + prefill_seqs) + c.t_req_s * prefill_seqs) / dp
        return float(c.t_iter_s + host + stage * pp + t_comm)

    def _shape_ctx_total(self, seqs: float, context_tokens: float) -> float:
        """Context tokens decode attention reads, sliding layers capped at the window."""
        s = self._shapes
        if not (s.window and s.window_layers) or seqs <= 0:
            return context_tokens
        full = s.full_attn_layers / s.layers
        per = context_tokens / seqs
        return seqs * (full * per + (1 - full) * min(per, s.window))

    def _shape_pairs(self, pairs: float, prefill_tokens: float) -> float:
        s = self._shapes
        if not (s.window and s.window_layers):
            return pairs
        full = s.full_attn_layers / s.layers
        return full * pairs + (1 - full) * min(pairs, prefill_tokens * s.window)

    # ---- closed loop ---------------------------------------------------------------------
    def decode_step_time_s(self, batch: float, context_tokens_per_seq: float) -> float:
        """Pure-decode iteration for ``batch`` sequences of ``context_tokens_per_seq`` [s]."""
        return self.iteration_time_s(0.0, batch, batch * context_tokens_per_seq, prefill_seqs=0)

    def prefill_time_s(self, prompt_tokens: float, prompts: float = 1.0) -> float:
        """Prefill-only iteration for ``prompts`` prompts of ``prompt_tokens`` each [s]."""
        return self.iteration_time_s(
            prompts * prompt_tokens, 0.0, 0.0,
            prefill_pairs=prompts * prompt_tokens**2 / 2.0, prefill_seqs=prompts,
        )

    def steady_state(self, concurrency: int, isl: float, osl: float) -> SteadyState:
        """Closed-loop steady state with ``concurrency`` requests always in flight.

        The benchmark client keeps ``C`` requests in flight; after its warm-up, the measured
        run starts all ``C`` at once (a synchronised first wave) and then replaces each
        finished request at once (desynchronised arrivals thereafter).

        * Sequences beyond the KV capacity (:meth:`max_concurrency`) wait for a slot.
        * Steady phase: each arrival's prompt (chunked over ``⌈isl/budget⌉`` iterations when
          longer than the token budget) rides in a "heavy" iteration; per request lifetime the
          engine runs ``C`` such prompt iterations and ``osl − 1`` decode iterations. With
          mixed batches (vLLM, TRT-LLM) a heavy iteration also decodes the others; without
          (SGLang) it stalls them. TPOT is the mean iteration time a decoding request sees.
          TTFT = the iteration in progress at arrival + an M/D/1 wait for earlier prompts
          (Kleinrock 1975, ``W = ρS/(2(1−ρ))``) + its own prompt iteration(s) + ``t_ttft_s``.
        * First wave: ``C·isl`` prompt tokens prefilled at the token budget per iteration;
          request ``j`` gets its first token after ``⌈j·isl/budget⌉`` iterations.
        * Reported TTFT mixes the first wave and the steady phase with weights ``1 : K−1``,
          ``K =`` :data:`REQUESTS_PER_CLIENT`. Throughput by Little's law.
        """
        if concurrency < 1 or isl < 1 or osl < 1:
            raise ValueError("concurrency, isl and osl must be ≥ 1")
        c = self.coef
        # desynchronised sequences hold isl + osl/2 tokens on average; engines allocate KV
        # blocks on demand, so that (not the worst case) bounds the steady batch
        avg_tokens = self._shape_ctx(isl + osl / 2.0)
        cap = int(self.kv_capacity_tokens() // avg_tokens) if avg_tokens > 0 else 0
        # the scheduler also caps the running batch (vLLM max_num_seqs, TRT-LLM
        # max_batch_size), once per attention-DP rank
        cap = min(cap, c.max_seqs * self.dp_attention)
        cc = float(min(concurrency, max(cap, 1)))
        # one scheduler (and token budget) per attention-DP rank; a prompt lives on one rank,
        # and the ranks prefill their own arrivals in the same iteration
        budget_rank = float(c.token_budget)
        budget = budget_rank * self.dp_attention
        chunks = max(1, math.ceil(isl / budget_rank))
        # with mixed batches the decodes on the rank take their tokens of the budget first: a
        # prompt that fills its chunks' budget leaves a short tail chunk for one more iteration
        d_rank = (cc - min(float(self.dp_attention), cc)) / self.dp_attention
        tail = 1.0 if c.mixed_batches and isl > chunks * (budget_rank - d_rank) else 0.0
        n_dec = max(osl - 1.0, 1.0)
        # prompts per heavy iteration: the DP ranks do not wait for one another's arrivals, so
        # an iteration carries the prompts (chunks) that arrived during the one before it —
        # Poisson-many with mean lam_it = cc·chunks / (iterations per lifetime), conditioned on
        # at least one: lam_it / (1 − e^(−lam_it)), at most one per rank
        # (mixed batches; an unmixed engine prefills every prompt that arrived during the
        # previous prompt iteration, which fills its ranks)
        lam_it = cc * chunks / (n_dec + chunks)
        g_arr = lam_it / -math.expm1(-lam_it) if lam_it > 1e-9 and c.mixed_batches else cc
        g = float(max(1.0, min(self.dp_attention, cc, g_arr)))
        p_heavy = isl / chunks
        pairs = p_heavy * (isl / 2.0)  # mean chunk: its own tokens plus earlier chunks
        ctx = isl + osl / 2.0
        t_light = self.iteration_time_s(0.0, cc, cc * ctx, prefill_seqs=0.0)
        t_pf_only = self.iteration_time_s(g * p_heavy, 0.0, 0.0, g * pairs, g)
        if c.mixed_batches:
            d = max(cc - g, 0.0)
            t_heavy = self.iteration_time_s(g * p_heavy, d, d * ctx, g * pairs, g)
        else:
            t_heavy = t_pf_only
        h = cc * chunks / g  # prompt iterations per request lifetime
        others = max(h - chunks, 0.0)
        saturated_ttft: float | None = None  # prompt-bound: iterations before the first token
        load = 1.0
        if c.mixed_batches and others <= n_dec:
            tpot = (others * t_heavy + (n_dec - others) * t_light) / n_dec
            n_light = n_dec - others
        elif not c.mixed_batches and others * p_heavy <= n_dec * budget:
            tpot = (n_dec * t_light + others * t_heavy) / n_dec
            n_light = n_dec
        else:
            # prompt-bound: every iteration carries prompt tokens, packed up to the budget;
            # a lifetime spans n_iter iterations, of which a request decodes in n_dec
            n_iter = max(n_dec + chunks, cc * isl / budget)
            p_iter = cc * isl / n_iter
            d = cc * n_dec / n_iter
            pf_seqs = p_iter / isl
            if c.mixed_batches:
                t_sat = self.iteration_time_s(p_iter, d, d * ctx, p_iter * isl / 2.0, pf_seqs)
            else:
                t_sat = self.iteration_time_s(
                    p_iter, 0.0, 0.0, p_iter * isl / 2.0, pf_seqs
                ) + self.iteration_time_s(0.0, d, d * ctx, prefill_seqs=0.0)
            tpot = t_heavy = t_sat
            saturated_ttft = (n_iter - n_dec) * t_sat
        if saturated_ttft is not None:
            ttft_steady = c.t_ttft_s + saturated_ttft
        else:
            life = chunks * t_heavy + n_dec * tpot
            lam = cc / life
            # arrival theorem (closed loop; Lavenberg & Reiser 1980, Sevcik & Mitrani 1981): an
            # arriving request sees the other cc − 1 requests' load
            load = lam * (cc - 1.0) / cc / g * chunks * t_pf_only  # per DP rank
            rho = min(load, 0.95)
            queue = rho * chunks * t_heavy / (2.0 * (1.0 - rho))
            # an arrival lands in an iteration picked in proportion to its length and waits
            # for the rest of it: mean residual E[τ²]/(2E[τ]) over the lifetime's iteration
            # mix (renewal theory, Kleinrock 1975 §5.2); it cannot land in its own prompt
            # iterations
            n_heavy = others
            residual = (n_light * t_light**2 + n_heavy * t_heavy**2) / (
                2.0 * (n_light * t_light + n_heavy * t_heavy)
            )
            ttft_steady = c.t_ttft_s + residual + queue + chunks * t_heavy + tail * t_light
        # synchronised first wave
        wave_tokens = cc * isl
        n_wave = max(1.0, math.ceil(wave_tokens / budget))
        per_iter = wave_tokens / n_wave
        t_wave_iter = self.iteration_time_s(
            per_iter, 0.0, 0.0, per_iter * isl / 2.0, per_iter / isl
        )
        if c.mixed_batches:
            mean_iters = wave_mean_iterations(int(cc), isl, osl, budget)
        else:
            mean_iters = (n_wave + 1.0) / 2.0 if isl >= budget else _mean_ceil(int(cc), isl, budget)
        ttft_wave = c.t_ttft_s + mean_iters * t_wave_iter
        w = c.wave_weight
        life_s = ttft_steady + n_dec * tpot
        rps = cc / life_s
        if concurrency > cc:
            # requests waiting for KV space: in the steady phase C − cc wait while cc are
            # served (Little's law: (C/cc − 1) lifetimes); in the first wave the k-th group
            # of cc waits k lifetimes, half as long on average
            kv_wait = (concurrency / cc - 1.0) * life_s
            ttft_wave += 0.5 * kv_wait
            ttft_steady += kv_wait
        ttft = w * ttft_wave + (1.0 - w) * ttft_steady
        if not c.mixed_batches:
            # An engine that prefills every waiting prompt in one batch (SGLang) keeps the
            # first wave's requests together: once the wave's prompts are done they decode in
            # lock-step with no prompt iteration in between, so the wave's share of requests
            # sees the pure-decode iteration time. (Mixed engines: the wave's early prompts
            # decode beside later prompt chunks; modelling that did not change their error,
            # so their TPOT stays the steady phase's.)
            tpot = w * t_light + (1.0 - w) * tpot
        return SteadyState(
            concurrency=concurrency,
            ttft_s=ttft,
            tpot_s=tpot,
            output_tokens_per_s=rps * osl,
            requests_per_s=rps,
            decode_iteration_s=t_light,
            prefill_iteration_s=t_heavy,
            prompt_load=load,
        )

    def with_coefficients(self, coefficients: EngineCoefficients) -> LLMDeployment:
        """Copy using ``coefficients``."""
        return replace(self, coefficients=coefficients)
