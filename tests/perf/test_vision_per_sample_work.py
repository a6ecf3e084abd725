"""Per-sample work of the MLPerf non-LLM records, recomputed from the architectures, and the
fitted task coefficients staying physical (achieved fraction of peak in (0, 1])."""

from __future__ import annotations

import math

import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator, VisionModel
from flatbed.perf import vision

CAT = builtin_catalog()
PAIRS_PER_SAMPLE = 270  # DLRM aggregated LoadGen sample, estimate documented in the records


def _model(name: str) -> VisionModel:
    return CAT.get("vision_models", name, VisionModel)


def _unet3d_patch_macs() -> float:
    """Brute-force MAC count of the MLPerf KiTS19 3D U-Net on one 128³ patch."""
    filters, res = [32, 64, 128, 256, 320, 320], [128, 64, 32, 16, 8, 4]
    macs = 0
    cin = 1
    for f, r in zip(filters, res, strict=True):  # encoder: two 3x3x3 convs per level
        macs += r**3 * (cin * f + f * f) * 27
        cin = f
    for i in range(5, 0, -1):  # decoder: 2x2x2 stride-2 transposed conv, then two convs
        r, c_in, c_out = res[i - 1], filters[i], filters[i - 1]
        macs += r**3 * c_in * c_out  # each output voxel sees one kernel tap
        macs += r**3 * (2 * c_out * c_out + c_out * c_out) * 27
    macs += 128**3 * 32 * 3  # 1x1x1 output conv to 3 classes
    return float(macs)


def test_3d_unet_volume_is_many_sliding_window_patches() -> None:
    patch_gflop = 2 * _unet3d_patch_macs() / 1e9
    assert patch_gflop == pytest.approx(954.6, rel=0.001)
    # 5 x 5 x 3.5 window positions at stride 64 (record's estimate of the mean KiTS19 volume)
    patches = 5 * 5 * 3.5
    assert _model("3d-unet-99").gflops_per_sample == pytest.approx(patches * patch_gflop, rel=0.01)
    # a whole volume is far more than the "100-300 GFLOPs" once catalogued: ≥ 48 patches
    assert _model("3d-unet-99").gflops_per_sample > 48 * patch_gflop


def test_dlrm_v2_work_follows_the_dcnv2_reference() -> None:
    d = 27 * 128
    bottom = 13 * 512 + 512 * 256 + 256 * 128
    cross = 3 * (d * 512 + 512 * d)
    top = d * 1024 + 1024 * 1024 + 1024 * 512 + 512 * 256 + 256 * 1
    per_pair = 2.0 * (bottom + cross + top) / 1e9
    m = _model("dlrm-v2-99")
    assert m.gflops_per_sample == pytest.approx(PAIRS_PER_SAMPLE * per_pair, rel=0.01)
    multi_hot = [3, 2, 1, 2, 6, 1, 1, 1, 1, 7, 3, 8, 1, 6, 9, 5, 1, 1, 1, 12, 100, 27, 10, 3, 1, 1]
    assert sum(multi_hot) == 214
    gathered_mb = PAIRS_PER_SAMPLE * sum(multi_hot) * 128 * 4 / 1e6
    assert m.activation_mb_per_sample == pytest.approx(gathered_mb, rel=0.01)


def test_bert_work_is_the_executed_tokens_not_the_padding() -> None:
    layers, h, ff = 24, 1024, 4096
    weights = layers * (4 * h * h + 2 * h * ff)

    def gflop(s: int) -> float:
        return (2 * weights * s + layers * 4 * s * s * h) / 1e9

    assert gflop(384) == pytest.approx(246.4, rel=0.001)
    bert = _model("bert-99")
    assert bert.gflops_per_sample == pytest.approx(gflop(170), rel=0.01)
    assert bert.gflops_per_sample < gflop(384)


def test_resnet50_is_two_flops_per_mac() -> None:
    assert _model("resnet50").gflops_per_sample == pytest.approx(2 * 4.09, rel=0.01)


def test_every_task_coefficient_is_physical() -> None:
    for task, c in vision.TASK_COEFFICIENTS.items():
        assert 0.0 < c.eta_max <= 1.0, task
        assert c.batch_half > 0 and c.t_launch_s >= 0 and c.t_query_s >= 0, task
        assert 0.1 <= c.traffic_scale <= 10.0, task
        assert c.server_host_s_per_sample >= 0.0, task


def test_achieved_compute_never_exceeds_peak() -> None:
    """At any batch, executed FLOPs / time stays below the datasheet peak for every model."""
    for acc_name in ("H100-SXM-80GB", "H100-PCIe-80GB", "A100-SXM-80GB", "L4", "b200_sxm"):
        acc = CAT.get("accelerators", acc_name, Accelerator)
        for m in [r for r in CAT.all("vision_models") if isinstance(r, VisionModel)]:
            for b in (1, 8, 64, 1024):
                prec = vision.vision_precision(acc, "int8")
                peak = acc.peak_dense_tflops[prec] * 1e12  # type: ignore[index]
                rate = m.gflops_per_sample * 1e9 * vision.throughput_per_s(m, acc, b, prec)
                assert rate < peak, (m.id, acc_name, b)


def test_mlperf_per_sample_rates_match_published_hopper_scale() -> None:
    """Independent spot checks against published MLPerf rows (8x H100-SXM, per GPU)."""
    h100 = CAT.get("accelerators", "H100-SXM-80GB", Accelerator)
    cases = [  # (model, published per-GPU samples/s, source row)
        ("3d-unet-99", 55.113 / 8, "v3.0 DGX-H100 8x Offline 55.113"),
        ("dlrm-v2-99", 568422 / 8, "v4.0 DGX-H100 8x Offline 568,422"),
    ]
    for name, per_gpu, _src in cases:
        pred = vision.throughput_per_s(_model(name), h100, 2 if "unet" in name else 1024, "int8")
        assert math.isclose(pred, per_gpu, rel_tol=0.25), (name, pred, per_gpu)
