"""Validate the performance model against published measurements (``flatbed validate FILE``).

Two formats are recognised from their header:

* the aiconfigurator serving sample (columns ``silicon_ttft_ms``, ``silicon_tpot_ms``): mean
  TTFT and TPOT of closed-loop runs, predicted by :mod:`flatbed.perf.serving_sample`;
* MLPerf Inference results (columns ``benchmark``, ``scenario``, ``value``, ``units``): Offline
  throughput, SingleStream/MultiStream latency and system power, predicted by
  :mod:`flatbed.perf.mlperf`; Server/Interactive rows by the serving simulator
  (``flatbed.serving.mlperf.predict_server_row``).

The report lists every prediction with its absolute percentage error (APE), every skipped row
with its reason, and median/p90 APE per metric, per accelerator and per model or benchmark.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flatbed.api import callable_module
from flatbed.catalog.loader import Catalog, load_catalog
from flatbed.errors import InputError
from flatbed.perf.llm import EngineCoefficients
from flatbed.perf.mlperf import Skip, predict_mlperf_row
from flatbed.perf.serving_sample import predict_serving_row

METRICS = ("ttft_ms", "tpot_ms", "throughput", "latency_ms", "power_w")
SERVING_HEADER = {"model_path", "system", "backend", "isl", "osl", "batch_size",
                  "silicon_ttft_ms", "silicon_tpot_ms"}
MLPERF_HEADER = {"accelerator", "accelerator_count", "benchmark", "scenario", "value", "units"}

callable_module(__name__)  # `flatbed.validate(path)` is flatbed.api.validate


@dataclass(frozen=True)
class RowResult:
    """One predicted metric of one row."""

    row: int
    accelerator: str
    model: str
    metric: str
    predicted: float
    measured: float
    scenario: str = ""

    @property
    def ape(self) -> float:
        """Absolute percentage error [%]."""
        return abs(self.predicted / self.measured - 1.0) * 100.0


@dataclass
class ValidationReport:
    """Predictions, skips and error summaries for one validation file."""

    path: str
    kind: str  # "serving" | "mlperf"
    rows_total: int
    results: list[RowResult] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    # -- summaries -------------------------------------------------------------------------
    @staticmethod
    def _stats(apes: list[float]) -> dict[str, float]:
        a = np.asarray(apes, dtype=float)
        return {
            "n": int(a.size),
            "median_ape": float(np.median(a)) if a.size else float("nan"),
            "p90_ape": float(np.percentile(a, 90)) if a.size else float("nan"),
        }

    def metrics(
        self, where: Callable[[RowResult], bool] | None = None
    ) -> dict[str, dict[str, float]]:
        """``{metric: {n, median_ape, p90_ape}}`` over results passing ``where``."""
        by: dict[str, list[float]] = defaultdict(list)
        for r in self.results:
            if where is None or where(r):
                by[r.metric].append(r.ape)
        return {m: self._stats(by[m]) for m in METRICS if m in by}

    def table(self, key: str) -> dict[str, dict[str, dict[str, float]]]:
        """Error table by ``key`` ("accelerator", "model" or "scenario"):
        ``{group: {metric: stats}}``."""
        groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for r in self.results:
            groups[getattr(r, key)][r.metric].append(r.ape)
        return {
            g: {m: self._stats(v) for m, v in sorted(ms.items())}
            for g, ms in sorted(groups.items())
        }

    @property
    def rows_predicted(self) -> int:
        """Rows with at least one prediction."""
        return len({r.row for r in self.results})

    def skipped_by_reason(self) -> dict[str, int]:
        """Skipped-row counts grouped by reason, most frequent first."""
        counts: dict[str, int] = defaultdict(int)
        for _, reason in self.skipped:
            counts[reason] += 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form: metrics, skipped rows and every prediction."""
        return {
            "file": self.path,
            "kind": self.kind,
            "rows_total": self.rows_total,
            "rows_predicted": self.rows_predicted,
            "metrics": self.metrics(),
            "by_accelerator": self.table("accelerator"),
            "by_model": self.table("model"),
            "by_scenario": self.table("scenario"),
            "skipped_by_reason": self.skipped_by_reason(),
            "skipped": [{"row": i, "reason": reason} for i, reason in self.skipped],
            "rows": [
                {"row": r.row, "accelerator": r.accelerator, "model": r.model,
                 "scenario": r.scenario, "metric": r.metric, "predicted": r.predicted,
                 "measured": r.measured, "ape": r.ape}
                for r in self.results
            ],
        }

    def dumps(self) -> str:
        """JSON text of :meth:`to_json` (NaN written as null)."""
        def clean(x: Any) -> Any:
            if isinstance(x, float) and x != x:
                return None
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, list):
                return [clean(v) for v in x]
            return x
        return json.dumps(clean(self.to_json()), indent=1)


