"""The built-in example scenario priced with the shipped catalog (structure, not exact figures)."""

from __future__ import annotations

from typing import cast

import pytest

from flatbed.catalog.loader import builtin_catalog
from flatbed.catalog.records import (
    ApiPrice,
    CloudGpuOffer,
    CoolingSystem,
    Genset,
    Module,
    Server,
)
from flatbed.economics import ModuleGroup, evaluate_economics
from flatbed.economics.cloud import CloudGpuDemand
from flatbed.economics.evaluate import demand_from_workload
from flatbed.plan.result import Alternative, TornadoBar
from flatbed.scenario import LLMWorkload, load_scenario


def test_builtin_example_reports_every_alternative() -> None:
    cat = builtin_catalog()
    scen = load_scenario()
    site = scen.sites[0]
    srv = cast(Server, cat.get("servers", "HGX-H100-8GPU"))
    demands = []
    for w in scen.site_workloads(site.id):
        kind = "models" if w.kind == "llm" else "vision_models"
        gpus = 8 if isinstance(w, LLMWorkload) else 8
        demands.append(demand_from_workload(
            w, edge_gpus=gpus, model_id=cat.tables[kind].resolve(w.model),
            cloud_gpus={a: CloudGpuDemand(a, gpus, gpus * 8760 * 0.6)
                        for a in ("H100-SXM", "H200-SXM")}))
    mg = ModuleGroup(cast(Module, cat.get("modules", "iso-40ft-hc")),
                     cast(CoolingSystem, cat.get("cooling", "rdhx-active")), 1, 2 * 10.2)
    res = evaluate_economics(
        servers=[(srv, 2)], modules=[mg], gensets=[(cast(Genset, cat.get("gensets",
                                                                           "diesel-500kw")), 1)],
        workloads=demands, site_country=site.country, facility_kw_peak=28.0,
        energy_kwh_per_year=28.0 * 8760 * 0.7, usd_per_kwh=site.grid_usd_per_kwh, trucks=2,
        cloud_offers=[cast(CloudGpuOffer, o) for o in cat.all("cloud_gpu_offers")],
        api_prices=[cast(ApiPrice, p) for p in cat.all("api_prices")],
        prices=scen.prices, horizon_years=scen.horizon_years, currency_year=scen.currency_year,
        mc_samples=1_000, seed=0,
    )
    assert res.tco_usd > res.capex_usd > 0
    assert res.usd_per_million_tokens is not None and res.usd_per_thousand_frames is not None
    assert res.tco_p10_usd is not None and res.tco_p90_usd is not None
    assert res.tco_p10_usd <= res.tco_p50_usd <= res.tco_p90_usd  # type: ignore[operator]
    assert len(res.tornado) == 8
    for t in res.tornado:
        TornadoBar(**t)
    assert res.alternatives
    for a in res.alternatives:
        alt = Alternative(**a)
        assert alt.reason and alt.tco_usd > 0
        assert alt.p_edge_cheaper is not None and 0.0 <= alt.p_edge_cheaper <= 1.0
    by = {str(a["name"]): a for a in res.alternatives}
    # EAR in-country data: US regions allowed, region-less offers not (country unknown)
    aws = [a for n, a in by.items() if n.startswith("aws p5.48xlarge")]
    assert aws and all(a["allowed"] for a in aws if "spot" not in str(a["name"]))
    nameless = [a for n, a in by.items() if n.startswith("lambda")]
    assert nameless and all(not a["allowed"] and "unknown" in str(a["reason"])
                            for a in nameless)
    api = next(a for a in res.alternatives if a["kind"] == "api")
    assert api["allowed"] is True  # Llama-3.1-70B and YOLOv8m both have catalog API prices
    assert res.tco_usd == pytest.approx(sum(res.tco_by_year_usd))
    # the performance model's error is one of the stated assumptions, at this mix of GPUs
    from flatbed.economics.uncertainty import throughput_range

    perf = next(a for a in res.assumptions if a["field"] == "throughput vs performance model")
    rng = throughput_range(0.5, 0.5)  # 8 LLM and 8 vision edge GPUs above
    assert f"{rng.low:.2f}" in perf["value"] and f"{rng.high:.2f}" in perf["value"]
    assert any(t["input"] == rng.name for t in res.tornado)
