"""``flatbed weather`` command (registered on a bare Typer app here)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from flatbed.facility.commands import register
from flatbed.facility.weather import read_epw


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps Typer in multi-command mode
        pass

    return app


def test_weather_for_a_climate_and_epw_export(tmp_path: Path) -> None:
    f = tmp_path / "phx.epw"
    r = CliRunner().invoke(_app(), ["weather", "phoenix", "--epw", str(f)])
    assert r.exit_code == 0, r.output
    assert "SYNTHESIZED" in r.output and "design_db_004_c" in r.output
    w = read_epw(f)
    assert w.dry_bulb_c.size == 8760
    r2 = CliRunner().invoke(_app(), ["weather", str(f)])
    assert r2.exit_code == 0 and "SYNTHESIZED" in r2.output  # the label survives the file


def test_weather_unknown_climate_exits_2() -> None:
    r = CliRunner().invoke(_app(), ["weather", "phoenx"])
    assert r.exit_code == 2
    assert "phoenix" in r.output or "phoenix" in (r.stderr if r.stderr_bytes else "")
