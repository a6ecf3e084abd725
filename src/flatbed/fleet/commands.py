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
    """Load a scenario, build and solve its fleet problem, return the JSON-ready result.

    Keys: ``units``, ``assignments``, ``cloud``, ``objective_usd``, ``optimality_gap`` (see
    :meth:`flatbed.fleet.solve.FleetSolution.to_dict`), plus ``unit_types`` (what each unit
    type is and costs), ``workloads`` (demand, budget, data rule, where served) and
    ``scenario``.
    """
    from flatbed.catalog import load_catalog
    from flatbed.fleet.from_scenario import fleet_from_scenario
    from flatbed.fleet.solve import solve_fleet
    from flatbed.scenario import load_scenario

    scen = load_scenario(scenario)
    base = Path(scenario).parent
    cat = load_catalog([base / p for p in scen.catalog_paths])
    inst = fleet_from_scenario(scen, cat, periods=periods, demand_growth_per_year=growth)
    if not inst.unit_types:
        raise InputError("no unit type can serve any workload of this scenario with the "
                         "catalog's servers (check workloads' `accelerators` and constraints)")
    sol = solve_fleet(inst, time_limit_s=time_limit_s, mip_rel_gap=gap, threads=threads)
    d = sol.to_dict()
    d["scenario"] = scen.name
    d["period_years"] = list(inst.period_years)
    d["unit_types"] = [{
        "id": u.id, "capex_usd": u.capex_usd, "life_years": u.life_years,
        "fixed_usd_per_year": u.fixed_usd_per_year, "power_kw": u.power_kw,
        "energy_kwh_per_year": u.energy_kwh_per_year, "move_usd": u.move_usd,
        "capacity": dict(u.capacity),
    } for u in inst.unit_types]
    where: dict[str, set[str]] = {}
    for a in sol.assignments:
        where.setdefault(a.workload, set()).add(a.site)
    for c in sol.cloud:
        where.setdefault(c.workload, set()).add("cloud")
    d["workloads"] = [{
        "id": w.id, "site": w.site, "demand": list(w.demand),
        "latency_budget_ms": w.latency_budget_ms, "data_where": w.data_where,
        "regime": w.regime, "cloud_usd_per_unit_year": w.cloud_usd_per_unit_year,
        "served_at": sorted(where.get(w.id, set())),
    } for w in inst.workloads]
    return d


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
