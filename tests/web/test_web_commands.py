"""``flatbed serve``: binds 127.0.0.1:8000 unless told otherwise; bad --db exits 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from flatbed.web.commands import register


@pytest.fixture()
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """flatbed (test harness)."""

    register(app)
    return app


@pytest.fixture()
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def test_serve_binds_loopback_by_default(cli: typer.Typer, runs: list[dict[str, Any]],
                                         tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert r.exit_code == 0, r.output
    assert runs[0]["host"] == "127.0.0.1" and runs[0]["port"] == 8000
    assert "http://127.0.0.1:8000/" in r.output
    assert (tmp_path / "a.db").is_file()


def test_serve_host_and_port_options(cli: typer.Typer, runs: list[dict[str, Any]],
                                     tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9123", "--db",
                                 f"sqlite:///{tmp_path / 'b.db'}"])
    assert r.exit_code == 0, r.output
    assert (runs[0]["host"], runs[0]["port"]) == ("0.0.0.0", 9123)


def test_serve_body_limit_option(cli: typer.Typer, runs: list[dict[str, Any]],
                                 tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    r = CliRunner().invoke(cli, ["serve", "--max-body-bytes", "2000", "--db",
                                 f"sqlite:///{tmp_path / 'c.db'}"])
    assert r.exit_code == 0, r.output
    client = TestClient(runs[0]["app"])
    assert client.post("/api/plan", content=b"#" * 2001).status_code == 413
    assert client.post("/api/plan", content=b"#" * 1999).status_code == 422


def test_serve_bad_database_exits_2(cli: typer.Typer, runs: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(cli, ["serve", "--db", "nosuchdialect://x"])
    assert r.exit_code == 2
    assert "cannot open the database" in r.output
    assert runs == []
