"""Economics: capex, opex, TCO, cloud alternatives, break-even and uncertainty.

The plan chain calls :func:`evaluate_economics` once per site; the model functions live in
``finance``, ``capex``, ``opex``, ``tco``, ``cloud`` and ``uncertainty``.
"""

from flatbed.economics.capex import CapexAssumptions, ModuleGroup, capex_breakdown
from flatbed.economics.cloud import CloudGpuDemand, CloudOption, WorkloadDemand
from flatbed.economics.evaluate import EconomicsResult, as_plan_fields, evaluate_economics
from flatbed.economics.tco import TcoInputs, tco_usd

__all__ = [
    "CapexAssumptions",
    "CloudGpuDemand",
    "CloudOption",
    "EconomicsResult",
    "ModuleGroup",
    "TcoInputs",
    "WorkloadDemand",
    "as_plan_fields",
    "capex_breakdown",
    "evaluate_economics",
    "tco_usd",
]
