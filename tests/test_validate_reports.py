"""flatbed.validate: format detection, predictions, skips, JSON shape and the CLI command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flatbed.errors import InputError
from flatbed.perf.commands import register
from flatbed.validate import METRICS, detect_kind, validate_file

SHARED = Path(__file__).resolve().parent / "data" / "validation"
SERVING_CSV = SHARED / "serving_silicon_sample.csv"
MLPERF_CSV = SHARED / "mlperf_results.csv"

SERVING_COLS = (
    "id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,"
    "gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,"
    "moe_ep_size,prefill_batch_size,prefill_num_workers,prefill_tp_size,prefill_pp_size,"
    "prefill_attention_dp_size,prefill_moe_tp_size,prefill_moe_ep_size,decode_batch_size,"
    "decode_num_workers,decode_tp_size,decode_pp_size,decode_attention_dp_size,"
    "decode_moe_tp_size,decode_moe_ep_size,silicon_ttft_ms,silicon_tpot_ms"
)
# Three real rows of the serving sample (aiconfigurator silicon_sample.csv, Apache-2.0):
# Llama-3.1-8B TRT-LLM on H100 (tp1, 1024/128 at concurrency 16 and 64), plus one row whose
# model flatbed does not know and one disaggregated row.
SERVING_ROWS = [
    "a,src,trtllm,1.0.0rc3,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,,agg,1024,128,,,16,1,1,,1,"
    "1,,,,,,,,,,,,,,,144.0,9.77",
    "b,src,trtllm,1.0.0rc3,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,,agg,1024,128,,,64,1,1,,1,"
    "1,,,,,,,,,,,,,,,176.9,20.05",
    "c,src,vllm,0.18.0,acme/unknown-model-7b,h100_sxm,,agg,1024,128,,,16,1,1,,1,1,,,,,,,,,,,,"
    ",,,100.0,10.0",
    "d,src,trtllm,1.0.0rc3,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,,disagg,1024,128,,,16,,,,,"
    ",1,1,1,1,,1,1,16,1,1,1,,1,1,150.0,9.0",
]
MLPERF_COLS = (
    "round,submitter,system,accelerator,accelerator_count,benchmark,scenario,value,units,"
    "power_w,source"
)
MLPERF_ROWS = [
    'v4.0,NVIDIA,"DGX H100 (8x) [x]",H100-SXM-80GB,8,resnet50,Offline,703770,samples/s,,src',
    'v4.0,NVIDIA,"DGX H100 (8x) [x]",H100-SXM-80GB,8,resnet50,Server,584147.32,queries/s,,src',
    'v4.0,NVIDIA,"DGX H100 (2x) [x]",H100-SXM-80GB,2,llama2-70b-99.9,Server,596.24,'
    "ms_p99_TTFT_measured,,src",
    'v3.0,Gigabyte,"G482 (8x A100-PCIe-80GB, MaxQ) [x]",A100-PCIe-80GB,8,bert-99,Offline,'
    "22396.7,samples/s,2524.6,src",
    'v3.0,NVIDIA,"Jetson AGX Orin [x]",Jetson-AGX-Orin,1,resnet50,Offline,4697.31,samples/s,'
    "70.2,src",
]


def _write(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    p = tmp_path / name
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_detect_kind() -> None:
    assert detect_kind(SERVING_COLS.split(",")) == "serving"
    assert detect_kind(MLPERF_COLS.split(",")) == "mlperf"
    with pytest.raises(InputError, match="unrecognised"):
        detect_kind(["a", "b"])


def test_serving_rows_predicted_and_skipped(tmp_path: Path) -> None:
    rep = validate_file(_write(tmp_path, "s.csv", SERVING_COLS, SERVING_ROWS))
    assert rep.kind == "serving" and rep.rows_total == 4
    assert rep.rows_predicted == 2
    reasons = rep.skipped_by_reason()
    assert any("unknown model" in r for r in reasons)
    assert any("disaggregated" in r for r in reasons)
    by = {(r.row, r.metric): r for r in rep.results}
    # the model should land near the measurement for this well-behaved dense case
    assert by[(1, "tpot_ms")].ape < 25
    assert by[(2, "tpot_ms")].ape < 25
    assert by[(2, "tpot_ms")].predicted > by[(1, "tpot_ms")].predicted  # more concurrency
    m = rep.metrics()
    assert set(m) == {"ttft_ms", "tpot_ms"} and m["tpot_ms"]["n"] == 2


def test_mlperf_rows(tmp_path: Path) -> None:
    rep = validate_file(_write(tmp_path, "m.csv", MLPERF_COLS, MLPERF_ROWS))
    assert rep.kind == "mlperf"
    metrics = {(r.row, r.metric) for r in rep.results}
    assert (1, "throughput") in metrics
    assert (4, "throughput") in metrics and (4, "power_w") in metrics
    skipped = dict(rep.skipped)
    assert "measured" in skipped[3]
    assert 5 in skipped  # Jetson is not a data-center accelerator in the catalog
    resnet = next(r for r in rep.results if r.row == 1)
    assert resnet.ape < 20  # fitted family, a Hopper Offline row


def test_json_shape(tmp_path: Path) -> None:
    rep = validate_file(_write(tmp_path, "s.csv", SERVING_COLS, SERVING_ROWS))
    data = json.loads(rep.dumps())
    assert set(data["metrics"]) <= set(METRICS)
    for st in data["metrics"].values():
        assert set(st) == {"n", "median_ape", "p90_ape"}
    assert all(set(s) == {"row", "reason"} for s in data["skipped"])
    assert {"row", "metric", "predicted", "measured", "ape"} <= set(data["rows"][0])
    assert "by_accelerator" in data and "by_model" in data


def test_cli_validate_json_and_errors(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    f = _write(tmp_path, "s.csv", SERVING_COLS, SERVING_ROWS)
    res = runner.invoke(app, ["validate", str(f), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["tpot_ms"]["n"] == 2
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 0 and "tpot_ms" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = runner.invoke(app, ["validate", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2


def test_serving_sample_accuracy_regression_guard() -> None:
    """Whole serving sample: coverage and error levels (regression guard at today's levels;
    the issue's targets — TPOT ≤ 10 %, TTFT ≤ 20 % — are not met yet, see the docs)."""
    rep = validate_file(SERVING_CSV)
    with SERVING_CSV.open() as fh:
        agg_hopper = sum(
            1 for r in csv.DictReader(fh)
            if r["mode"] == "agg" and r["system"] in ("h100_sxm", "h200_sxm")
        )
    hop = rep.metrics(lambda r: r.accelerator in ("h100_sxm", "h200_sxm"))
    assert hop["tpot_ms"]["n"] >= 0.9 * agg_hopper
    assert hop["tpot_ms"]["median_ape"] < 13.0
    assert hop["ttft_ms"]["median_ape"] < 30.0
    bw = rep.metrics(lambda r: r.accelerator in ("b200_sxm", "b300_sxm", "gb200"))
    assert bw["tpot_ms"]["median_ape"] < 21.0
    assert bw["ttft_ms"]["median_ape"] < 38.0
