"""The public API (``docs/design.md``): ``flatbed.load_scenario``, ``plan``, ``simulate`` and
``validate``, re-exported by :mod:`flatbed`.

``flatbed.plan`` and ``flatbed.validate`` are also the names of a subpackage and a module; once
those are imported Python binds the package attribute to the module, so both are made callable
(:func:`callable_module`) and ``flatbed.plan(scenario)`` works whatever was imported first.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the modules are imported on first use: `import flatbed` stays light
    from flatbed.catalog import Catalog
    from flatbed.plan.result import Plan
    from flatbed.scenario import Scenario
    from flatbed.serving.workload import WorkloadSimulation
    from flatbed.validate import ValidationReport


class _CallableModule(types.ModuleType):
    """A module that, called, runs the API function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return globals()[self.__name__.rsplit(".", 1)[-1]](*args, **kwargs)


def callable_module(module_name: str) -> None:
    """Make module ``flatbed.<name>`` callable as the API function ``<name>``."""
    sys.modules[module_name].__class__ = _CallableModule


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and check a scenario YAML file (``None``: the built-in example).

    Raises :class:`flatbed.errors.InputError` naming the file, line and field on bad input.
    """
    from flatbed.scenario import load_scenario as _load

    return _load(path)


def _scenario(scenario: Scenario | str | Path | None) -> Scenario:
    from flatbed.scenario import Scenario as _Scenario

    return scenario if isinstance(scenario, _Scenario) else load_scenario(scenario)


def plan(scenario: Scenario | str | Path | None = None, *, seed: int = 0,
         catalog: Catalog | None = None, progress: bool = False) -> Plan:
    """Plan every site of ``scenario`` (a :class:`~flatbed.scenario.Scenario`, a YAML path, or
    ``None`` for the built-in example): what to buy, whether it meets its SLOs, facility, cost
    against the cloud — ``flatbed plan``. Deterministic for a given ``seed``."""
    from flatbed.plan.chain import plan_scenario

    return plan_scenario(_scenario(scenario), catalog=catalog, seed=seed, progress=progress)


def simulate(scenario: Scenario | str | Path | None = None, *, seed: int = 0,
             duration_s: float = 600.0, catalog: Catalog | None = None
             ) -> list[WorkloadSimulation]:
    """Size and simulate each workload request by request at its peak hour — ``flatbed
    simulate``: latency percentiles, goodput, utilization, edge against cloud."""
    from flatbed.catalog import load_catalog
    from flatbed.serving.workload import simulate_workload

    scen = _scenario(scenario)
    cat = catalog if catalog is not None else load_catalog(scen.catalog_paths)
    sites = {s.id: s for s in scen.sites}
    return [simulate_workload(w, sites[w.site or scen.sites[0].id], cat, seed=seed,
                              duration_s=duration_s, stages=scen.stages)
            for w in scen.workloads]


def validate(path: str | Path, *, catalog: Catalog | None = None,
             calibration: str | Path | None = None) -> ValidationReport:
    """Predict every row of a serving-sample or MLPerf CSV and compare with its measurement —
    ``flatbed validate``; ``calibration`` is a ``flatbed calibrate`` YAML."""
    from flatbed.perf.calibration import load_coefficients
    from flatbed.validate import validate_file

    coef = load_coefficients(calibration) if calibration is not None else None
    return validate_file(path, catalog=catalog, coefficients=coef)
