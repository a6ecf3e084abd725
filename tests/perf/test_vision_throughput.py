"""Non-LLM throughput model: every task, batch and resolution behaviour."""

from __future__ import annotations

import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator, VisionModel
from flatbed.perf.vision import (
    TASK_COEFFICIENTS,
    TaskCoefficients,
    batch_time_s,
    query_latency_s,
    throughput_per_s,
    vision_precision,
)

CAT = builtin_catalog()
H100 = CAT.get("accelerators", "h100_sxm", Accelerator)
L4 = CAT.get("accelerators", "l4", Accelerator)
B300 = CAT.get("accelerators", "b300_sxm", Accelerator)
MODELS = [m for m in CAT.all("vision_models") if isinstance(m, VisionModel)]


def test_every_catalog_model_and_task_predicts() -> None:
    tasks = {m.task for m in MODELS}
    assert tasks <= set(TASK_COEFFICIENTS)
    for m in MODELS:
        for acc in (H100, L4, B300):
            t = batch_time_s(m, acc, 8, "int8")
            assert 0 < t < 3600
            assert throughput_per_s(m, acc, 8, "int8") == pytest.approx(8 / t)


def test_throughput_grows_with_batch_and_saturates() -> None:
    resnet = CAT.get("vision_models", "resnet50", VisionModel)
    thr = [throughput_per_s(resnet, H100, b) for b in (1, 2, 8, 64, 512, 4096)]
    assert thr == sorted(thr)
    assert thr[-1] / thr[-2] < 1.05  # saturated
    # latency never shrinks with batch
    times = [batch_time_s(resnet, H100, b) for b in (1, 2, 8, 64)]
    assert times == sorted(times)


def test_resolution_scales_work() -> None:
    yolo = CAT.get("vision_models", "yolov8m", VisionModel)
    big = batch_time_s(yolo, H100, 64, resolution=(1280, 1280))
    ref = batch_time_s(yolo, H100, 64)
    c = TASK_COEFFICIENTS["detection"]
    # 4x the pixels: the variable part scales by 4 (both roofline terms scale with pixels)
    assert (big - c.t_launch_s) == pytest.approx(4 * (ref - c.t_launch_s), rel=0.15)


def test_faster_accelerator_is_faster() -> None:
    bert = CAT.get("vision_models", "bert-large", VisionModel)
    assert throughput_per_s(bert, H100, 256, "int8") > throughput_per_s(bert, L4, 256, "int8")


def test_compute_bound_closed_form() -> None:
    """With no memory traffic and no launch cost, time = b·F/(P·η(b))."""
    m = CAT.get("vision_models", "resnet50", VisionModel).model_copy(
        update={"activation_mb_per_sample": 0.0, "params_m": 1e-6}
    )
    coef = TaskCoefficients(eta_max=0.5, batch_half=4.0, t_launch_s=0.0)
    b = 32
    eta = 0.5 * b / (b + 4.0)
    expected = b * m.gflops_per_sample * 1e9 / (H100.peak_dense_tflops["int8"] * 1e12 * eta)
    assert batch_time_s(m, H100, b, "int8", coefficients=coef) == pytest.approx(expected, rel=1e-3)


def test_query_latency_adds_unhidden_host_time() -> None:
    resnet = CAT.get("vision_models", "resnet50", VisionModel)
    c = TASK_COEFFICIENTS["classification"]
    assert query_latency_s(resnet, H100, 1) == pytest.approx(
        batch_time_s(resnet, H100, 1) + c.t_query_s
    )
    # MultiStream (8 samples) takes longer than SingleStream but far less than 8x
    assert query_latency_s(resnet, H100, 1) < query_latency_s(resnet, H100, 8) < 8 * (
        query_latency_s(resnet, H100, 1)
    )


def test_precision_fallbacks() -> None:
    assert vision_precision(H100, "int8") == "int8"
    assert vision_precision(H100, "fp4") == "fp8"  # Hopper has no FP4 tensor cores
    # B300's INT8 is de-rated; the datasheet still lists it, so int8 stays int8 here and the
    # MLPerf predictor (not this function) decides to run FP8 instead
    assert vision_precision(B300, "fp8") == "fp8"
    with pytest.raises(ValueError):
        batch_time_s(MODELS[0], H100, 0)
