"""Throughput and latency of non-LLM models (CNNs, detectors, encoders, diffusion, speech, recsys).

Each :class:`~flatbed.catalog.records.VisionModel` is characterised by forward FLOPs per sample
at its reference resolution and activation traffic per sample. One batch takes

``t(b) = t_launch + (b·F/(P·η(b)))^n + (W + b·A)/(B·η_mem))^n)^(1/n)``

(a smooth roofline, see :data:`flatbed.perf.llm.ROOFLINE_SHARPNESS`), with ``F`` FLOPs per
sample scaled by pixel count for other resolutions, ``P`` the datasheet dense peak at the
precision, ``W`` weight bytes, ``A`` activation bytes per sample, ``B`` datasheet memory
bandwidth, and a batch-dependent achieved efficiency ``η(b) = η_max · b/(b + b_half)`` — small
batches leave tensor cores idle (the saturating form of the "Roofline with batch" analyses in
Jouppi et al. 2017, ISCA, §5). ``η_max`` per task is fitted on the Hopper MLPerf Offline rows,
``b_half`` and ``t_launch`` on the Hopper SingleStream rows (see ``docs/performance_model.md``).

A *sample* is one MLPerf sample as the submissions execute it (catalog
``vision_models.yaml``): BERT's ~170 unpadded tokens, a whole 3D-UNet CT volume (~88
sliding-window 128³ patches), a DLRM LoadGen sample of ~270 aggregated user-item pairs, so
``η_max`` is an achieved fraction of the datasheet peak in (0, 1].
:func:`server_batch_time_s` adds the per-sample host cost of an MLPerf Server run.
"""

from __future__ import annotations

from dataclasses import dataclass

from flatbed.catalog.records import Accelerator, VisionModel
from flatbed.perf.llm import ROOFLINE_SHARPNESS, bytes_per_value

ETA_MEM = 0.8
"""Achieved fraction of datasheet bandwidth for streaming weights/activations [-]. Estimate:
the STREAM-like copy bandwidth H100 SXM reaches is about 80–90% of 3.35 TB/s (NVIDIA
"CUDA samples bandwidthTest" figures quoted in the Hopper tuning guide, 2023)."""


@dataclass(frozen=True)
class TaskCoefficients:
    """Achieved efficiency of one task family.

    Attributes
    ----------
    eta_max : float
        Achieved fraction of datasheet peak at large batch [-].
    batch_half : float
        Batch at which half of ``eta_max`` is reached [samples].
    t_launch_s : float
        Fixed time per batch (kernel launches, pre/post-processing on the GPU) [s].
    t_query_s : float
        Extra latency of one query that a pipelined stream of batches hides: host issue,
        input copy over PCIe, result copy back [s] (:func:`query_latency_s` only).
    traffic_scale : float
        Multiplier on the catalog's activation traffic per sample [-]: below 1 where fused
        kernels keep activations on chip, above 1 where the catalog figure understates it.
    """

    eta_max: float
    batch_half: float
    t_launch_s: float
    traffic_scale: float = 1.0
    t_query_s: float = 0.0
    server_host_s_per_sample: float = 0.0


