"""Sweep specifications: which scenario parameters vary, over what values, grid or random.

YAML format::

    mode: grid            # or random
    samples: 100          # random mode: number of variants
    seed: 7               # random mode: generator seed (recorded in the output)
    parameters:
      sites[0].grid_usd_per_kwh: [0.06, 0.12, 0.25]     # a list of values
      prices.discount_rate: {low: 0.04, high: 0.12}     # a range: uniform (random) or
                                                        #   `steps` evenly spaced values (grid)
      sites[denver].climate: {choices: [denver, phoenix]}
      workloads[1].peak_requests_per_s: {low: 5, high: 50, log: true}

Paths are dotted field names with ``[i]`` list indices or ``[id]`` to pick a list item by its
``id`` (see :mod:`flatbed.sweep.paths`).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from flatbed.errors import InputError

Value = float | int | str | bool


class Range(BaseModel):
    """A continuous range: uniform (or log-uniform) in random mode, ``steps`` values in grid."""

    model_config = ConfigDict(extra="forbid")
    low: float
    high: float
    steps: int | None = Field(default=None, ge=1, description="Grid mode: evenly spaced values.")
    log: bool = Field(default=False, description="Sample/space in log, e.g. demand scales.")
    integer: bool = Field(default=False, description="Round to whole numbers.")

    @model_validator(mode="after")
    def _order(self) -> Range:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


class Choices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choices: list[Value] = Field(min_length=1)


class SweepSpec(BaseModel):
    """What to sweep. Parameters keep their YAML order (it fixes the variant order)."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["grid", "random"] = "grid"
    samples: int | None = Field(default=None, ge=1, description="Random mode: variant count.")
    seed: int = Field(default=0, description="Random mode: generator seed.")
    parameters: dict[str, list[Value] | Range | Choices] = Field(min_length=1)

    @model_validator(mode="after")
    def _mode(self) -> SweepSpec:
        if self.mode == "random" and self.samples is None:
            raise ValueError("random mode needs `samples`")
        for path, p in self.parameters.items():
            if isinstance(p, list) and not p:
                raise ValueError(f"parameter {path!r}: empty list of values")
            if self.mode == "grid" and isinstance(p, Range) and p.steps is None:
                raise ValueError(
                    f"parameter {path!r}: a range in grid mode needs `steps` (how many values)")
        return self

    def size(self) -> int:
        """Number of variants this spec produces."""
        if self.mode == "random":
            return int(self.samples or 0)
        return math.prod(len(_grid_values(p)) for p in self.parameters.values())


def _grid_values(p: list[Value] | Range | Choices) -> list[Value]:
    if isinstance(p, list):
        return list(p)
    if isinstance(p, Choices):
        return list(p.choices)
    n = int(p.steps or 1)
    vals = (np.geomspace(p.low, p.high, n) if p.log else np.linspace(p.low, p.high, n))
    return [int(round(v)) if p.integer else float(v) for v in vals]


def variants(spec: SweepSpec) -> list[dict[str, Value]]:
    """The parameter overrides of every variant, in a fixed order.

    Grid: the Cartesian product, last parameter varying fastest. Random: ``samples`` draws from
    ``numpy.random.default_rng(seed)``, parameters drawn in spec order within each sample, so a
    given spec and seed always give the same variants on every machine and backend.
    """
    paths = list(spec.parameters)
    if spec.mode == "grid":
        grids = [_grid_values(spec.parameters[p]) for p in paths]
        return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*grids)]
    rng = np.random.default_rng(spec.seed)
    out: list[dict[str, Value]] = []
    for _ in range(int(spec.samples or 0)):
        row: dict[str, Value] = {}
        for path in paths:
            p = spec.parameters[path]
            if isinstance(p, Range):
                if p.log:
                    v = float(math.exp(rng.uniform(math.log(p.low), math.log(p.high))))
                else:
                    v = float(rng.uniform(p.low, p.high))
                row[path] = int(round(v)) if p.integer else v
            else:
                options = p if isinstance(p, list) else p.choices
                row[path] = options[int(rng.integers(0, len(options)))]
        out.append(row)
    return out


def parse_sweep_spec(raw: Any, origin: str = "<sweep spec>") -> SweepSpec:
    """Validate a parsed YAML mapping; :class:`InputError` naming the field on problems."""
    if not isinstance(raw, dict):
        raise InputError(f"{origin}: expected a mapping with `mode` and `parameters`")
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            loc = ".".join(str(p) for p in err["loc"] if p not in ("list[...]", "Range",
                                                                      "Choices"))
            parts.append(f"{loc or '(top level)'}: {err['msg'].removeprefix('Value error, ')}")
        raise InputError(f"{origin}: " + "; ".join(parts)) from None


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read a sweep spec YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{p}: not valid YAML: {exc}") from None
    return parse_sweep_spec(raw, str(p))
