"""Command-line options several area commands share (kept apart from :mod:`flatbed.cli`, which
imports the area commands)."""

from __future__ import annotations

from typing import Annotated

import typer

PluginOption = Annotated[
    list[str] | None,
    typer.Option("--plugin", help="Python file (or module) registering stage functions that "
                 "the scenario's `stages:` picks (see `flatbed stages`); loaded in every worker; "
                 "repeatable."),
]
"""``--plugin FILE|MODULE`` (:func:`flatbed.registry.load_plugins`)."""