# eta_max and traffic_scale fitted on Hopper (H100-SXM/H200-SXM/H100-PCIe/H100-NVL, MaxP) MLPerf
# Offline rows by flatbed.perf.calibration.fit_task_coefficients (segmentation and
# recommendation: a grid over eta_max at traffic_scale 1.0, the record's computed bytes, which
# fits within ~1 point of the free fit; the encoder's fit wants 4.0 — 4x the INT8 tensor bytes,
# consistent with FP16 intermediates read and written by unfused softmax/layer-norm/GELU
# passes, an interpretation, not a derivation); batch_half and t_query_s by a grid search on the
# Hopper (H100-PCIe) SingleStream/MultiStream rows; server_host_s_per_sample as the median of
# count/measured − count/predicted over the Hopper Server rows (then checked with the
# simulator); t_launch_s estimates. Since the catalog's per-sample work is now the work the
# MLPerf submissions execute (BERT: the ~170 unpadded tokens; 3D-UNet: ~88 sliding-window 128³
# patches per volume; DLRM: ~270 user-item pairs per LoadGen sample), every eta_max is an
# achieved fraction of datasheet peak in (0, 1] (docs/performance_model.md, "Non-LLM models").
# The encoder fit is flat for eta_max 0.86–1.0 (median APE 3.3–4.5 %); the lower end is taken.
TASK_COEFFICIENTS: dict[str, TaskCoefficients] = {
    "classification": TaskCoefficients(
        0.47, 8.0, 2.0e-4, traffic_scale=0.543, t_query_s=2.0e-4, server_host_s_per_sample=2.4e-6
    ),
    "detection": TaskCoefficients(
        0.417, 0.5, 5.0e-4, traffic_scale=2.37, t_query_s=5.0e-4, server_host_s_per_sample=5.4e-5
    ),
    # batch_half in volumes: one volume's ~88 patches already fill the GPU. t_query_s: a lone
    # SingleStream volume takes ~2x its Offline share on H100-PCIe (466 ms vs ~200 ms); the
    # serial per-volume work (patch loop, Gaussian-weighted stitching, argmax) is fitted, not
    # derived. No Server scenario for 3D-UNet.
    "segmentation": TaskCoefficients(0.28, 0.02, 1.0e-3, traffic_scale=1.0, t_query_s=0.255),
    "encoder": TaskCoefficients(
        0.86, 0.25, 3.0e-4, traffic_scale=4.0, t_query_s=7.0e-4, server_host_s_per_sample=3.3e-5
    ),
    "diffusion": TaskCoefficients(0.265, 1.0, 5.0e-2, server_host_s_per_sample=1.9e-2),
    # no Whisper rows on Hopper in the validation set: a prior in the detection/diffusion range
    "speech": TaskCoefficients(0.3, 4.0, 1.0e-2),
    # batch_half in aggregated samples (~270 pairs each); fitted on DLRM-v2 and DLRM v1 rows
    "recommendation": TaskCoefficients(
        0.40, 0.25, 2.0e-4, traffic_scale=1.0, server_host_s_per_sample=1.0e-6
    ),
}


def vision_precision(accel: Accelerator, precision: str) -> str:
    """Precision actually run: ``precision`` if the datasheet lists a peak for it, else the
    nearest wider one available (int8/fp8 → fp8/int8 → fp16/bf16)."""
    peaks = accel.peak_dense_tflops
    order = {
        "int8": ("int8", "fp8", "fp16", "bf16"),
        "fp8": ("fp8", "int8", "fp16", "bf16"),
        "fp4": ("fp4", "fp8", "int8", "fp16", "bf16"),
        "int4": ("int4", "int8", "fp8", "fp16", "bf16"),
        "fp16": ("fp16", "bf16"),
        "bf16": ("bf16", "fp16"),
    }.get(precision, (precision, "fp16", "bf16"))
    for p in order:
        if p in peaks:
            return p
    return "fp16" if "fp16" in peaks else next(iter(peaks))


