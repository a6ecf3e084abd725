"""Errors flatbed reports to users (exit status 2, one paragraph, never a traceback)."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: a scenario, catalog file, trace or weather file the user wrote.

    The message names the file, line, field and what was expected, with suggestions for typos.
    """
