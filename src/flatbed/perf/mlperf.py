"""Predict rows of the MLPerf Inference validation set (``mlperf_results.csv``).

* Offline throughput, SingleStream and MultiStream latency of the vision/encoder/diffusion/
  recommendation/speech benchmarks come from :mod:`flatbed.perf.vision`.
* LLM Offline throughput comes from :meth:`flatbed.perf.llm.LLMDeployment.steady_state` at the
  largest batch that fits, per replica, times the replicas in the system.
* System power comes from :mod:`flatbed.perf.power` plus a host share per server.
* Server and Interactive rows need the request-level serving simulator
  (``flatbed.serving.mlperf.predict_server_row``); rows whose unit is a *measured* latency
  (``ms_p99_TTFT_measured``) are not metrics and are skipped.

Benchmark parameters (token counts, precisions) are in :data:`LLM_BENCHMARKS` and
:func:`mlperf_precision`, each with its source in ``mlperf_notes.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from flatbed.catalog.loader import Catalog
from flatbed.catalog.records import Accelerator, ModelArch, VisionModel
from flatbed.errors import InputError
from flatbed.perf import power, vision
from flatbed.perf.llm import DEFAULT_COEFFICIENTS, EngineCoefficients, LLMDeployment

DATA_CENTER_VENDORS = ("nvidia", "amd")


@dataclass(frozen=True)
class LLMBenchmark:
    """Token counts of an MLPerf LLM benchmark (per sample)."""

    model: str
    isl: float
    osl: float
    beams: int = 1


LLM_BENCHMARKS: dict[str, LLMBenchmark] = {
    # output means: mlperf_notes.md (reference 294.45 tok for llama2, 69 for GPT-J via
    # token_latency_scaling_factor, ~129 for llama3.1-8b, 145 for mixtral, 684.68 for 405b,
    # 3,886 for DeepSeek-R1). Input means are estimates from the datasets' descriptions:
    # OpenOrca ≤1024 (system prompt + question, mean taken as 400), CNN-DailyMail articles
    # ≈ 800 tokens, the 405b long-context mix ≈ 9,400, R1's reasoning prompts ≈ 800.
    "llama2-70b": LLMBenchmark("Llama-2-70B", 400.0, 294.45),
    "gptj": LLMBenchmark("GPT-J-6B", 800.0, 69.0, beams=4),
    "llama3.1-8b": LLMBenchmark("Llama-3.1-8B", 800.0, 129.0),
    "mixtral-8x7b": LLMBenchmark("Mixtral-8x7B", 600.0, 145.0),
    "llama3.1-405b": LLMBenchmark("Llama-3.1-405B", 9400.0, 684.68),
    "deepseek-r1": LLMBenchmark("DeepSeek-R1", 800.0, 3886.0),
}

OFFLINE_BATCH: dict[str, float] = {
    "classification": 256.0, "detection": 32.0, "segmentation": 2.0, "encoder": 256.0,
    "diffusion": 8.0, "speech": 64.0, "recommendation": 1024.0,
}
"""Batch the Offline scenario runs at per GPU [samples] (NVIDIA's v4.1 configs use 2048 for
ResNet-50, 48 for RetinaNet, 8 for 3D-UNet, 1280 for BERT, 8 for SDXL; these values sit on the
flat part of ``η(b)`` so the prediction barely depends on them). Units follow the catalog's
samples: 3D-UNet in whole volumes (2 volumes ≈ 176 patches in flight), DLRM in aggregated
LoadGen samples of ~270 pairs (1024 ≈ 276k pairs, large enough that ``t_launch_s`` is < 5 % of
a batch; an estimate)."""

HOST_POWER_W = 500.0
"""Wall power of one server's non-GPU parts under load: CPUs, memory, fans, NICs, PSU loss [W].
Fitted (grid search, 100 W steps) together with :data:`MAXQ_CAP_FRACTION` to the 16
data-center rows with ``power_w`` (8× A100-PCIe and 8× H100-PCIe MaxQ, v3.0); within the
300–800 W range of two server CPUs plus fans/NICs/drives in PCIe GPU server spec sheets."""

MAXQ_CAP_FRACTION = 0.6
"""GPU power limit of "MaxQ" (power-efficiency) submissions as a fraction of TDP [-]. Fitted
with :data:`HOST_POWER_W` (see there); MaxQ submissions set GPU power limits well below TDP
(NVIDIA MLPerf MaxQ configurations, ``power_limit`` settings in ``closed/NVIDIA/configs``)."""


class Skip(LookupError):
    """A row that cannot be predicted, with the reason (grouped in the report)."""


def _norm_benchmark(name: str) -> tuple[str, str]:
    """(base benchmark, accuracy suffix) — 'bert-99.9' → ('bert', '99.9')."""
    for suf in ("-99.9", "-99"):
        if name.endswith(suf):
            return name[: -len(suf)], suf[1:]
    return name, ""


def mlperf_precision(benchmark: str, accuracy: str, accel: Accelerator, round_: str) -> str:
    """Precision the submitters ran (``mlperf_notes.md``: INT8 vision/BERT, FP8 LLMs on Hopper,
    FP4 on Blackwell in v5.x); BERT-99.9 needs FP16 to reach 99.9% accuracy."""
    peaks = accel.peak_dense_tflops
    if benchmark in LLM_BENCHMARKS:
        if "fp4" in peaks and round_ >= "v5.0":
            return "fp4"
        if "fp8" in peaks:
            return "fp8"
        return "bf16"
    if benchmark in ("bert", "dlrm-v2") and accuracy == "99.9":
        return "fp16"
    if benchmark in ("stable-diffusion-xl", "whisper"):
        return "fp8" if "fp8" in peaks else "fp16"
    if "int8" in peaks and peaks["int8"] >= peaks.get("fp8", 0.0):
        return "int8"
    return "fp8" if "fp8" in peaks else "fp16"


def _accel(row: dict[str, str], catalog: Catalog) -> Accelerator:
    name = (row.get("accelerator") or "").strip()
    try:
        acc = catalog.get("accelerators", name, Accelerator)
    except InputError:
        raise Skip(f"accelerator not in catalog ({name})") from None
    return acc


def _llm_offline_tokens_per_s(
    arch: ModelArch, accel: Accelerator, count: int, bench: LLMBenchmark, precision: str,
    engine: str,
) -> tuple[float, float]:
    """(output tokens/s of the system, memory-bound share) at the largest batch that fits."""
    best: tuple[float, float] | None = None
    for tp in (1, 2, 4, 8):
        if tp > count or count % tp:
            continue
        coef = offline_coefficients(engine)
        # beams run as sequences here, but a sample is one request to the engine: its
        # per-request host cost is shared by its beams
        coef = replace(coef, t_req_s=coef.t_req_s / bench.beams)
        dep = LLMDeployment(arch=arch, accel=accel, precision=precision,
                            kv_precision="fp8" if precision in ("fp8", "fp4") else "bf16",
                            tp=tp, engine=engine, coefficients=coef)
        seqs = dep.max_concurrency(bench.isl, bench.osl)
        if seqs < 8 * bench.beams:
            continue
        c = min(seqs, 2048)
        st = dep.steady_state(c, bench.isl, bench.osl)
        tok = st.output_tokens_per_s * (count // tp) / bench.beams
        mem = dep.decode_step_time_s(c, bench.isl + bench.osl / 2)
        share = 1.0 - min(1.0, st.prefill_iteration_s / max(st.decode_iteration_s, 1e-12) / 10)
        del mem
        if best is None or tok > best[0]:
            best = (tok, share)
        break  # smallest TP that fits is what submitters run per replica
    if best is None:
        raise Skip("model does not fit on the system's accelerators")
    return best


def offline_coefficients(engine: str) -> EngineCoefficients:
    """The engine's coefficients without the online-serving terms: an Offline run has no HTTP
    front end (``t_ttft_s``), streams no tokens to clients (``t_seq_s``) and issues all
    samples at once, so no synchronised-wave TTFT term (``wave_weight``). The engine's own
    per-request cost ``t_req_s`` stays (dropping it over-predicts the Llama Offline rows
    1.2–2.8×)."""
    return replace(DEFAULT_COEFFICIENTS[engine], t_seq_s=0.0, t_ttft_s=0.0, wave_weight=0.0)


@dataclass(frozen=True)
class MLPerfPrediction:
    """One predicted MLPerf metric."""

    metric: str  # throughput | latency_ms | power_w
    predicted: float
    measured: float


def predict_mlperf_row(row: dict[str, str], catalog: Catalog) -> list[MLPerfPrediction]:
    """Predictions for one MLPerf row: its metric and, where ``power_w`` is given, power.

    Raises
    ------
    Skip
        With the reason the row is not predicted.
    """
    units = (row.get("units") or "").strip()
    if "measured" in units:
        raise Skip("measured latency, not a metric row")
    scenario = (row.get("scenario") or "").strip()
    if scenario in ("Server", "Interactive"):
        raise Skip("Server/Interactive need the serving simulator")
    acc = _accel(row, catalog)
    if acc.vendor not in DATA_CENTER_VENDORS:
        raise Skip("not an NVIDIA/AMD data-center accelerator")
    try:
        measured = float(row["value"])
        count = int(float(row.get("accelerator_count") or 1))
    except (KeyError, ValueError):
        raise Skip("unreadable value") from None
    bench, accuracy = _norm_benchmark((row.get("benchmark") or "").strip())
    round_ = (row.get("round") or "").strip()
    maxq = "maxq" in (row.get("system") or "").lower()
    prec = mlperf_precision(bench, accuracy, acc, round_)
    engine = "vllm" if acc.vendor == "amd" else "trtllm"
    out: list[MLPerfPrediction] = []
    mem_share = 0.3
    base_bench = bench.replace("-edge", "")
    if base_bench in LLM_BENCHMARKS:
        b = LLM_BENCHMARKS[base_bench]
        if not catalog.has("models", b.model):
            raise Skip(f"model {b.model} not in catalog")
        arch = catalog.get("models", b.model, ModelArch)
        if scenario == "Offline":
            tok, mem_share = _llm_offline_tokens_per_s(arch, acc, count, b, prec, engine)
            pred = tok if units == "tokens/s" else tok / b.osl
            out.append(MLPerfPrediction("throughput", pred, measured))
        elif scenario == "SingleStream":
            dep = LLMDeployment(arch=arch, accel=acc, precision=prec, tp=1, engine=engine)
            st = dep.steady_state(b.beams, b.isl, b.osl)
            out.append(MLPerfPrediction(
                "latency_ms", (st.ttft_s + (b.osl - 1) * st.tpot_s) * 1e3, measured))
            mem_share = 0.9
        else:
            raise Skip(f"scenario {scenario} not modelled for LLMs")
    else:
        if not catalog.has("vision_models", bench):
            raise Skip(f"no model record for benchmark {bench}")
        model = catalog.get("vision_models", bench, VisionModel)
        if scenario == "Offline":
            batch = OFFLINE_BATCH[model.task]
            pred = count * vision.throughput_per_s(model, acc, batch, prec)
            if maxq:
                cb = vision.compute_bound_fraction(model, acc, batch, prec)
                pred *= float(power.throughput_fraction_at_power_cap(MAXQ_CAP_FRACTION, 1 - cb))
            out.append(MLPerfPrediction("throughput", pred, measured))
            mem_share = 1.0 - vision.compute_bound_fraction(model, acc, batch, prec)
        elif scenario == "SingleStream":
            out.append(MLPerfPrediction(
                "latency_ms", vision.query_latency_s(model, acc, 1, prec) * 1e3, measured))
            mem_share = 0.5
        elif scenario == "MultiStream":
            out.append(MLPerfPrediction(
                "latency_ms", vision.query_latency_s(model, acc, 8, prec) * 1e3, measured))
            mem_share = 0.5
        else:
            raise Skip(f"scenario {scenario} not modelled")
    pw = (row.get("power_w") or "").strip()
    if pw:
        try:
            measured_w = float(pw)
        except ValueError:
            measured_w = math.nan
        if measured_w > 0:
            out.append(MLPerfPrediction(
                "power_w", system_power_w(acc, count, mem_share, maxq), measured_w))
    return out


def system_power_w(accel: Accelerator, count: int, memory_bound_share: float, maxq: bool) -> float:
    """Average wall power of an MLPerf system under full load [W]: GPUs at their phase blend
    (capped at :data:`MAXQ_CAP_FRACTION` of TDP for MaxQ) plus :data:`HOST_POWER_W` per server
    of up to 8 GPUs."""
    m = min(max(memory_bound_share, 0.0), 1.0)
    gpu = (1 - m) * float(power.gpu_power_w(accel, 1.0, "compute")) + m * float(
        power.gpu_power_w(accel, 1.0, "memory")
    )
    if maxq:
        gpu = min(gpu, MAXQ_CAP_FRACTION * accel.tdp_w)
    servers = max(1, math.ceil(count / 8))
    return count * gpu + servers * HOST_POWER_W


@dataclass(frozen=True)
class MaxQPair:
    """An MLPerf Offline result of a GPU-power-limited ("MaxQ") system and its unlimited twin
    (same round, accelerator, count and benchmark): the measured throughput ratio and the
    model's at :data:`MAXQ_CAP_FRACTION`."""

    accelerator: str
    benchmark: str
    measured_ratio: float
    predicted_ratio: float


