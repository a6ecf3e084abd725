"""Predict rows of the aiconfigurator serving sample (``serving_silicon_sample.csv``).

Each ``agg`` row is turned into an :class:`~flatbed.perf.llm.LLMDeployment` (model from its
Hugging Face id, accelerator from ``system``, precision and parallelism from the row) and its
closed-loop :meth:`~flatbed.perf.llm.LLMDeployment.steady_state` at ``batch_size`` requests in
flight gives the predicted mean TTFT and TPOT. ``disagg`` rows are predicted from their decode
worker's steady state (TPOT) and prefill worker's prompt time (TTFT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flatbed.catalog.loader import Catalog
from flatbed.catalog.records import Accelerator, ModelArch
from flatbed.errors import InputError
from flatbed.perf.llm import ENGINES, EngineCoefficients, LLMDeployment

SERVING_COLUMNS = ("model_path", "system", "backend", "isl", "osl", "batch_size", "silicon_ttft_ms")


DOES_NOT_FIT = "excluded: weights exceed the recorded GPUs' memory (cannot have run as recorded)"
"""Skip reason of rows whose weights, sharded as the row records it (``tp``, ``pp``, expert
parallelism over the row's GPUs of its ``system``), need more bytes per GPU than the GPU has
(:func:`weights_exceed_memory`), e.g. Qwen3-235B-FP8 (~235 GB of weights) recorded at tp 1 on
one 141 GB H200 (13 vLLM rows). Such a row ran on some other layout than the one recorded; it
is reported as excluded with this reason, never predicted, and the coefficient fit
(:mod:`flatbed.perf.calibration`) leaves it out too."""


def weights_exceed_memory(dep: LLMDeployment) -> bool:
    """True when the weights one GPU of ``dep`` holds exceed its whole memory (datasheet
    capacity, no engine reserve): a hard physical bound, independent of engine settings."""
    return dep.weight_bytes_per_gpu() > dep.accel.memory_gb * 1e9


@dataclass(frozen=True)
class ServingPrediction:
    """Predicted and measured mean TTFT/TPOT for one row [ms]."""

    ttft_ms: float
    tpot_ms: float
    measured_ttft_ms: float | None
    measured_tpot_ms: float | None


def _int(row: dict[str, str], key: str, default: int = 1) -> int:
    v = (row.get(key) or "").strip()
    try:
        n = int(float(v))
    except ValueError:
        return default
    return n if n > 0 else default


def _float(row: dict[str, str], key: str) -> float | None:
    v = (row.get(key) or "").strip()
    try:
        x = float(v)
    except ValueError:
        return None
    return x if x > 0 else None


_SILICON_CONCURRENCY = re.compile(r"silicon_concurrency=(\d+)")


def data_parallel_ranks(row: dict[str, str], prefix: str = "") -> int:
    """Data-parallel ranks a row's ``batch_size`` is counted per [-].

    The sample's ``batch_size`` is the concurrency *per attention-DP rank* (or per replica):
    where ``silicon_data_source`` records the benchmark's ``silicon_concurrency`` it equals
    ``batch_size × attention_dp_size`` on every DP row (168 rows), and on 29 TRT-LLM rows
    without ``attention_dp_size`` it equals ``batch_size × k`` with ``k`` = ``tp_size`` (MoE
    runs with attention DP enabled) or more (dense models served by ``k`` replicas).
    """
    adp = _int(row, prefix + "attention_dp_size")
    if prefix:
        return adp
    m = _SILICON_CONCURRENCY.search(row.get("silicon_data_source") or "")
    b = _int(row, "batch_size", 0)
    if m and b > 0:
        k = int(m.group(1)) // b
        if k > 1 and int(m.group(1)) == k * b:
            return k
    return adp


def row_concurrency(row: dict[str, str], dep: LLMDeployment) -> int:
    """Requests in flight on the deployment :func:`deployment_for_row` built [-].

    ``batch_size`` per DP rank times the recorded ranks (the benchmark's total concurrency)
    when the deployment runs attention data parallelism; ``batch_size`` alone for dense
    replicas (each predicted on its own) and for rack-scale rows, whose ``batch_size`` is the
    whole run's concurrency.
    """
    b = _int(row, "batch_size", 0)
    ranks = data_parallel_ranks(row)
    return b * ranks if ranks > 1 and dep.dp_attention > 1 else b


def precision_of(row: dict[str, str]) -> str:
    """Weight precision of a row: ``precision`` column, else the GEMM quant mode, else BF16."""
    p = (row.get("precision") or "").strip().lower()
    if p in ("fp8", "fp4", "int4", "int8", "bf16", "fp16"):
        return p
    g = (row.get("gemm_quant_mode") or "").lower()
    if "fp8" in g:
        return "fp8"
    if "fp4" in g:
        return "fp4"
    if "int4" in g:
        return "int4"
    return "bf16"


def kv_precision_of(engine: str, precision: str) -> str:
    """KV-cache precision an engine uses by default for a weight precision.

    TRT-LLM's quantized checkpoints (ModelOpt FP8/NVFP4 recipes) quantize the KV cache to FP8;
    vLLM and SGLang keep ``kv_cache_dtype=auto`` (the activation dtype, BF16) unless told.
    """
    if engine == "trtllm" and precision in ("fp8", "fp4"):
        return "fp8"
    return "bf16"


def deployment_for_row(
    row: dict[str, str],
    catalog: Catalog,
    coefficients: dict[str, EngineCoefficients] | None = None,
    prefix: str = "",
) -> LLMDeployment:
    """Build the deployment a serving-sample row ran (``prefix`` "prefill_"/"decode_" for disagg).

    Raises
    ------
    LookupError
        With a short reason when the row's model, system or engine is unknown.
    """
    model = (row.get("model_path") or "").strip()
    if not catalog.has("models", model):
        raise LookupError(f"unknown model {model} (add it to the catalog, e.g. from its "
                          "config.json)")
    arch = catalog.get("models", model, ModelArch)
    system = (row.get("system") or "").strip()
    try:
        accel = catalog.get("accelerators", system, Accelerator)
    except InputError:
        raise LookupError(f"unknown system {system}") from None
    engine = (row.get("backend") or "").strip().lower()
    if engine not in ENGINES:
        raise LookupError(f"unknown engine {engine}")
    tp = _int(row, prefix + "tp_size")
    pp = _int(row, prefix + "pp_size")
    adp = _int(row, prefix + "attention_dp_size")
    ep = _int(row, prefix + "moe_ep_size")
    ranks = data_parallel_ranks(row, prefix)
    if ranks > adp and arch.is_moe and tp % ranks == 0:
        # batch_size counts per DP rank (see data_parallel_ranks): MoE runs shard attention
        # data-parallel over the tp_size GPUs; dense models run independent replicas, each
        # predicted alone at batch_size
        tp, adp = tp // ranks, ranks
    if tp <= 8 and tp * adp > accel.nvlink_domain:
        # rows recording attention_dp_size = moe_tp × moe_ep (64 on an 8-GPU HGX board):
        # the DP ranks cannot outnumber the GPUs of the scale-up domain
        adp = max(1, accel.nvlink_domain // tp)
    if not arch.is_moe:
        ep = 1
    elif tp > 8:
        # Rows of rack-scale MoE runs record the world size as tp_size (e.g. tp 72, moe_tp 72
        # on GB200 NVL72, tp 64 = moe_tp 8 × moe_ep 8). No engine shards attention 16–72
        # ways (MLA's latent KV cannot be split by heads at all); these deployments run
        # attention data-parallel with wide expert parallelism, so model them that way.
        # The world cannot exceed the scale-up domain these single-system runs used (8 on
        # HGX, 72 on NVL72): tp 64 = moe_tp 8 × moe_ep 8 on an 8-GPU board is 8 GPUs.
        world = min(tp * adp, accel.nvlink_domain)
        tp, adp, ep = 1, world, min(world, arch.experts)
    coef = (coefficients or {}).get(engine)
    precision = precision_of(row)
    return LLMDeployment(
        arch=arch, accel=accel, precision=precision,
        kv_precision=kv_precision_of(engine, precision),
        tp=tp, pp=pp, ep=min(ep, tp * adp), dp_attention=adp, engine=engine,
        coefficients=coef,
    )


def predict_serving_row(
    row: dict[str, str],
    catalog: Catalog,
    coefficients: dict[str, EngineCoefficients] | None = None,
) -> ServingPrediction:
    """Predicted mean TTFT and TPOT of one serving-sample row [ms].

    Raises
    ------
    LookupError
        With the reason the row cannot be predicted.
    """
    isl = _float(row, "isl")
    osl = _float(row, "osl")
    if isl is None or osl is None:
        raise LookupError("missing isl/osl")
    mode = (row.get("mode") or "agg").strip()
    if mode == "agg":
        conc = _int(row, "batch_size", 0)
        if conc < 1:
            raise LookupError("missing batch_size")
        dep = deployment_for_row(row, catalog, coefficients)
        if weights_exceed_memory(dep):
            raise LookupError(DOES_NOT_FIT)
        conc = row_concurrency(row, dep)
        st = dep.steady_state(conc, isl, osl)
        ttft, tpot = st.ttft_s, st.tpot_s
    elif mode == "disagg":
        pre = deployment_for_row(row, catalog, coefficients, "prefill_")
        dec = deployment_for_row(row, catalog, coefficients, "decode_")
        conc = _int(row, "batch_size", 0)
        workers_p = _int(row, "prefill_num_workers")
        workers_d = _int(row, "decode_num_workers")
        if conc < 1:
            raise LookupError("missing batch_size")
        per_dec = max(1, round(conc / workers_d))
        st = dec.steady_state(per_dec, 1.0, osl)  # decode only: prompt arrives as KV
        ctx = isl + osl / 2.0
        tpot = dec.decode_step_time_s(per_dec, ctx)
        del st
        # prefill workers each see conc/workers_p prompts per request lifetime
        pb = max(1, _int(row, "prefill_batch_size"))
        ttft = pre.prefill_time_s(isl, pb) + pre.coef.t_ttft_s + tpot
        del workers_p
    else:
        raise LookupError(f"unknown mode {mode}")
    return ServingPrediction(
        ttft_ms=ttft * 1e3,
        tpot_ms=tpot * 1e3,
        measured_ttft_ms=_float(row, "silicon_ttft_ms"),
        measured_tpot_ms=_float(row, "silicon_tpot_ms"),
    )
