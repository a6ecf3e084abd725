"""``flatbed weather``: inspect a site's hourly weather year (built-in climate or EPW file).

Prints the year's source (measured or synthesized), design values and warm-hour counts; can write
the year as EPW (``--epw``) so users can see and reuse exactly what the simulation used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from flatbed.errors import InputError
from flatbed.facility.weather import WeatherYear, read_epw, weather_for_climate, write_epw

out = Console()
err = Console(stderr=True)


def load_weather(name: str, seed: int = 0) -> WeatherYear:
    """A climate id from the catalog, or a path to an ``.epw``/``.epw.gz`` file."""
    from flatbed.catalog import load_catalog
    from flatbed.catalog.records import Climate

    if name.lower().endswith((".epw", ".epw.gz")) or Path(name).is_file():
        return read_epw(name)
    return weather_for_climate(load_catalog().get("climates", name, Climate), seed)


def summary(w: WeatherYear) -> dict[str, float | str | bool]:
    """Headline figures of a weather year (JSON-ready)."""
    db = w.dry_bulb_c
    start = w.hottest_week_start()
    return {
        "source": w.source, "synthesized": w.synthesized, "elevation_m": w.elevation_m,
        "mean_c": float(db.mean()), "min_c": float(db.min()), "max_c": float(db.max()),
        "design_db_004_c": w.design_db_c(), "max_wet_bulb_c": float(w.wet_bulb_c.max()),
        "hours_above_27c": int((db > 27).sum()), "hours_above_30c": int((db > 30).sum()),
        "hours_above_35c": int((db > 35).sum()), "hours_above_40c": int((db > 40).sum()),
        "hottest_week_start_day": start // 24 + 1,
        "hottest_week_mean_c": float(np.mean(db[start:start + 168])),
    }


def register(app: typer.Typer) -> None:
    """Add ``flatbed weather`` to the CLI."""

    @app.command("weather")
    def weather_cmd(
        climate_or_file: Annotated[str, typer.Argument(
            help="Climate id (`flatbed catalog list climates`) or an EPW file.")],
        seed: Annotated[int, typer.Option(help="Seed of a synthesized year.")] = 0,
        epw: Annotated[Path | None, typer.Option(
            help="Write the year to this EPW file (.epw or .epw.gz).")] = None,
    ) -> None:
        """Show the hourly weather year a site is simulated with."""
        try:
            w = load_weather(climate_or_file, seed)
        except InputError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(2) from None
        s = summary(w)
        t = Table(title=f"weather — {w.name or climate_or_file}")
        t.add_column("figure")
        t.add_column("value", justify="right")
        label = "SYNTHESIZED from monthly normals" if w.synthesized else "measured / typical year"
        t.add_row("kind", label)
        for k, v in s.items():
            if k in ("source", "synthesized"):
                continue
            t.add_row(k, f"{v:,.1f}" if isinstance(v, float) else str(v))
        out.print(t)
        out.print(f"source: {w.source}")
        if epw is not None:
            try:
                write_epw(epw, w)
            except OSError as exc:
                err.print(f"error: cannot write {epw}: {exc.strerror}")
                raise typer.Exit(2) from None
            out.print(f"wrote {epw}")