def detect_kind(header: Iterable[str]) -> str:
    """"serving" or "mlperf" from a CSV header; :class:`InputError` otherwise."""
    cols = {h.strip() for h in header}
    if cols >= SERVING_HEADER:
        return "serving"
    if cols >= MLPERF_HEADER:
        return "mlperf"
    raise InputError(
        "unrecognised validation file: expected the serving-sample columns "
        f"({', '.join(sorted(SERVING_HEADER))}) or the MLPerf columns "
        f"({', '.join(sorted(MLPERF_HEADER))})"
    )


def validate_rows(
    rows: list[dict[str, str]],
    kind: str,
    catalog: Catalog | None = None,
    coefficients: dict[str, EngineCoefficients] | None = None,
    path: str = "",
) -> ValidationReport:
    """Predict every row it can; see :func:`validate_file`."""
    cat = catalog or load_catalog()
    rep = ValidationReport(path=path, kind=kind, rows_total=len(rows))
    for i, row in enumerate(rows, start=1):
        if kind == "serving":
            if (row.get("mode") or "agg").strip() != "agg":
                rep.skipped.append((i, "disaggregated run (prefill/decode workers) not modelled"))
                continue
            try:
                p = predict_serving_row(row, cat, coefficients)
            except (LookupError, ValueError) as exc:
                rep.skipped.append((i, str(exc)))
                continue
            acc = (row.get("system") or "").strip()
            model = (row.get("model_path") or "").strip()
            if p.measured_ttft_ms:
                rep.results.append(RowResult(i, acc, model, "ttft_ms", p.ttft_ms,
                                             p.measured_ttft_ms, "agg"))
            if p.measured_tpot_ms:
                rep.results.append(RowResult(i, acc, model, "tpot_ms", p.tpot_ms,
                                             p.measured_tpot_ms, "agg"))
            continue
        acc = (row.get("accelerator") or "").strip()
        bench = (row.get("benchmark") or "").strip()
        scenario = (row.get("scenario") or "").strip()
        try:
            preds = predict_mlperf_row(row, cat)
        except Skip as exc:
            reason = str(exc)
            if scenario in ("Server", "Interactive") and "measured" not in (row.get("units") or ""):
                from flatbed.serving.mlperf import predict_server_row  # the simulator's side

                try:
                    val = predict_server_row(row)
                    measured = float(row["value"])
                except (LookupError, ValueError, InputError) as e2:
                    rep.skipped.append((i, f"serving simulator: {e2}"))
                    continue
                if val is None or not measured > 0:
                    rep.skipped.append((i, "serving simulator could not predict this row"))
                    continue
                rep.results.append(RowResult(i, acc, bench, "throughput", float(val), measured,
                                             scenario))
                continue
            rep.skipped.append((i, reason))
            continue
        for mp in preds:
            if mp.measured > 0 and mp.predicted > 0:
                rep.results.append(RowResult(i, acc, bench, mp.metric, mp.predicted,
                                             mp.measured, scenario))
    return rep


def read_csv(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file; :class:`InputError` when unreadable."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = [dict(r) for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{p}: cannot read CSV: {exc}") from None
    if not header:
        raise InputError(f"{p}: empty file (no CSV header)")
    return header, rows


def validate_file(
    path: str | Path,
    catalog: Catalog | None = None,
    coefficients: dict[str, EngineCoefficients] | None = None,
) -> ValidationReport:
    """Predict every row of a serving-sample or MLPerf CSV and compare with the measurement.

    Parameters
    ----------
    path
        CSV file; its header says which format it is (:func:`detect_kind`).
    catalog
        Catalog for accelerator and model records (default: built-in plus user files).
    coefficients
        Engine coefficients replacing the shipped ones (e.g. from ``flatbed calibrate``).
    """
    header, rows = read_csv(path)
    kind = detect_kind(header)
    try:
        return validate_rows(rows, kind, catalog, coefficients, str(path))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
