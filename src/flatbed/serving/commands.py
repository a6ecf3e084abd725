"""``flatbed simulate``: size each workload of a scenario on simulated p99 and print its latency,
throughput and utilization at the peak hour, edge next to cloud."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flatbed.cli_options import PluginOption
from flatbed.errors import InputError

out = Console()
err = Console(stderr=True)


def _fmt(x: float, nd: int = 0) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:,.{nd}f}"


def run_simulate(scenario: Path | None, seed: int, duration_s: float) -> list[dict[str, Any]]:
    """Simulate every workload of the scenario (:func:`flatbed.simulate`); JSON-ready dicts."""
    from flatbed.api import load_scenario, simulate

    if not duration_s > 0 or not math.isfinite(duration_s):
        raise InputError(f"--duration must be a positive number of seconds (got {duration_s})")
    scen = load_scenario(scenario)
    site_of = {w.id: w.site or scen.sites[0].id for w in scen.workloads}
    return [sim.to_dict() | {"site": site_of[sim.workload]}
            for sim in simulate(scen, seed=seed, duration_s=duration_s)]


def print_table(rows: list[dict[str, Any]]) -> None:
    """A compact table (fits 80 columns): p99s and goodput; ``--json`` has every figure."""
    t = Table(title="flatbed simulate — peak hour, replicas sized on simulated p99")
    t.add_column("workload / GPUs", no_wrap=True)
    for col in ("TTFT p99", "TPOT p99", "edge p99", "cloud p99", "good", "util"):
        t.add_column(col, justify="right")
    t.add_column("SLO", no_wrap=True)
    for r in rows:
        m = r["metrics"]
        lat = r["latency"]
        ttft = _fmt(m["ttft"]["p99_ms"]) if r["kind"] == "llm" else "–"
        tpot = _fmt(m["tpot"]["p99_ms"], 1) if r["kind"] == "llm" else "–"
        sim_ok = r["simulated_meets_slo"]
        met = "[green]met[/]" if sim_ok else "[red]missed[/]"
        if sim_ok != r["meets_slo"]:
            met += "*"
        slo = f"{met}\n{r['binding_slo'].removesuffix('_p99')}"
        t.add_row(
            f"{r['workload']}\n{r['replicas']}×{r['gpus_per_replica']} {r['accelerator']}",
            ttft, tpot, _fmt(lat["edge_p99_ms"]), _fmt(lat["cloud_p99_ms"]),
            f"{m['goodput']:.0%}", f"{m['utilization']:.0%}", slo,
        )
    out.print(t)
    out.print("p99 latencies in ms; edge/cloud = end to end incl. network (p50s in --json); "
              "good = share meeting every SLO; util = engine busy share")
    if any(r["simulated_meets_slo"] != r["meets_slo"] for r in rows):
        out.print("* this run's p99 and the sizing's disagree near the SLO (sampling noise of a "
                  "p99); try a longer --duration")
    for r in rows:
        if r.get("sizing_note"):
            out.print(f"[yellow]{r['workload']}[/]: {r['sizing_note']}")


def register(app: typer.Typer) -> None:
    """Add ``flatbed simulate`` to the CLI."""

    @app.command()
    def simulate(
        scenario: Annotated[
            Path | None, typer.Argument(help="Scenario YAML; omit for the built-in example.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
        seed: Annotated[int, typer.Option(help="Random seed (runs are deterministic).")] = 0,
        duration: Annotated[
            float, typer.Option(help="Simulated peak-hour seconds per workload.")
        ] = 600.0,
        plugin: PluginOption = None,
    ) -> None:
        """Simulate SCENARIO's workloads request by request at the peak hour: replicas sized on
        simulated p99, TTFT/TPOT/end-to-end percentiles, goodput, utilization, edge vs cloud."""
        from flatbed.registry import load_plugins

        try:
            load_plugins(plugin or [])
            rows = run_simulate(scenario, seed, duration)
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        if as_json:
            sys.stdout.write(json.dumps(_clean(rows), indent=1, allow_nan=False) + "\n")
        else:
            print_table(rows)


def _clean(o: Any) -> Any:
    """JSON-safe copy: NaN/inf → null, dict keys to strings."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o
