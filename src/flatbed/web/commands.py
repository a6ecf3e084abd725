"""``flatbed serve``: the web app and JSON API on a local port (127.0.0.1 unless told)."""

from __future__ import annotations

import typer

from flatbed.cli_options import PluginOption
from flatbed.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the CLI."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to bind; 0.0.0.0 exposes the "
                                 "app to the network (it has no authentication)."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        db: str | None = typer.Option(None, "--db", help="SQLAlchemy URL of the store "
                                      "(default: SQLite in the user data folder; also "
                                      "postgresql://…)."),
        max_body_bytes: int = typer.Option(1_000_000, min=1_000, help="Largest scenario "
                                           "body accepted [bytes]; larger ones get 413."),
        workers: int | None = typer.Option(None, min=1, help="Planning worker processes "
                                           "(default: one per CPU)."),
        plugin: PluginOption = None,
    ) -> None:
        """Start the web app: edit and validate scenarios, run plans, view and compare reports."""
        import uvicorn
        from rich.console import Console

        from flatbed.web.app import create_app

        err = Console(stderr=True)
        try:
            web = create_app(db, max_body_bytes=max_body_bytes, plan_workers=workers,
                             plugins=plugin or [])
        except InputError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            raise typer.Exit(2) from None
        except Exception as exc:  # a bad --db URL or an unreachable database
            err.print(f"[red]error:[/red] cannot open the database {db!r}: {exc}", markup=True,
                      highlight=False)
            raise typer.Exit(2) from None
        Console().print(f"flatbed web app on http://{host}:{port}/ (API docs at /docs); "
                        f"store: {web.state.storage.display_url}")
        uvicorn.run(web, host=host, port=port, log_level="info")
