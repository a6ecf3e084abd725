"""``flatbed fleet SCENARIO``: place units over many sites with the fleet MILP."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flatbed.errors import InputError

out = Console()
err = Console(stderr=True)


def fleet_plan(scenario: Path | str, *, periods: int = 1, growth: float = 0.0,
               time_limit_s: float = 60.0, gap: float = 1e-4,
               threads: int | None = None) -> dict[str, Any]:
    """Load a scenario file and return
    :func:`flatbed.fleet.from_scenario.plan_fleet` of it."""
    from flatbed.catalog import load_catalog
    from flatbed.scenario import load_scenario

    scen = load_scenario(scenario)
    base = Path(scenario).parent
    cat = load_catalog([base / p for p in scen.catalog_paths])
    from flatbed.fleet.from_scenario import plan_fleet

    return plan_fleet(scen, cat, periods=periods, growth=growth, time_limit_s=time_limit_s,
                          gap=gap, threads=threads)


def _money(x: float) -> str:
    return f"${x:,.0f}" if math.isfinite(x) else "—"


def register(app: typer.Typer) -> None:
    """Add ``flatbed fleet`` to the CLI."""

    @app.command("fleet")
    def fleet_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML with several sites.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
        = False,
        periods: Annotated[int, typer.Option(
            min=1, help="Equal planning periods over the horizon (units may move between).")]
        = 1,
        growth: Annotated[float, typer.Option(help="Demand growth per year, e.g. 0.3.")] = 0.0,
        time_limit: Annotated[float, typer.Option(help="Solver time limit [s].")] = 60.0,
        gap: Annotated[float, typer.Option(help="Relative optimality gap to stop at.")] = 1e-4,
        threads: Annotated[int | None, typer.Option(help="Solver threads.")] = None,
    ) -> None:
        """Plan a fleet: units per site, which workloads each serves, what goes to the cloud."""
        try:
            d = fleet_plan(scenario, periods=periods, growth=growth, time_limit_s=time_limit,
                           gap=gap, threads=threads)
        except InputError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(d, indent=1, default=str))
            return
        out.print(f"[bold]{d['scenario']}[/]: total cost {_money(d['objective_usd'])} "
                  f"(discounted), gap {d['optimality_gap']:.3%}, HiGHS {d['status']}, "
                  f"{d['solve_time_s']:.1f} s", highlight=False)
        t = Table("period", "site", "unit type", "count", "bought", "moved in", "moved out",
                  "utilization", title="Units")
        for u in d["units"]:
            if u["count"] or u["moved_out"]:
                t.add_row(str(u["period"]), u["site"], u["unit_type"], str(u["count"]),
                          str(u["bought"]), str(u["moved_in"]), str(u["moved_out"]),
                          f"{u['utilization']:.0%}")
        out.print(t)
        w = Table("workload", "home site", "data rule", "budget ms", "served at",
                  title="Workloads")
        for x in d["workloads"]:
            w.add_row(x["id"], x["site"], f"{x['data_where']} ({x['regime']})",
                      f"{x['latency_budget_ms']:.0f}", ", ".join(x["served_at"]))
        out.print(w)
        c = Table("cost", "USD (discounted)", title="Cost breakdown")
        for k, v in d["cost_breakdown_usd"].items():
            c.add_row(k.removesuffix("_usd"), _money(v))
        out.print(c)
