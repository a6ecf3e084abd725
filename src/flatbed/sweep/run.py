"""Run a sweep locally (process pool) or on Ray, and write tidy results to Parquet.

One row per variant: ``variant`` (its index), one column per swept parameter (named by its
path), one column per figure the evaluate function returns, and ``error`` (null, or why the
variant failed — a failed variant does not stop the sweep). Rows are sorted by ``variant``, so a
sweep gives the same file whichever backend or worker count ran it.

Ray is optional: it is imported only inside :func:`_run_ray`, never when this module (or
``flatbed``) is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from flatbed.errors import InputError
from flatbed.registry import load_plugins
from flatbed.scenario import Scenario
from flatbed.sweep.paths import apply_overrides
from flatbed.sweep.spec import SweepSpec, Value, variants

ResultValue = float | int | str | bool | None
Evaluate = Callable[[Scenario], dict[str, float | str]]
Task = tuple[int, dict[str, Value]]
Row = dict[str, ResultValue]


def evaluate_variant(base_json: str, evaluate: Evaluate, index: int,
                     overrides: dict[str, Value]) -> Row:
    """Apply one variant's overrides, evaluate it, and return its result row."""
    row: Row = {"variant": index}
    row.update(overrides)
    try:
        scen = apply_overrides(Scenario.model_validate_json(base_json), overrides)
        out = evaluate(scen)
        for k, v in out.items():
            if k in row:
                raise ValueError(f"evaluate returned {k!r}, which is already a column")
            row[k] = _clean(v)
        row["error"] = None
    except Exception as exc:  # a failed variant is a result, not a crash of the whole sweep
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def _clean(v: Any) -> ResultValue:
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, int):
        return int(v)
    f = float(v)
    return f


def _chunk(tasks: Sequence[Task], n: int) -> list[list[Task]]:
    return [list(tasks[i:i + n]) for i in range(0, len(tasks), n)]


def _chunk_size(n_tasks: int, workers: int) -> int:
    # ~8 chunks per worker: enough to balance uneven variants, few enough to keep overhead low
    return max(1, math.ceil(n_tasks / (workers * 8)))


def _eval_chunk(base_json: str, evaluate: Evaluate, chunk: list[Task],
                plugins: Sequence[str]) -> list[Row]:
    load_plugins(plugins)  # once per worker process; the stages a variant picks
    return [evaluate_variant(base_json, evaluate, i, ov) for i, ov in chunk]


# ---- local process pool -------------------------------------------------------------------------

_WORKER_STATE: dict[str, Any] = {}


def _init_worker(base_json: str, evaluate: Evaluate, plugins: Sequence[str]) -> None:
    _WORKER_STATE["base"] = base_json
    _WORKER_STATE["evaluate"] = evaluate
    load_plugins(plugins)  # a forked worker has them already (then this is a no-op)


def _worker_chunk(chunk: list[Task]) -> list[Row]:
    return _eval_chunk(_WORKER_STATE["base"], _WORKER_STATE["evaluate"], chunk, ())


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="variant", desc="sweep", disable=not enabled)


def _run_local(base_json: str, evaluate: Evaluate, tasks: list[Task], workers: int,
               progress: bool, plugins: Sequence[str] = ()) -> list[Row]:
    rows: list[Row] = []
    bar = _progress(len(tasks), progress)
    try:
        if workers <= 1 or len(tasks) <= 1:
            for i, ov in tasks:
                rows.append(evaluate_variant(base_json, evaluate, i, ov))
                bar.update(1)
            return rows
        ctx = multiprocessing.get_context("fork") if "fork" in \
            multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(base_json, evaluate, list(plugins))) as ex:
            pending: set[Future[list[Row]]] = {
                ex.submit(_worker_chunk, c) for c in _chunk(tasks, _chunk_size(len(tasks),
                                                                                 workers))}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    got = f.result()
                    rows.extend(got)
                    bar.update(len(got))
        return rows
    finally:
        bar.close()


def _installed(module: str) -> bool:
    """Whether Ray workers can import ``module`` by name: flatbed itself or an installed
    package (not a script or a test file that is importable only from this process's path)."""
    top = module.split(".")[0]
    if top == "flatbed":
        return True
    spec = importlib.util.find_spec(top)
    return spec is not None and "site-packages" in str(spec.origin or "")


# ---- Ray ----------------------------------------------------------------------------------------


def _run_ray(base_json: str, evaluate: Evaluate, tasks: list[Task], workers: int | None,
             address: str | None, progress: bool, plugins: Sequence[str] = ()) -> list[Row]:
    try:
        import ray
        import ray.cloudpickle as cloudpickle
    except ImportError:
        raise InputError(
            "the ray backend needs Ray: pip install 'flatbed[ray]' (or use --backend local)"
        ) from None
    # an evaluate function from a module Ray workers cannot import (a script, a test file) is
    # shipped by value instead of by reference
    mod = getattr(evaluate, "__module__", None)
    if mod and mod != "__main__" and not _installed(mod):
        cloudpickle.register_pickle_by_value(  # type: ignore[no-untyped-call]
            importlib.import_module(mod))
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif workers:
            kwargs["num_cpus"] = workers
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"cannot start or reach Ray at {address or 'local'}: {exc}") from None
        started = True
    try:
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        n_workers = workers or max(1, int(cpus))
        remote = ray.remote(_eval_chunk)
        base_ref = ray.put(base_json)
        eval_ref = ray.put(evaluate)
        refs = [remote.remote(base_ref, eval_ref, c, list(plugins))
                for c in _chunk(tasks, _chunk_size(len(tasks), n_workers))]
        rows: list[Row] = []
        bar = _progress(len(tasks), progress)
        try:
            while refs:
                done, refs = ray.wait(refs, num_returns=1)
                for got in ray.get(done):
                    rows.extend(got)
                    bar.update(len(got))
        finally:
            bar.close()
        return rows
    finally:
        if started:
            ray.shutdown()