def batch_time_s(
    model: VisionModel,
    accel: Accelerator,
    batch: float,
    precision: str = "int8",
    resolution: tuple[int, int] | None = None,
    coefficients: TaskCoefficients | None = None,
) -> float:
    """Time to run one batch of ``batch`` samples on one accelerator [s].

    Parameters
    ----------
    model, accel
        Catalog records.
    batch
        Samples per batch [-], ≥ 1.
    precision
        Weight/activation precision (falls back as :func:`vision_precision` says).
    resolution
        Input (height, width) [px]; FLOPs and activations scale with the pixel count.
    coefficients
        Override the task's fitted :class:`TaskCoefficients`.
    """
    if batch < 1:
        raise ValueError("batch must be ≥ 1")
    c = coefficients or TASK_COEFFICIENTS[model.task]
    scale = 1.0
    if resolution is not None:
        h0, w0 = model.reference_resolution
        scale = (resolution[0] * resolution[1]) / float(h0 * w0)
    prec = vision_precision(accel, precision)
    peak = accel.peak_dense_tflops[prec] * 1e12  # type: ignore[index]
    eta = c.eta_max * batch / (batch + c.batch_half)
    t_compute = batch * model.gflops_per_sample * 1e9 * scale / (peak * eta)
    b = bytes_per_value(prec) if prec in ("int8", "fp8", "fp4", "int4") else 2.0
    weight_bytes = model.params_m * 1e6 * b
    if model.task == "recommendation":
        # embedding tables are gathered, not streamed: only the rows looked up are read;
        # activation_mb_per_sample carries those bytes
        weight_bytes = 0.0
    act_bytes = batch * model.activation_mb_per_sample * 1e6 * scale * c.traffic_scale
    t_memory = (weight_bytes + act_bytes) / (accel.memory_bandwidth_tb_per_s * 1e12 * ETA_MEM)
    n = ROOFLINE_SHARPNESS
    return float(c.t_launch_s + (t_compute**n + t_memory**n) ** (1.0 / n))


def query_latency_s(
    model: VisionModel,
    accel: Accelerator,
    batch: float = 1,
    precision: str = "int8",
    resolution: tuple[int, int] | None = None,
    coefficients: TaskCoefficients | None = None,
) -> float:
    """Latency of one query of ``batch`` samples issued alone (MLPerf SingleStream is batch 1,
    MultiStream batch 8) [s]: :func:`batch_time_s` plus the task's ``t_query_s``."""
    c = coefficients or TASK_COEFFICIENTS[model.task]
    return batch_time_s(model, accel, batch, precision, resolution, c) + c.t_query_s


def server_batch_time_s(
    model: VisionModel,
    accel: Accelerator,
    batch: float,
    precision: str = "int8",
    resolution: tuple[int, int] | None = None,
    coefficients: TaskCoefficients | None = None,
) -> float:
    """Time one batch of ``batch`` samples occupies an instance in an MLPerf Server run [s]:
    :func:`batch_time_s` plus ``batch`` × the task's ``server_host_s_per_sample``."""
    c = coefficients or TASK_COEFFICIENTS[model.task]
    return (batch_time_s(model, accel, batch, precision, resolution, c)
            + batch * c.server_host_s_per_sample)


def throughput_per_s(
    model: VisionModel,
    accel: Accelerator,
    batch: float,
    precision: str = "int8",
    resolution: tuple[int, int] | None = None,
    coefficients: TaskCoefficients | None = None,
) -> float:
    """Samples per second of one accelerator running batches of ``batch`` [1/s]."""
    return batch / batch_time_s(model, accel, batch, precision, resolution, coefficients)


def compute_bound_fraction(
    model: VisionModel, accel: Accelerator, batch: float, precision: str = "int8"
) -> float:
    """Share of the batch time the roofline attributes to compute rather than memory [-]
    (used by :mod:`flatbed.perf.power` to pick the power phase)."""
    c = TASK_COEFFICIENTS[model.task]
    prec = vision_precision(accel, precision)
    peak = accel.peak_dense_tflops[prec] * 1e12  # type: ignore[index]
    eta = c.eta_max * batch / (batch + c.batch_half)
    tc = batch * model.gflops_per_sample * 1e9 / (peak * eta)
    w = 0.0 if model.task == "recommendation" else model.params_m * 1e6
    tm = (w + batch * model.activation_mb_per_sample * 1e6 * c.traffic_scale) / (
        accel.memory_bandwidth_tb_per_s * 1e12 * ETA_MEM
    )
    return tc / (tc + tm) if tc + tm > 0 else 0.0
