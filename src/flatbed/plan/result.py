"""The Plan: the typed result every surface (CLI, report, web, API) presents.

Field names are the plan JSON keys. Every figure is either from the scenario, from a catalog entry
(listed in ``assumptions`` with its source) or from a model stage (named in ``provenance``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Latency(Out):
    """End-to-end latency of one workload on the edge cluster and on the cloud [ms]."""

    edge_p50_ms: float
    edge_p99_ms: float
    cloud_p50_ms: float
    cloud_p99_ms: float
    ttft_p99_ms: float | None = None
    tpot_p99_ms: float | None = None
    goodput: float | None = Field(default=None, description="Share of requests meeting every SLO.")
    utilization: float | None = None
    binding_slo: str | None = None


class WorkloadPlan(Out):
    id: str
    kind: str
    model: str
    accelerator: str
    precision: str
    gpus: int
    replicas: int
    tensor_parallel: int = 1
    meets_slo: bool
    throughput_per_gpu: float = Field(description="Tokens/s (LLM) or frames/s (vision) per GPU.")
    peak_demand: float = Field(description="Peak tokens/s (LLM output) or frames/s (vision).")
    latency: Latency | None = None
    data_where: str = "anywhere"
    data_regime: str = "none"
    note: str = ""


class ModulePlan(Out):
    type: str
    count: int
    cooling: str
    racks_per_module: int
    gross_mass_kg: float
    max_gross_kg: float


class Alternative(Out):
    name: str
    kind: str = Field(description="'gpu_rental', 'api' or 'hybrid'.")
    tco_usd: float
    allowed: bool
    reason: str
    breakeven_month: int | None = None
    p_edge_cheaper: float | None = None
    detail: str = ""


class TornadoBar(Out):
    input: str
    low_usd: float
    high_usd: float
    low_value: float | None = None
    high_value: float | None = None


class Rejected(Out):
    option: str
    constraint: str
    detail: str


class ParetoPoint(Out):
    option: str
    tco_usd: float
    p99_ms: float
    facility_kw: float


class BomLine(Out):
    item: str
    catalog_id: str
    quantity: float
    unit_usd: float
    total_usd: float
    source: str


class Assumption(Out):
    kind: str
    id: str
    field: str
    value: str
    source: str


class Hourly(Out):
    """Hourly series over the simulated year (8,760 values each)."""

    ambient_c: list[float]
    it_kw: list[float]
    facility_kw: list[float]
    cooling_kw: list[float]
    throttled: list[bool]
    synthesized_weather: bool
    weather_source: str


class SitePlan(Out):
    site: str
    name: str = ""
    country: str = ""
    accelerators: dict[str, int]
    gpus: int
    gpu_power_cap: float = 1.0
    """GPU power limit the plan sets on every GPU, as a fraction of TDP [-]."""
    servers: dict[str, int]
    racks: int
    modules: list[ModulePlan]
    it_kw: float
    facility_kw: float
    facility_kw_peak: float
    pue_annual: float
    power_source: str
    gensets: dict[str, int] = Field(default_factory=dict)
    fuel_l_per_year: float = 0.0
    energy_kwh_per_year: float
    co2_t_per_year: float = 0.0
    throttled_hours: float
    trucks: int
    capex_usd: float
    opex_usd_per_year: float
    tco_usd: float
    tco_p10_usd: float | None = None
    tco_p50_usd: float | None = None
    tco_p90_usd: float | None = None
    usd_per_million_tokens: float | None = None
    usd_per_thousand_frames: float | None = None
    feasible: bool
    violations: list[str]
    binding_constraint: str = ""
    workloads: list[WorkloadPlan]
    alternatives: list[Alternative]
    tornado: list[TornadoBar] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
    pareto: list[ParetoPoint] = Field(default_factory=list)
    bom: list[BomLine] = Field(default_factory=list)
    capex_breakdown_usd: dict[str, float] = Field(default_factory=dict)
    opex_breakdown_usd_per_year: dict[str, float] = Field(default_factory=dict)
    deployment_days: float | None = None
    hourly: Hourly | None = None
    warnings: list[str] = Field(default_factory=list)


class Plan(Out):
    scenario: str
    flatbed_version: str
    currency_year: int
    horizon_years: int
    sites: list[SitePlan]
    assumptions: list[Assumption] = Field(default_factory=list)
    provenance: dict[str, str] = Field(
        default_factory=dict, description="Figure → model stage that produced it."
    )
    fleet: dict[str, Any] | None = Field(
        default=None,
        description="Fleet placement across the sites (the `flatbed fleet --json` document), "
        "for scenarios with several sites.",
    )
    stages: dict[str, str] = Field(
        default_factory=dict,
        description="The model each replaceable stage ran (`flatbed` = built-in; others are "
        "plug-ins, flatbed.registry) and the search objective.",
    )
    warnings: list[str] = Field(default_factory=list)
