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
) -> None:
    """Plan every site of SCENARIO: what to buy, whether it meets SLOs, facility, cost vs cloud."""
    from flatbed.plan.chain import plan_scenario
    from flatbed.scenario import load_scenario

    try:
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

    write_report(result, out_dir / "report.html")
    print_plan_summary(result)
    out.print(f"\nWrote [bold]{out_dir / 'plan.json'}[/] and [bold]{out_dir / 'report.html'}[/]")


def print_plan_summary(result: Any) -> None:
    """A readable summary table of a Plan."""
    t = Table(title=escape(f"flatbed plan — {result.scenario}"), show_lines=False)
    for col in ("site", "GPUs", "modules", "IT kW", "facility kW", "PUE", "throttled h",
                "capex $", "TCO $", "feasible"):
        t.add_column(col, justify="right" if col not in ("site", "modules") else "left")
    for s in result.sites:
        mods = ", ".join(f"{m.count}× {m.type} ({m.cooling})" for m in s.modules)
        accel = ", ".join(f"{n}× {a}" for a, n in s.accelerators.items())
        t.add_row(
            escape(s.site), escape(accel), escape(mods), f"{s.it_kw:,.0f}", f"{s.facility_kw:,.0f}",
            f"{s.pue_annual:.2f}", f"{s.throttled_hours:,.0f}", f"{s.capex_usd:,.0f}",
            f"{s.tco_usd:,.0f}", "yes" if s.feasible else "[red]no[/]",
        )
    out.print(t)
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
