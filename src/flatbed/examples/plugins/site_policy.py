"""A site policy as a flatbed plug-in: one spare LLM replica per workload.

Many operators keep one replica more than the peak hour needs, so that a server can be drained
for maintenance without missing the SLO. This registers that policy as an LLM sizing stage:

    flatbed plan scenario.yaml --plugin examples/plugins/site_policy.py

with, in the scenario,

    stages:
      llm_sizing: spare_replica

The plan then carries ``stages.llm_sizing: spare_replica`` and a warning that a plug-in
replaced the built-in model (docs/planning.md, "Replacing a stage").
"""

import dataclasses
from typing import Any

from flatbed.scenario import LLMWorkload
from flatbed.serving.sizing import LLM_SIZING, SizingResult, size_llm_replicas


@LLM_SIZING.register("spare_replica")
def spare_replica(deployment: Any, workload: LLMWorkload, seed: int = 0,
                  duration_s: float = 300.0) -> SizingResult:
    """The built-in sizing (smallest count meeting the simulated p99 SLOs), plus one."""
    res = size_llm_replicas(deployment, workload, seed=seed, duration_s=duration_s)
    return dataclasses.replace(res, replicas=res.replicas + 1)
