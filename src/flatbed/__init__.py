"""flatbed: plan truck-deployable modular AI data centers for edge inference.

The public API (``docs/design.md``); each call does what the CLI command of the same name does:

>>> import flatbed
>>> scenario = flatbed.load_scenario()            # the built-in example, or a YAML path
>>> plan = flatbed.plan(scenario)                 # typed Plan (plan.model_dump() is plan.json)
>>> sims = flatbed.simulate(scenario)             # peak-hour request-level simulation
>>> report = flatbed.validate("serving.csv")      # predictions against published measurements

Stage plug-ins register with :mod:`flatbed.registry` before these calls.
"""

__version__ = "0.1.0"

from flatbed.api import load_scenario, plan, simulate, validate  # noqa: E402

__all__ = ["__version__", "load_scenario", "plan", "simulate", "validate"]
