"""Query sweep results with DuckDB (SQL over the Parquet file, no loading into memory first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flatbed.errors import InputError


def query_results(path: str | Path, sql: str = "SELECT * FROM results") -> tuple[
        list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` against a sweep file exposed as the view ``results``.

    Parameters
    ----------
    path : str or Path
        A Parquet file written by :func:`flatbed.sweep.run.run_sweep` (or a glob of several).
    sql : str
        Any DuckDB SQL naming the view ``results``, e.g.
        ``SELECT "prices.discount_rate", avg(objective_usd) FROM results GROUP BY 1``.
        Column names with dots need double quotes.

    Returns
    -------
    (columns, rows)
        Column names and row tuples.
    """
    p = str(path)
    if "*" not in p and not Path(p).is_file():
        raise InputError(f"{p}: no such sweep results file")
    con = duckdb.connect()
    try:
        lit = p.replace("'", "''")
        con.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet('{lit}')")
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description or []]
        return cols, [tuple(r) for r in cur.fetchall()]
    except duckdb.Error as exc:
        raise InputError(f"query on {p}: {exc}") from None
    finally:
        con.close()