# ---- output -------------------------------------------------------------------------------------


def rows_to_table(rows: list[Row], param_paths: Sequence[str],
                  metadata: dict[str, str] | None = None) -> pa.Table:
    """Rows → an Arrow table: ``variant``, parameters, results (sorted), ``error``.

    A column whose values mix numbers and text becomes text; ints and floats mixed become float.
    """
    rows = sorted(rows, key=lambda r: int(r["variant"] or 0))
    result_cols = sorted({k for r in rows for k in r} - {"variant", "error", *param_paths})
    cols: dict[str, list[ResultValue]] = {"variant": [r["variant"] for r in rows]}
    for c in [*param_paths, *result_cols, "error"]:
        cols[c] = [r.get(c) for r in rows]
    arrays = {c: _column(vals) for c, vals in cols.items()}
    table = pa.table(arrays)
    if metadata:
        table = table.replace_schema_metadata({k.encode(): v.encode()
                                               for k, v in metadata.items()})
    return table


def _column(vals: list[ResultValue]) -> pa.Array:
    kinds = {type(v) for v in vals if v is not None}
    if not kinds:
        return pa.array(vals, type=pa.string())
    if kinds <= {bool}:
        return pa.array(vals, type=pa.bool_())
    if kinds <= {int}:
        return pa.array(vals, type=pa.int64())
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
    return pa.array([None if v is None else str(v) for v in vals], type=pa.string())


def _validate_all(base: Scenario, var: list[dict[str, Value]]) -> None:
    """Apply every variant here, and check the catalog ids it names (climates, models, ...),
    so a bad path, value or id fails before any work starts."""
    from flatbed.catalog import load_catalog
    from flatbed.scenario import check_references, check_stages

    try:
        cat = load_catalog(base.catalog_paths)
    except InputError:  # catalog paths relative to a scenario file we do not know: skip ids
        cat = None
    for i, ov in enumerate(var):
        scen = apply_overrides(base, ov)
        if cat is not None:
            check_references(scen, cat, origin=f"sweep variant {i} {ov!r}")
        check_stages(scen, origin=f"sweep variant {i} {ov!r}")


def run_sweep(
    base: Scenario,
    spec: SweepSpec,
    evaluate: Evaluate,
    backend: Literal["local", "ray"] = "local",
    workers: int | None = None,
    address: str | None = None,
    *,
    out: str | Path = "sweep.parquet",
    progress: bool = True,
    validate_first: bool = True,
    plugins: Sequence[str] = (),
) -> Path:
    """Evaluate every variant of ``spec`` applied to ``base`` and write them to Parquet.

    Parameters
    ----------
    base : Scenario
        The scenario every variant starts from.
    spec : SweepSpec
        Parameters, values and mode (grid or seeded random).
    evaluate : callable
        ``evaluate(scenario) -> {name: number or text}``; a module-level function (the local
        backend pickles it to worker processes; Ray ships it with cloudpickle).
    backend : {"local", "ray"}
        ``local``: a ``concurrent.futures.ProcessPoolExecutor`` (``workers=1`` runs in this
        process); ``ray``: Ray tasks on a local instance or the cluster at ``address``.
    workers : int or None
        Processes (local) or CPUs for a new local Ray instance; None = all cores.
    address : str or None
        Ray cluster address (``ray://host:10001`` or ``auto``); ray backend only.
    out : str or Path
        Parquet file to write.
    progress : bool
        Show a progress bar (tqdm, to stderr).
    validate_first : bool
        Apply every variant's overrides in this process before starting workers, so a bad path
        or value fails fast with :class:`InputError` instead of as 1,000 error rows.

    plugins : sequence of str
        Plug-ins registering stage functions (:func:`flatbed.registry.load_plugins`), loaded
        here and in every worker (on a Ray cluster they must exist at the same path, or be an
        importable module, on every node).

    Returns
    -------
    Path
        The Parquet file. Schema metadata ``flatbed_sweep`` holds the spec, base scenario name,
        backend and variant count (JSON).
    """
    if backend not in ("local", "ray"):
        raise InputError(f"unknown sweep backend {backend!r}; use 'local' or 'ray'")
    if address and backend != "ray":
        raise InputError("--address is for the ray backend")
    var = variants(spec)
    load_plugins(plugins)
    if validate_first:
        _validate_all(base, var)
    tasks: list[Task] = list(enumerate(var))
    base_json = base.model_dump_json()
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if n_workers < 1:
        raise InputError("workers must be at least 1")
    if backend == "local":
        rows = _run_local(base_json, evaluate, tasks, n_workers, progress, plugins)
    else:
        rows = _run_ray(base_json, evaluate, tasks, workers, address, progress, plugins)
    meta = {"flatbed_sweep": json.dumps({
        "spec": spec.model_dump(mode="json"), "scenario": base.name, "backend": backend,
        "variants": len(var), "evaluate": f"{getattr(evaluate, '__module__', '?')}:"
                                         f"{getattr(evaluate, '__qualname__', '?')}",
    })}
    table = rows_to_table(rows, list(spec.parameters), meta)
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def iter_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a sweep Parquet file as dicts (small files; use DuckDB for large ones)."""
    yield from pq.read_table(path).to_pylist()