def maxq_offline_pairs(rows: list[dict[str, str]], catalog: Catalog) -> list[MaxQPair]:
    """Every non-LLM MaxQ Offline row with an unlimited twin in ``rows`` (MLPerf results CSV
    rows; the twin is the best unlimited result of the same configuration), predicted with
    :func:`flatbed.perf.power.throughput_fraction_at_power_cap` at the benchmark's
    compute-bound share."""

    def key(r: dict[str, str]) -> tuple[str, ...]:
        return (r["round"], r["accelerator"], r["accelerator_count"], r["benchmark"],
                r["scenario"])

    maxp: dict[tuple[str, ...], float] = {}
    for r in rows:
        if "MaxQ" not in r["system"]:
            maxp[key(r)] = max(maxp.get(key(r), 0.0), float(r["value"]))
    out = []
    for q in rows:
        if ("MaxQ" not in q["system"] or q["scenario"] != "Offline" or key(q) not in maxp
                or not catalog.has("vision_models", q["benchmark"])
                or not catalog.has("accelerators", q["accelerator"])):
            continue
        model = catalog.get("vision_models", q["benchmark"], VisionModel)
        acc = catalog.get("accelerators", q["accelerator"], Accelerator)
        cb = vision.compute_bound_fraction(model, acc, OFFLINE_BATCH[model.task], "int8")
        pred = float(power.throughput_fraction_at_power_cap(MAXQ_CAP_FRACTION, 1 - cb))
        out.append(MaxQPair(acc.id, q["benchmark"], float(q["value"]) / maxp[key(q)], pred))
    return out
