"""The `flatbed` command line. It presents results; it does no modelling."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flatbed.cli_options import PluginOption
from flatbed.errors import InputError

app = typer.Typer(
    name="flatbed",
    help="Plan truck-deployable modular AI data centers for edge inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Browse the sourced catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

out = Console()
err = Console(stderr=True)


def fail(exc: InputError) -> typer.Exit:
    """Print a user-input error as one paragraph and return exit status 2."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@app.command()
def plan(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario YAML; omit for the built-in example.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path(
        "flatbed-out"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print plan JSON to stdout.")] = False,
    seed: Annotated[int, typer.Option(help="Seed for simulation and Monte Carlo.")] = 0,
    plugin: PluginOption = None,
) -> None:
    """Plan every site of SCENARIO: what to buy, whether it meets SLOs, facility, cost vs cloud."""
    from flatbed.plan.chain import plan_scenario
    from flatbed.registry import load_plugins
    from flatbed.scenario import load_scenario

    try:
        load_plugins(plugin or [])
        scen = load_scenario(scenario)
        result = plan_scenario(scen, seed=seed, progress=not as_json)
    except InputError as exc:
        raise fail(exc) from None
    doc = result.model_dump(mode="json")
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    from flatbed.report.render import write_report

    write_report(result, out_dir / "report.html", fleet=result.fleet, scenario=scen)
    print_plan_summary(result)
    out.print(f"\nWrote [bold]{out_dir / 'plan.json'}[/] and [bold]{out_dir / 'report.html'}[/]")


def print_plan_summary(result: Any) -> None:
    """A readable summary of a Plan (fits an 80-column terminal)."""
    out.print(f"[bold]flatbed plan — {escape(result.scenario)}[/]")
    for w in result.warnings:
        out.print(f"[yellow]![/] {escape(w)}", highlight=False)
    for s in result.sites:
        t = Table(title=escape(f"{s.site} ({s.country})"), show_header=False)
        t.add_column("what", style="bold", no_wrap=True)
        t.add_column("value")
        mods = ", ".join(f"{m.count}× {m.type} with {m.cooling}" for m in s.modules)
        tco = f"${s.tco_usd:,.0f}"
        if s.tco_p10_usd is not None and s.tco_p90_usd is not None:
            tco += f" (P10 ${s.tco_p10_usd:,.0f} – P90 ${s.tco_p90_usd:,.0f})"
        rows = [
            ("verdict", "[green]feasible[/]" if s.feasible else "[red]infeasible[/]"),
            ("buy", ", ".join(f"{n}× {a}" for a, n in s.accelerators.items()) + " in "
             + ", ".join(f"{n}× {k}" for k, n in s.servers.items())
             + (f", GPUs capped at {s.gpu_power_cap:.0%} of TDP" if s.gpu_power_cap < 1 else "")),
            ("modules", f"{mods}; {s.racks} rack(s); {s.trucks} truckload(s)"),
            ("power", f"IT {s.it_kw:,.0f} kW, facility peak {s.facility_kw_peak:,.0f} kW, "
             f"PUE {s.pue_annual:.2f}; {s.power_source}"
             + (f", {s.fuel_l_per_year:,.0f} L diesel/yr" if s.fuel_l_per_year else "")),
            ("heat", f"{s.throttled_hours:,.0f} throttled hours/yr"),
            ("cost", f"capex ${s.capex_usd:,.0f}; opex ${s.opex_usd_per_year:,.0f}/yr; "
             f"TCO {tco} over {result.horizon_years} yr (USD {result.currency_year})"),
        ]
        if s.usd_per_million_tokens is not None:
            rows.append(("per token", f"${s.usd_per_million_tokens:,.2f} per 1M output tokens"))
        if s.usd_per_thousand_frames is not None:
            rows.append(("per frame", f"${s.usd_per_thousand_frames:,.4f} per 1k frames"))
        for k, v in rows:
            t.add_row(k, v if k == "verdict" else escape(v))
        out.print(t)
        wt = Table(title="workloads: p99 end to end, edge vs cloud")
        for col in ("workload", "on", "GPUs", "edge p99 ms", "cloud p99 ms", "SLO met"):
            wt.add_column(col, justify="left" if col in ("workload", "on") else "right")
        for w in s.workloads:
            lat = w.latency
            wt.add_row(escape(w.id), escape(w.accelerator), str(w.gpus),
                       f"{lat.edge_p99_ms:,.0f}" if lat else "",
                       f"{lat.cloud_p99_ms:,.0f}" if lat else "",
                       "yes" if w.meets_slo else "[red]no[/]")
        out.print(wt)
    for s in result.sites:
        alt = Table(title=escape(f"{s.site}: edge vs the cheapest cloud option of each kind, "
                    f"{result.horizon_years} years (USD {result.currency_year})"))
        for col in ("option", "TCO $", "break-even month", "P(edge cheaper)"):
            alt.add_column(col, justify="left" if col == "option" else "right")
        alt.add_row("edge (this plan)", f"{s.tco_usd:,.0f}", "", "")
        for kind in ("gpu_rental", "api", "hybrid"):
            allowed = [a for a in s.alternatives if a.kind == kind and a.allowed]
            if allowed:
                a = min(allowed, key=lambda a: a.tco_usd)
                alt.add_row(escape(a.name), f"{a.tco_usd:,.0f}",
                            "never" if a.breakeven_month is None else str(a.breakeven_month),
                            "" if a.p_edge_cheaper is None else f"{a.p_edge_cheaper:.0%}")
        out.print(alt)
        forbidden = [a for a in s.alternatives if not a.allowed]
        if forbidden:
            out.print(f"  {len(forbidden)} of {len(s.alternatives)} cloud options not allowed, "
                      f"e.g. {escape(forbidden[0].name)}: {escape(forbidden[0].reason)}",
                      highlight=False)
        if s.binding_constraint:
            out.print(f"  [bold]binding:[/] {escape(s.binding_constraint)}", highlight=False)
        for v in s.violations:
            out.print(f"  [yellow]![/] {escape(v)}", highlight=False)
        shown = [r for r in s.rejected if r.constraint != "cost"][:5]
        for r in shown:
            out.print(f"  [dim]rejected[/] {escape(r.option)}: {r.constraint} — "
                      f"{escape(r.detail)}", highlight=False)
        if len(s.rejected) > len(shown):
            out.print(f"  … {len(s.rejected) - len(shown)} more rejected options in plan.json "
                      "and the report")


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from flatbed.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=1) + "\n")


