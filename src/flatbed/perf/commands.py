"""``flatbed validate FILE [--json]`` and ``flatbed calibrate FILE -o calib.yaml``."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flatbed.errors import InputError

out = Console()
err = Console(stderr=True)


def _f(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.1f}"


def _print_report(rep: object) -> None:
    from flatbed.validate import METRICS, ValidationReport

    assert isinstance(rep, ValidationReport)
    for key, title in (("accelerator", "accelerator"), ("model", "model / benchmark")):
        tab = rep.table(key)
        metrics = [m for m in METRICS if any(m in v for v in tab.values())]
        t = Table(title=f"Absolute % error by {title} (median / p90, n)")
        t.add_column(title)
        for m in metrics:
            t.add_column(m, justify="right")
        for group, stats in tab.items():
            t.add_row(group, *[
                f"{_f(stats[m]['median_ape'])} / {_f(stats[m]['p90_ape'])} ({int(stats[m]['n'])})"
                if m in stats else "" for m in metrics
            ])
        out.print(t)
    s = Table(title=f"Summary — {rep.path} ({rep.kind})")
    for col in ("metric", "n", "median APE %", "p90 APE %"):
        s.add_column(col, justify="left" if col == "metric" else "right")
    for m, st in rep.metrics().items():
        s.add_row(m, str(int(st["n"])), _f(st["median_ape"]), _f(st["p90_ape"]))
    out.print(s)
    out.print(f"rows: {rep.rows_total}, predicted: {rep.rows_predicted}, "
              f"skipped: {len(rep.skipped)}")
    for reason, n in rep.skipped_by_reason().items():
        out.print(f"  skipped {n:5d}  {reason}")


def register(app: typer.Typer) -> None:
    """Add ``validate`` and ``calibrate`` to the CLI."""

    @app.command()
    def validate(
        file: Annotated[Path, typer.Argument(help="serving-sample or MLPerf results CSV")],
        json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        calibration: Annotated[
            Path | None, typer.Option("--calibration", help="coefficients from calibrate")
        ] = None,
    ) -> None:
        """Predict every row of a published-measurement CSV and print the error."""
        from flatbed.perf.calibration import load_coefficients
        from flatbed.validate import validate_file

        try:
            coefs = load_coefficients(calibration) if calibration else None
            rep = validate_file(file, coefficients=coefs)
        except InputError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        if json_out:
            sys.stdout.write(rep.dumps() + "\n")
        else:
            _print_report(rep)

    @app.command()
    def calibrate(
        file: Annotated[Path, typer.Argument(help="serving-sample style CSV of your own runs")],
        output: Annotated[Path, typer.Option("-o", "--output", help="YAML file to write")] = Path(
            "calib.yaml"
        ),
    ) -> None:
        """Refit the engine coefficients to your own measurements and write them as YAML."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from flatbed.catalog import load_catalog
        from flatbed.perf.calibration import fit_all, save_coefficients
        from flatbed.validate import detect_kind, read_csv

        try:
            header, rows = read_csv(file)
            if detect_kind(header) != "serving":
                raise InputError(f"{file}: calibrate needs serving-sample columns (model_path, "
                                 "system, backend, isl, osl, batch_size, silicon_ttft_ms, "
                                 "silicon_tpot_ms, tp_size, …)")
            with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                          TimeElapsedColumn(), console=err, transient=True) as bar:
                task = bar.add_task("reading the catalog")

                def show(engine: str, n_rows: int, evaluations: int) -> None:
                    bar.update(task, description=f"fitting {engine} on {n_rows} rows: "
                                                 f"{evaluations} model evaluations")

                fits = fit_all(rows, load_catalog(), progress=show)
        except InputError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        if not any(n for _, n in fits.values()):
            err.print(f"error: {file}: no usable agg rows to fit", markup=False)
            raise typer.Exit(2)
        save_coefficients({e: c for e, (c, _) in fits.items()}, output)
        for e, (_, n) in fits.items():
            out.print(f"{e}: fitted on {n} rows")
        out.print(f"wrote {output}")
