"""Speed and accuracy of the performance model; prints the validation tables for the docs.

Usage::

    .venv/bin/python benchmarks/bench_perf.py [--markdown] [--mlperf]

* times ``flatbed.validate.validate_file`` over the whole serving sample (target < 10 s);
* prints median / p90 absolute percentage error of TTFT and TPOT on the acceptance subsets
  (``agg`` rows on Hopper — the rows the engine coefficients were fitted on — and on
  Blackwell, predicted from datasheets only);
* with ``--mlperf``, the MLPerf Offline / SingleStream / MultiStream / power errors (Server rows
  go through the serving simulator when it is installed, which can take minutes);
* with ``--markdown``, the same tables as Markdown for ``docs/performance_model.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

from flatbed.validate import RowResult, ValidationReport, validate_file

SHARED = Path(__file__).resolve().parents[1] / "tests" / "data" / "validation"
HOPPER = ("h100_sxm", "h200_sxm")
BLACKWELL = ("b200_sxm", "b300_sxm", "gb200")


def _line(name: str, rep: ValidationReport, where: object, md: bool) -> str:
    m = rep.metrics(where)  # type: ignore[arg-type]
    cells = [name]
    for metric in ("ttft_ms", "tpot_ms"):
        st = m.get(metric)
        cells.append("–" if st is None else f"{st['median_ape']:.1f} / {st['p90_ape']:.1f}")
    n = m["tpot_ms"]["n"] if "tpot_ms" in m else 0
    cells.append(str(int(n)))
    return "| " + " | ".join(cells) + " |" if md else "  ".join(f"{c:>24}" for c in cells)


def serving(md: bool) -> None:
    path = SHARED / "serving_silicon_sample.csv"
    t0 = time.perf_counter()
    rep = validate_file(path)
    dt = time.perf_counter() - t0
    print(f"validate serving sample: {rep.rows_total} rows, {rep.rows_predicted} predicted, "
          f"{dt:.2f} s (target < 10 s) on {platform.machine()} / {platform.python_version()}")
    if md:
        print("\n| subset | TTFT median / p90 APE % | TPOT median / p90 APE % | rows |")
        print("|---|---|---|---|")
    def on(systems: tuple[str, ...], engine: str | None = None) -> Callable[[RowResult], bool]:
        def where(r: RowResult) -> bool:
            return r.accelerator in systems and (engine is None or _engine[r.row] == engine)
        return where

    subsets = [
        ("agg, Hopper (fitted)", on(HOPPER)),
        ("agg, Blackwell (datasheet)", on(BLACKWELL)),
    ]
    for sys_ in HOPPER + BLACKWELL:
        subsets.append((f"agg, {sys_}", on((sys_,))))
    for eng in ("vllm", "sglang", "trtllm"):
        subsets.append((f"agg, Hopper, {eng}", on(HOPPER, eng)))
        subsets.append((f"agg, Blackwell, {eng}", on(BLACKWELL, eng)))
    import csv

    with path.open() as fh:
        _engine.update({i: row["backend"] for i, row in enumerate(csv.DictReader(fh), start=1)})
    for name, where in subsets:
        print(_line(name, rep, where, md))


_engine: dict[int, str] = {}


def mlperf(md: bool) -> None:
    t0 = time.perf_counter()
    rep = validate_file(SHARED / "mlperf_results.csv")
    dt = time.perf_counter() - t0
    print(f"\nvalidate MLPerf: {rep.rows_total} rows, {rep.rows_predicted} predicted, {dt:.1f} s")
    if md:
        print("\n| scenario | metric | n | median APE % | p90 APE % |")
        print("|---|---|---|---|---|")
    for scen in ("Offline", "SingleStream", "MultiStream", "Server", "Interactive"):
        def where(r: RowResult, s: str = scen) -> bool:
            return r.scenario == s
        for metric, st in rep.metrics(where).items():
            cells = [scen, metric, str(int(st["n"])), f"{st['median_ape']:.1f}",
                     f"{st['p90_ape']:.1f}"]
            print("| " + " | ".join(cells) + " |" if md else "  ".join(f"{c:>14}" for c in cells))
    print("skipped:")
    for reason, n in rep.skipped_by_reason().items():
        print(f"  {n:5d}  {reason}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--mlperf", action="store_true")
    a = ap.parse_args()
    serving(a.markdown)
    if a.mlperf:
        mlperf(a.markdown)


if __name__ == "__main__":
    main()
