"""``flatbed sweep`` and ``flatbed sweep-query``: run a sweep to Parquet, query it with SQL."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flatbed.cli_options import PluginOption
from flatbed.errors import InputError

out = Console()
err = Console(stderr=True)


def resolve_evaluate(name: str) -> Any:
    """``plan``, ``fleet``, ``summary`` or ``package.module:function``."""
    from flatbed.sweep.evaluators import EVALUATORS

    if name in EVALUATORS:
        return EVALUATORS[name]
    if ":" not in name:
        raise InputError(f"unknown evaluate {name!r}: use {', '.join(EVALUATORS)} or "
                         "module:function")
    mod_name, fn_name = name.split(":", 1)
    try:
        fn = getattr(importlib.import_module(mod_name), fn_name)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load evaluate {name!r}: {exc}") from None
    if not callable(fn):
        raise InputError(f"evaluate {name!r} is not a function")
    return fn


def register(app: typer.Typer) -> None:
    """Add ``flatbed sweep`` and ``flatbed sweep-query``."""

    @app.command("sweep")
    def sweep_cmd(
        scenario: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
        spec: Annotated[Path, typer.Argument(
            help="Sweep spec YAML: {mode: grid|random, samples, seed, parameters: {path: "
                 "[values] | {low, high} | {choices: [...]}}}.")],
        out_path: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")]
        = Path("sweep.parquet"),
        backend: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
        address: Annotated[str | None, typer.Option(
            help="Ray cluster address (ray backend).")] = None,
        workers: Annotated[int | None, typer.Option(
            help="Worker processes / Ray CPUs (default: all cores).")] = None,
        evaluate: Annotated[str, typer.Option(
            help="plan (single-site chain), fleet (fleet optimizer), summary (cheap), or "
                 "module:function.")] = "plan",
        progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
        plugin: PluginOption = None,
    ) -> None:
        """Run a grid or random sweep over scenario parameters; write tidy Parquet."""
        from flatbed.registry import load_plugins
        from flatbed.scenario import load_scenario
        from flatbed.sweep.query import query_results
        from flatbed.sweep.run import run_sweep
        from flatbed.sweep.spec import load_sweep_spec

        try:
            if backend not in ("local", "ray"):
                raise InputError(f"unknown backend {backend!r}; use local or ray")
            load_plugins(plugin or [])
            base = load_scenario(scenario)
            sp = load_sweep_spec(spec)
            fn = resolve_evaluate(evaluate)
            path = run_sweep(base, sp, fn, backend=backend,  # type: ignore[arg-type]
                             workers=workers, address=address, out=out_path, progress=progress,
                             plugins=plugin or [])
            _, rows = query_results(path, "SELECT count(*), count(error) FROM results")
        except InputError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        n, failed = rows[0]
        out.print(f"{n} variants → {path} ({failed} failed). Query it: "
                  f"flatbed sweep-query {path} 'SELECT * FROM results LIMIT 5'", highlight=False)

    @app.command("sweep-query")
    def sweep_query_cmd(
        results: Annotated[Path, typer.Argument(help="Parquet file from `flatbed sweep`.")],
        sql: Annotated[str, typer.Argument(
            help='SQL over the view `results` (quote dotted columns: "prices.discount_rate").')]
        = "SELECT * FROM results LIMIT 20",
        as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    ) -> None:
        """Query sweep results with DuckDB SQL."""
        from flatbed.sweep.query import query_results

        try:
            cols, rows = query_results(results, sql)
        except InputError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps([dict(zip(cols, r, strict=True)) for r in rows],
                                  default=str, indent=1))
            return
        t = Table(*cols)
        for r in rows:
            t.add_row(*[f"{v:.6g}" if isinstance(v, float) else str(v) for v in r])
        out.print(t)
