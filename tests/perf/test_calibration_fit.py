"""Calibration: the fit recovers known coefficients from rows the model itself generated, and
the YAML round trip works."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flatbed.catalog import builtin_catalog
from flatbed.errors import InputError
from flatbed.perf.calibration import (
    fit_engine_coefficients,
    load_coefficients,
    save_coefficients,
)
from flatbed.perf.llm import DEFAULT_COEFFICIENTS
from flatbed.perf.serving_sample import deployment_for_row

CAT = builtin_catalog()


def _rows(coef_engine: str, truth: object) -> list[dict[str, str]]:
    rows = []
    for model, tp in (("meta-llama/Llama-3.1-8B-Instruct", 1), ("Qwen/Qwen3-32B", 2),
                      ("meta-llama/Llama-3.1-70B", 4), ("Qwen/Qwen3-235B-A22B-FP8", 8)):
        for isl, osl in ((1024, 128), (4096, 512), (1024, 2048)):
            for c in (1, 8, 64):
                row = {"model_path": model, "system": "h200_sxm", "backend": coef_engine,
                       "precision": "fp8", "mode": "agg", "isl": str(isl), "osl": str(osl),
                       "batch_size": str(c), "tp_size": str(tp), "pp_size": "1",
                       "attention_dp_size": "1", "moe_tp_size": str(tp), "moe_ep_size": "1"}
                dep = deployment_for_row(row, CAT).with_coefficients(truth)  # type: ignore[arg-type]
                st = dep.steady_state(c, isl, osl)
                row["silicon_ttft_ms"] = str(st.ttft_s * 1e3)
                row["silicon_tpot_ms"] = str(st.tpot_s * 1e3)
                rows.append(row)
    return rows


def test_fit_recovers_synthetic_truth() -> None:
    base = DEFAULT_COEFFICIENTS["vllm"]
    truth = replace(base, eta_mem=0.55, eta_gemm=0.5, t_ttft_s=0.03)
    rows = _rows("vllm", truth)
    seen: list[tuple[str, int, int]] = []
    fitted, n = fit_engine_coefficients(rows, CAT, "vllm", start=base,
                                        progress=lambda *a: seen.append(a))
    assert n == len(rows)
    # progress is reported once per evaluation of the model over every row
    assert seen and [e for _, _, e in seen] == list(range(1, len(seen) + 1))
    assert {(eng, k) for eng, k, _ in seen} == {("vllm", len(rows))}
    # the two dominant, well-identified coefficients come back
    assert fitted.eta_mem == pytest.approx(0.55, rel=0.1)
    assert fitted.eta_gemm == pytest.approx(0.5, rel=0.2)
    # and the fitted model reproduces the rows
    for r in rows[::5]:
        dep = deployment_for_row(r, CAT).with_coefficients(fitted)
        st = dep.steady_state(int(r["batch_size"]), float(r["isl"]), float(r["osl"]))
        assert st.tpot_s * 1e3 == pytest.approx(float(r["silicon_tpot_ms"]), rel=0.05)


def test_yaml_round_trip_and_errors(tmp_path: Path) -> None:
    c = {"trtllm": replace(DEFAULT_COEFFICIENTS["trtllm"], eta_mem=0.5)}
    p = tmp_path / "calib.yaml"
    save_coefficients(c, p)
    back = load_coefficients(p)
    assert back["trtllm"] == c["trtllm"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("trtllm: {eta_warp: 1}\n")
    with pytest.raises(InputError, match="unknown coefficients"):
        load_coefficients(bad)
    bad.write_text("tgi: {eta_mem: 1}\n")
    with pytest.raises(InputError):
        load_coefficients(bad)
    with pytest.raises(InputError):
        fit_engine_coefficients([], CAT, "tgi")
