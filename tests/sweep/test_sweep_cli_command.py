"""``flatbed sweep`` and ``flatbed sweep-query`` end to end with the cheap evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flatbed.sweep.commands import register

EXAMPLE = Path(__file__).parents[2] / "src" / "flatbed" / "examples" / "fleet_regional.yaml"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_sweep_then_query(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("mode: grid\nparameters:\n  sites[denver-dc].grid_usd_per_kwh: [0.05, 0.2]\n"
                    "  prices.discount_rate: {low: 0.04, high: 0.12, steps: 3}\n")
    out = tmp_path / "r.parquet"
    res = CliRunner().invoke(_app(), ["sweep", str(EXAMPLE), str(spec), "--out", str(out),
                                      "--evaluate", "summary", "--workers", "1",
                                      "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "6 variants" in res.output and out.is_file()
    res = CliRunner().invoke(_app(), [
        "sweep-query", str(out), 'SELECT "prices.discount_rate" AS r, discount_rate FROM results '
        "ORDER BY variant LIMIT 3", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    # the evaluate saw the overridden discount rate
    assert [r["r"] for r in rows] == pytest.approx([0.04, 0.08, 0.12])
    assert [r["discount_rate"] for r in rows] == pytest.approx([0.04, 0.08, 0.12])


def test_sweep_errors_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("mode: grid\nparameters:\n  sites[nowhere].pads: [1]\n")
    res = CliRunner().invoke(_app(), ["sweep", str(EXAMPLE), str(spec), "--evaluate", "summary",
                                      "--out", str(tmp_path / "x.parquet")])
    assert res.exit_code == 2 and "no item with id 'nowhere'" in res.output
    res = CliRunner().invoke(_app(), ["sweep", str(EXAMPLE), str(spec), "--evaluate", "nope"])
    assert res.exit_code == 2 and "unknown evaluate" in res.output
