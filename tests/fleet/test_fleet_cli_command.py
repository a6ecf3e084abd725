"""``flatbed fleet`` on the regional example: JSON shape and error handling."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from flatbed.fleet.commands import register

EXAMPLE = Path(__file__).parents[2] / "src" / "flatbed" / "examples" / "fleet_regional.yaml"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    return app


def test_fleet_json_has_the_agreed_keys() -> None:
    res = CliRunner().invoke(_app(), ["fleet", str(EXAMPLE), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    for key in ("units", "assignments", "cloud", "objective_usd", "optimality_gap"):
        assert key in d
    assert d["objective_usd"] > 0 and 0 <= d["optimality_gap"] <= 1e-4
    assert {u["site"] for u in d["units"]} <= {w["site"] for w in d["workloads"]}
    assert all(w["served_at"] for w in d["workloads"])
    # the capex in the breakdown is what the bought units cost, annualized to the horizon
    assert d["cost_breakdown_usd"]["capex_usd"] > 0


def test_fleet_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["fleet", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    assert "no such file" in res.output and "Traceback" not in res.output
    bad = tmp_path / "onsite.yaml"
    bad.write_text(
        "sites:\n"
        "  - {id: a, country: US, latitude: 40, longitude: -105, climate: denver, grid_kw: 5,\n"
        "     generators_allowed: false, pads: 1}\n"
        "workloads:\n"
        "  - {id: w, kind: llm, site: a, model: Llama-3.1-8B, peak_requests_per_s: 1,\n"
        "     ttft_p99_ms: 2000, tpot_p99_ms: 60, data: {where: on_site, regime: HIPAA}}\n")
    res = CliRunner().invoke(_app(), ["fleet", str(bad)])
    assert res.exit_code == 2
    assert "'w'" in res.output and "HIPAA" in res.output
