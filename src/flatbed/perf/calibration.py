"""Fit the engine coefficients of :mod:`flatbed.perf.llm` to measured serving rows.

The fit is a robust least-squares on log ratios ``log(predicted/measured)`` of mean TPOT and mean
TTFT (soft-L1 loss, so a few odd runs do not dominate), one engine at a time, over the fifteen
coefficients of :class:`~flatbed.perf.llm.EngineCoefficients` in log space within physical bounds
(efficiencies 0.05 up to what an H200 microbenchmark reaches — GEMM 0.80 of peak, memory
0.89 of bandwidth, ``benchmarks/device/`` — overheads 0.1 µs–100 ms). The shipped defaults
were fitted with
:func:`fit_engine_coefficients` on the Hopper (h100_sxm, h200_sxm) ``agg`` rows of the serving
sample only; Blackwell rows are predicted from datasheet specs with those coefficients.

``flatbed calibrate FILE -o calib.yaml`` runs the same fit on a user's own rows (the serving
sample's columns, or the simple CSV documented in ``docs/performance_model.md``) and writes the
coefficients; :func:`load_coefficients` reads them back for a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.optimize import least_squares

from flatbed.catalog.loader import Catalog
from flatbed.catalog.records import Accelerator, VisionModel
from flatbed.errors import InputError
from flatbed.perf.llm import DEFAULT_COEFFICIENTS, ENGINES, EngineCoefficients
from flatbed.perf.serving_sample import deployment_for_row, row_concurrency
from flatbed.perf.vision import TaskCoefficients

FITTED = ("eta_gemm", "eta_attn", "eta_mem", "t_iter_s", "t_layer_s", "t_moe_layer_s", "t_ttft_s",
          "wave_weight", "eta_kv", "t_seq_s", "m_half", "t_collective_s", "eta_moe", "t_req_s",
          "eta_moe_mem")
_LO = np.log([0.05, 0.05, 0.05, 1e-7, 1e-8, 1e-8, 1e-7, 1e-3, 0.05, 1e-8, 0.1, 2e-6, 0.05, 1e-6,
              0.05])
_HI = np.log([0.8, 0.9, 0.89, 0.1, 1e-3, 1e-3, 0.5, 1.0, 0.89, 1e-3, 512.0, 1e-4, 1.0, 0.05,
              1.0])


def _vector(c: EngineCoefficients) -> np.ndarray:
    return np.log([max(getattr(c, f), 1e-8) for f in FITTED])


def _coef(base: EngineCoefficients, x: np.ndarray) -> EngineCoefficients:
    vals: dict[str, Any] = {f: float(v) for f, v in zip(FITTED, np.exp(x), strict=True)}
    return replace(base, **vals)


def neutral_start(engine: str) -> EngineCoefficients:
    """The engine's coefficients with every fitted one at the geometric middle of its bounds:
    a starting point that carries nothing from the shipped fit (for hold-out experiments)."""
    return _coef(DEFAULT_COEFFICIENTS[engine], 0.5 * (_LO + _HI))


def _prepared(rows: Iterable[dict[str, str]], catalog: Catalog, engine: str) -> list[tuple[
    object, int, float, float, float, float
]]:
    out: list[tuple[object, int, float, float, float, float]] = []
    for r in rows:
        if (r.get("backend") or "").strip().lower() != engine or r.get("mode", "agg") != "agg":
            continue
        try:
            dep = deployment_for_row(r, catalog)
            c = row_concurrency(r, dep)  # batch_size is per DP rank in the sample
            isl, osl = float(r["isl"]), float(r["osl"])
            ttft, tpot = float(r["silicon_ttft_ms"]) / 1e3, float(r["silicon_tpot_ms"]) / 1e3
        except (LookupError, KeyError, ValueError):
            continue
        if c >= 1 and ttft > 0 and tpot > 0 and dep.max_concurrency(isl, osl) >= 1:
            out.append((dep, c, isl, osl, ttft, tpot))
    return out


def fit_engine_coefficients(
    rows: Sequence[dict[str, str]],
    catalog: Catalog,
    engine: str,
    start: EngineCoefficients | None = None,
    ttft_weight: float = 1.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[EngineCoefficients, int]:
    """Fit one engine's coefficients to measured rows; returns (coefficients, rows used).

    Parameters
    ----------
    rows
        Serving-sample style rows (dicts of CSV strings); rows of other engines are ignored.
    catalog
        Catalog for accelerator (and model) records.
    engine
        "vllm", "sglang" or "trtllm".
    start
        Starting point (default: shipped coefficients).
    ttft_weight
        Weight of the TTFT residuals relative to TPOT [-] (TTFT is noisier in closed loops).
    progress
        Called as ``progress(engine, rows, evaluations)`` after each evaluation of the model
        over all rows (a fit takes a few hundred to a few thousand).
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    base = start or DEFAULT_COEFFICIENTS[engine]
    data = _prepared(rows, catalog, engine)
    if len(data) < len(FITTED):
        return base, len(data)

    evaluations = 0

    def resid(x: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        coef = _coef(base, x)
        out = np.empty(2 * len(data))
        for i, (dep, c, isl, osl, ttft, tpot) in enumerate(data):
            st = dep.with_coefficients(coef).steady_state(c, isl, osl)  # type: ignore[attr-defined]
            out[2 * i] = math.log(st.tpot_s / tpot)
            out[2 * i + 1] = ttft_weight * math.log(st.ttft_s / ttft)
        evaluations += 1
        if progress is not None:
            progress(engine, len(data), evaluations)
        return out

    # the robust loss is not convex in the coefficients: start from the given point and from
    # the geometric middle of the bounds, keep the lower cost
    best = None
    for x0 in (np.clip(_vector(base), _LO + 1e-9, _HI - 1e-9), 0.5 * (_LO + _HI)):
        sol = least_squares(resid, x0, bounds=(_LO, _HI), loss="soft_l1", f_scale=0.03,
                            max_nfev=200)
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    return _coef(base, best.x), len(data)


def fit_all(
    rows: Sequence[dict[str, str]], catalog: Catalog,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, tuple[EngineCoefficients, int]]:
    """:func:`fit_engine_coefficients` for every engine present in ``rows``."""
    engines = sorted({(r.get("backend") or "").strip().lower() for r in rows} & set(ENGINES))
    return {e: fit_engine_coefficients(rows, catalog, e, progress=progress) for e in engines}


def save_coefficients(coefs: dict[str, EngineCoefficients], path: str | Path) -> None:
    """Write coefficients as YAML ``{engine: {field: value}}``."""
    data = {e: asdict(c) for e, c in coefs.items()}
    Path(path).write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")


def load_coefficients(path: str | Path) -> dict[str, EngineCoefficients]:
    """Read coefficients written by :func:`save_coefficients` (missing fields: defaults)."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{p}: cannot read calibration file: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected a mapping engine → coefficients")
    names = {f.name for f in fields(EngineCoefficients)}
    out: dict[str, EngineCoefficients] = {}
    for engine, vals in raw.items():
        if engine not in ENGINES or not isinstance(vals, dict):
            raise InputError(f"{p}: {engine!r}: expected one of {', '.join(ENGINES)} → mapping")
        unknown = set(vals) - names
        if unknown:
            raise InputError(f"{p}: {engine}: unknown coefficients {sorted(unknown)}")
        out[engine] = replace(DEFAULT_COEFFICIENTS[engine], **vals)
    return out


def fit_task_coefficients(
    rows: Sequence[dict[str, str]], catalog: Catalog
) -> dict[str, TaskCoefficients]:
    """Fit ``eta_max`` and ``traffic_scale`` of each vision task to MLPerf Offline rows.

    Robust least squares on ``log(predicted/measured)``; two parameters per task are
    identifiable when the rows span accelerators with different compute-to-bandwidth ratios
    (H100 PCIe/SXM/NVL and H200 do). Tasks with fewer than 3 rows keep their defaults.
    """
    from flatbed.perf import vision  # local: keeps calibration importable without vision
    from flatbed.perf.mlperf import OFFLINE_BATCH, Skip, _norm_benchmark, mlperf_precision

    by_task: dict[str, list[tuple[VisionModel, Accelerator, int, str, float]]] = {}
    for r in rows:
        if (r.get("scenario") or "") != "Offline" or "maxq" in (r.get("system") or "").lower():
            continue
        bench, acc_target = _norm_benchmark((r.get("benchmark") or "").strip())
        if not catalog.has("vision_models", bench) or not catalog.has(
            "accelerators", r.get("accelerator") or ""
        ):
            continue
        model = catalog.get("vision_models", bench, VisionModel)
        acc = catalog.get("accelerators", r["accelerator"], Accelerator)
        try:
            value, count = float(r["value"]), int(float(r["accelerator_count"]))
        except (KeyError, ValueError):
            continue
        prec = mlperf_precision(bench, acc_target, acc, r.get("round") or "")
        by_task.setdefault(model.task, []).append((model, acc, count, prec, value))
    del Skip
    out = dict(vision.TASK_COEFFICIENTS)
    for task, data in by_task.items():
        if len(data) < 3:
            continue
        base = out[task]

        batch = OFFLINE_BATCH[task]

        def resid(x: np.ndarray, base: vision.TaskCoefficients = base,
                  data: list[tuple[VisionModel, Accelerator, int, str, float]] = data,
                  batch: float = batch) -> np.ndarray:
            coef = replace(base, eta_max=float(np.exp(x[0])), traffic_scale=float(np.exp(x[1])))
            return np.array([
                math.log(n * vision.throughput_per_s(m, a, batch, p, None, coef) / v)
                for m, a, n, p, v in data
            ])

        sol = least_squares(resid, np.log([base.eta_max, base.traffic_scale]),
                            bounds=(np.log([1e-4, 1e-3]), np.log([2.0, 1e3])),
                            loss="soft_l1", f_scale=0.05)
        out[task] = replace(base, eta_max=float(np.exp(sol.x[0])),
                            traffic_scale=float(np.exp(sol.x[1])))
    return out