@app.command()
def stages(plugin: PluginOption = None) -> None:
    """List the replaceable stages of the chain and the models registered for each."""
    from flatbed.facility.cooling import COOLING_POWER
    from flatbed.plan.choose import OBJECTIVES
    from flatbed.registry import load_plugins
    from flatbed.serving.sizing import LLM_SIZING, VISION_SIZING

    try:
        load_plugins(plugin or [])
    except InputError as exc:
        raise fail(exc) from None
    t = Table(title="stages (scenario `stages:`; objective in `constraints.objective`)")
    t.add_column("stage", no_wrap=True)
    t.add_column("registered")
    t.add_column("called as", overflow="fold")
    for reg in (LLM_SIZING, VISION_SIZING, COOLING_POWER, OBJECTIVES):
        t.add_row(reg.stage, escape(", ".join(reg.names())), escape(reg.signature))
    out.print(t)


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[str | None, typer.Argument(help="Kind, e.g. accelerators.")] = None,
) -> None:
    """List catalog entries (all kinds, or one KIND)."""
    from flatbed.catalog import KINDS, load_catalog

    try:
        cat = load_catalog()
        if kind is not None and kind not in KINDS:
            import difflib

            hint = difflib.get_close_matches(kind, list(KINDS), n=1)
            did = f" — did you mean {hint[0]!r}?" if hint else ""
            raise InputError(f"unknown catalog kind {kind!r}{did}; kinds: {', '.join(KINDS)}")
    except InputError as exc:
        raise fail(exc) from None
    for k in [kind] if kind else list(KINDS):
        t = Table(title=k)
        t.add_column("id", no_wrap=True)
        t.add_column("name")
        t.add_column("source", overflow="fold", max_width=60)
        for rec in cat.all(k):
            t.add_row(escape(rec.id), escape(rec.name), escape(rec.source))
        out.print(t)


@catalog_app.command("show")
def catalog_show(name: Annotated[str, typer.Argument(help="Id or alias.")]) -> None:
    """Show one catalog entry with every field and its source."""
    from flatbed.catalog import load_catalog

    try:
        cat = load_catalog()
        found = cat.find(name)
        if found is None:
            hints: list[str] = []
            for table in cat.tables.values():
                hints += table.suggest(name, n=2)
            did = f" — did you mean {' or '.join(hints[:3])}?" if hints else ""
            raise InputError(f"no catalog entry {name!r}{did}")
    except InputError as exc:
        raise fail(exc) from None
    kind, rec = found
    t = Table(title=escape(f"{kind}: {rec.id}"))
    t.add_column("field", no_wrap=True)
    t.add_column("value", overflow="fold")
    t.add_column("source", overflow="fold", max_width=50)
    meta = {"id", "source", "field_sources", "estimates", "notes"}
    for field, value in rec.model_dump().items():
        if field in meta:
            continue
        src = rec.field_sources.get(field, rec.source)
        if field in rec.estimates:
            src = f"estimate: {rec.estimates[field]}"
        t.add_row(field, escape(str(value)), escape(src))
    out.print(t)
    if rec.notes:
        out.print(escape(rec.notes))


# Area commands (validate, simulate, fleet, sweep, serve) live beside their code.
for _area in ("perf", "serving", "facility", "fleet", "sweep", "web"):
    try:
        _mod = importlib.import_module(f"flatbed.{_area}.commands")
    except ModuleNotFoundError as _exc:  # an area without commands yet
        if _exc.name != f"flatbed.{_area}.commands":
            raise
        continue
    _mod.register(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
