"""How well the LLM performance model transfers to rows it was not fitted on, and its ceiling.

Usage::

    .venv/bin/python benchmarks/bench_perf_generalization.py [--jobs 2] [--lomo]

The shipped engine coefficients are fitted on every Hopper ``agg`` row of the serving sample
(``docs/performance_model.md`` §1). That says little about rows from other systems, models or
engine versions, which is what a user's deployment will be. This script refits the coefficients
(:func:`flatbed.perf.calibration.fit_engine_coefficients`, the code behind ``flatbed
calibrate``) on subsets and prints median absolute percentage errors of mean TTFT and TPOT:

* **shipped** — the defaults, per system;
* **hold out a GPU** — fit on the H100 rows, predict the H200 rows, and the reverse;
* **ceiling on B200** — fit on the B200 rows and predict those same rows: the best this model
  form can do on them with any coefficients, so a lower bound on the datasheet-only error;
* **ceiling on one run group** — fit on the 176 rows of one engine version, model and GPU
  (TensorRT-LLM 1.0.0rc3, Qwen3-32B, H100): what is left is error the model's *form* cannot
  represent (e.g. how TTFT grows with concurrency in that engine build);
* **hold out a model family** — four folds over the Hopper rows (Llama; Qwen; DeepSeek, Kimi
  and GLM; MiniMax and gpt-oss): fit on three, predict the fourth. This is the error to expect
  for a model the coefficients have not seen, on an engine and GPU they have;
* with ``--lomo``, **leave one model out** instead, one fit per Hopper model (several minutes);
* **MLPerf**: measured ÷ predicted Offline throughput of the non-LLM benchmarks (P10 / P50 /
  P90; the vision range of ``flatbed.economics.uncertainty``), and the MaxQ/MaxP pairs against
  the power-cap curve (``flatbed.perf.power.CLOCK_POWER_EXPONENT``).

Every refit starts from the middle of the coefficient bounds
(:func:`flatbed.perf.calibration.neutral_start`), so nothing leaks from the shipped fit into a
held-out score. Each fit takes 10–60 s of one core; ``--jobs`` runs fits in parallel.
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from flatbed.catalog import builtin_catalog
from flatbed.perf.calibration import fit_engine_coefficients, neutral_start
from flatbed.perf.llm import ENGINES, EngineCoefficients
from flatbed.perf.serving_sample import predict_serving_row

SAMPLE = (Path(__file__).resolve().parents[1] / "tests" / "data" / "validation"
          / "serving_silicon_sample.csv")
Row = dict[str, str]


def _rows() -> list[Row]:
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r.get("mode") == "agg"]


def _fit_one(args: tuple[list[Row], str]) -> tuple[str, EngineCoefficients, int]:
    rows, engine = args
    coef, n = fit_engine_coefficients(rows, builtin_catalog(), engine, start=neutral_start(engine))
    return engine, coef, n


def fit(rows: Sequence[Row], pool: ProcessPoolExecutor) -> dict[str, EngineCoefficients]:
    """Coefficients of every engine with enough rows in ``rows`` (others keep the defaults)."""
    jobs = [(list(r for r in rows if r["backend"] == e), e) for e in ENGINES]
    out: dict[str, EngineCoefficients] = {}
    for engine, coef, n in pool.map(_fit_one, [j for j in jobs if j[0]]):
        if n >= 15:
            out[engine] = coef
    return out


_COEFS: dict[str, dict[str, EngineCoefficients]] = {}
"""Coefficients of each hold-out fold, by fold index (rows carry theirs in ``_fold``)."""


def errors(rows: Sequence[Row], coefs: dict[str, EngineCoefficients] | None,
           by_fold: bool = False) -> str:
    """``TTFT median / TPOT median APE % (n)`` over the predictable rows, and the P10 / P50 /
    P90 of delivered ÷ predicted output throughput (the closed loop's ``C / (TTFT + (osl − 1)
    TPOT)``; measured over predicted request lifetime inverted)."""
    cat = builtin_catalog()
    e = []
    for r in rows:
        try:
            p = predict_serving_row(r, cat, _COEFS[r["_fold"]] if by_fold else coefs)
        except LookupError:
            continue
        if p.measured_ttft_ms and p.measured_tpot_ms:
            n_dec = max(float(r["osl"]) - 1.0, 1.0)
            life = p.ttft_ms + n_dec * p.tpot_ms
            life_meas = p.measured_ttft_ms + n_dec * p.measured_tpot_ms
            e.append((abs(p.ttft_ms / p.measured_ttft_ms - 1),
                      abs(p.tpot_ms / p.measured_tpot_ms - 1), life / life_meas))
    if not e:
        return "no rows"
    a = np.array(e) * 100.0
    q = np.percentile(a[:, 2] / 100.0, [10, 50, 90])
    return (f"TTFT {np.median(a[:, 0]):5.1f} %  TPOT {np.median(a[:, 1]):5.1f} %  ({len(a)} rows; "
            f"throughput delivered/predicted P10 {q[0]:.2f} P50 {q[1]:.2f} P90 {q[2]:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--lomo", action="store_true", help="also leave each Hopper model out")
    a = ap.parse_args()
    rows = _rows()

    def on(*systems: str) -> list[Row]:
        return [r for r in rows if r["system"] in systems]

    t0 = time.perf_counter()
    print(f"serving sample agg rows: {len(rows)}; {platform.machine()} / "
          f"{platform.python_version()}")
    print("shipped coefficients (fitted on H100 + H200):")
    for s in ("h100_sxm", "h200_sxm", "b200_sxm", "b300_sxm", "gb200"):
        print(f"  {s:<10} {errors(on(s), None)}")
    with ProcessPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for train, test in (("h100_sxm", "h200_sxm"), ("h200_sxm", "h100_sxm")):
            c = fit(on(train), pool)
            print(f"fit on {train} only: {train} {errors(on(train), c)} | held-out {test} "
                  f"{errors(on(test), c)} | Blackwell "
                  f"{errors(on('b200_sxm', 'b300_sxm', 'gb200'), c)}")
        b200 = on("b200_sxm")
        print(f"ceiling, fit on b200_sxm and predict it: {errors(b200, fit(b200, pool))}")
        group = [r for r in on("h100_sxm") if r["backend"] == "trtllm"
                 and r["backend_version"] == "1.0.0rc3" and r["model_path"] == "Qwen/Qwen3-32B"]
        print(f"ceiling, fit on one run group (TensorRT-LLM 1.0.0rc3, Qwen3-32B, H100): "
              f"{errors(group, fit(group, pool))}")
        hop = on("h100_sxm", "h200_sxm")
        if a.lomo:
            folds = [(m,) for m in sorted({r["model_path"] for r in hop})]
        else:
            folds = [("Llama-3.1",), ("Qwen",), ("DeepSeek", "Kimi", "GLM"), ("MiniMax", "gpt-oss")]
        held: list[Row] = []
        for fold in folds:
            def out(r: Row, fold: tuple[str, ...] = fold) -> bool:
                return any(k in r["model_path"] for k in fold)
            c = fit([r for r in hop if not out(r)], pool)
            test = [r for r in hop if out(r)]
            print(f"  held out {', '.join(fold)}: {errors(test, c)}")
            held += [dict(r, _fold=str(folds.index(fold))) for r in test]
            _COEFS[str(folds.index(fold))] = c
        print(f"hold out each model {'' if a.lomo else 'family '}in turn (Hopper), pooled: "
              f"{errors(held, None, by_fold=True)}")
    mlperf()
    print(f"({time.perf_counter() - t0:.0f} s)")


def mlperf() -> None:
    """Non-LLM Offline measured ÷ predicted throughput, and MaxQ pairs vs the cap curve."""
    from flatbed.perf.mlperf import maxq_offline_pairs
    from flatbed.validate import validate_file

    path = SAMPLE.parent / "mlperf_results.csv"
    cat = builtin_catalog()
    rep = validate_file(path, cat)
    ratio = np.array([r.measured / r.predicted for r in rep.results
                      if r.scenario == "Offline" and r.metric == "throughput"
                      and cat.has("vision_models", r.model)])
    q = np.percentile(ratio, [10, 50, 90])
    print(f"MLPerf non-LLM Offline measured/predicted throughput ({len(ratio)} rows): "
          f"P10 {q[0]:.2f} P50 {q[1]:.2f} P90 {q[2]:.2f}")
    with path.open(newline="", encoding="utf-8") as fh:
        pairs = maxq_offline_pairs(list(csv.DictReader(fh)), cat)
    e = np.array([p.predicted_ratio / p.measured_ratio - 1.0 for p in pairs])
    print(f"MaxQ/MaxP Offline pairs ({len(e)}): measured ratio "
          f"{min(p.measured_ratio for p in pairs):.2f}-{max(p.measured_ratio for p in pairs):.2f}; "
          f"model error median {np.median(e):+.1%}, median |error| {np.median(np.abs(e)):.1%}")


if __name__ == "__main__":
    main()
