"""MLPerf predictor: precision choice, skips, and the Offline/power accuracy on the shared set."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Accelerator
from flatbed.perf.mlperf import Skip, mlperf_precision, predict_mlperf_row

CAT = builtin_catalog()
SHARED = Path(__file__).resolve().parents[1] / "data" / "validation"
MLPERF_CSV = SHARED / "mlperf_results.csv"


def test_precisions() -> None:
    h100 = CAT.get("accelerators", "h100_sxm", Accelerator)
    b200 = CAT.get("accelerators", "b200_sxm", Accelerator)
    b300 = CAT.get("accelerators", "b300_sxm", Accelerator)
    assert mlperf_precision("resnet50", "", h100, "v4.1") == "int8"
    assert mlperf_precision("bert", "99.9", h100, "v4.1") == "fp16"
    assert mlperf_precision("dlrm-v2", "99.9", h100, "v4.1") == "fp16"
    assert mlperf_precision("dlrm-v2", "99", h100, "v4.1") == "int8"
    assert mlperf_precision("llama2-70b", "99", h100, "v4.1") == "fp8"
    assert mlperf_precision("llama2-70b", "99", b200, "v5.1") == "fp4"
    assert mlperf_precision("resnet50", "", b300, "v5.1") == "fp8"  # B300 INT8 is de-rated


def test_skips_have_reasons() -> None:
    row = {"round": "v4.1", "system": "x", "accelerator": "H100-SXM-80GB",
           "accelerator_count": "8", "benchmark": "resnet50", "scenario": "Server",
           "value": "1", "units": "queries/s", "power_w": ""}
    with pytest.raises(Skip, match="serving simulator"):
        predict_mlperf_row(row, CAT)
    with pytest.raises(Skip, match="not in catalog"):
        predict_mlperf_row({**row, "scenario": "Offline", "accelerator": "TPU v9"}, CAT)
    with pytest.raises(Skip, match="not a metric"):
        predict_mlperf_row({**row, "units": "ms_p99_TTFT_measured"}, CAT)


def test_offline_and_power_accuracy() -> None:
    """Offline throughput median APE ≤ 12 %, SingleStream latency ≤ 15 % and power ≤ 10 % on
    NVIDIA/AMD data-center rows; ≥ 90 % of their Offline rows predicted."""
    off: list[float] = []
    pw: list[float] = []
    lat: list[float] = []
    offline_dc = predicted = 0
    with MLPERF_CSV.open() as fh:
        for r in csv.DictReader(fh):
            dc = CAT.has("accelerators", r["accelerator"])
            if dc and r["scenario"] == "Offline" and r["benchmark"] not in ("rnnt", "rgat"):
                offline_dc += 1
            try:
                preds = predict_mlperf_row(r, CAT)
            except Skip:
                continue
            if r["scenario"] == "Offline":
                predicted += 1
            for p in preds:
                ape = abs(p.predicted / p.measured - 1) * 100
                if p.metric == "throughput":
                    off.append(ape)
                elif p.metric == "power_w":
                    pw.append(ape)
                elif r["scenario"] == "SingleStream":
                    lat.append(ape)
    assert predicted >= 0.9 * offline_dc
    assert statistics.median(off) <= 12.0
    assert statistics.median(pw) <= 10.0
    assert statistics.median(lat) <= 15.0


def test_dlrm_v1_record_is_not_dlrm_v2_and_its_work_follows_the_architecture() -> None:
    """MLPerf ``dlrm-99``/``dlrm-99.9`` (rounds ≤ v3.0) is DLRM v1 on Criteo Terabyte; its FLOPs
    per sample recomputed from the reference layer widths (bottom 13-512-256-128, 26 tables of
    dimension 128 plus the dense vector in a pairwise dot interaction, top 479-1024-1024-512-
    256-1)."""
    from flatbed.catalog.records import VisionModel

    v1 = CAT.get("vision_models", "dlrm-99", VisionModel)
    assert v1.id == "DLRM-v1"
    assert CAT.get("vision_models", "dlrm-99.9", VisionModel).id == "DLRM-v1"
    assert CAT.get("vision_models", "dlrm-v2-99", VisionModel).id == "DLRM-v2"
    bottom, top = [13, 512, 256, 128], [128 + 27 * 26 // 2, 1024, 1024, 512, 256, 1]
    mac = sum(a * b for a, b in zip(bottom[:-1], bottom[1:], strict=True))
    mac += sum(a * b for a, b in zip(top[:-1], top[1:], strict=True))
    mac += 27 * 26 // 2 * 128
    # one MLPerf sample aggregates ~270 user-item pairs (reference --samples-to-aggregate-
    # quantile-file; mean estimated in the catalog record)
    assert v1.gflops_per_sample == pytest.approx(270 * 2 * mac / 1e9, rel=0.01)
    assert v1.task == "recommendation"


def test_dlrm_v1_offline_row_is_predicted() -> None:
    row = {"round": "v3.0", "system": "DGX-H100", "accelerator": "H100-SXM-80GB",
           "accelerator_count": "8", "benchmark": "dlrm-99", "scenario": "Offline",
           "value": "5366820.0", "units": "samples/s", "power_w": ""}
    (p,) = predict_mlperf_row(row, CAT)
    # published 5.37M samples/s (v3.0 DGX-H100 8x H100-SXM); the recommendation coefficients are
    # shared with DLRM-v2 and under-predict DLRM v1 (~30 % median): factor-2 band, error reported
    assert 5.37e6 / 2 < p.predicted < 5.37e6 * 2
