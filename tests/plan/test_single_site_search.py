"""The single-site search finds the same optimum as brute-force enumeration of the whole space."""

from __future__ import annotations

import itertools
import math
import textwrap

import numpy as np
import pytest

from flatbed.catalog import builtin_catalog
from flatbed.plan.chain import (
    SiteOption,
    WorkloadOption,
    evaluate_option,
    site_context,
)
from flatbed.plan.choose import search_site
from flatbed.scenario import parse_scenario

SCENARIO = textwrap.dedent("""\
    name: small search
    sites:
      - id: depot
        country: US
        latitude: 41.9
        longitude: -87.6
        climate: {climate}
        grid_kw: {grid_kw}
        pads: 2
    workloads:
      - id: cams
        kind: vision
        model: ResNet-50
        streams: 40
        fps: 15
        resolution: [224, 224]
        deadline_p99_ms: 60
        accelerators: [L4, L40S]
      - id: chat
        kind: llm
        model: Llama-3.1-8B
        precision: fp8
        peak_requests_per_s: 2
        input_tokens: {{mean: 1000, dist: lognormal, sigma: 0.5, max: 8000}}
        output_tokens: {{mean: 200, dist: lognormal, sigma: 0.4, max: 1024}}
        ttft_p99_ms: 1500
        tpot_p99_ms: 50
        accelerators: [H100-SXM, L40S]
    constraints:
      cooling: [air-containment, rdhx-active, dx-chiller]
      modules: [iso-20ft, iso-40ft-hc]
    """)


def brute_force(ctx):  # type: ignore[no-untyped-def]
    """Every accelerator × every TP that divides the server × every cooling × every module ×
    every GPU power cap."""
    cat = ctx.catalog
    per_workload = []
    for w in ctx.workloads:
        opts = []
        for a in w.accelerators:
            tps = (1, 2, 4, 8) if w.kind == "llm" else (1,)
            opts += [WorkloadOption(w.id, cat.get("accelerators", a).id, tp) for tp in tps]
        per_workload.append(opts)
    best = None
    cons = ctx.scenario.constraints
    for ws in itertools.product(*per_workload):
        for c, m, cap in itertools.product(cons.cooling, cons.modules, cons.power_caps):
            r = evaluate_option(ctx, SiteOption(tuple(ws), c, m, cap))
            if r.feasible and (best is None or r.tco_usd < best.tco_usd):
                best = r
    return best


@pytest.mark.parametrize("climate,grid_kw", [("chicago", 200), ("phoenix", 200), ("chicago", 6)])
def test_search_equals_exhaustive_enumeration(climate: str, grid_kw: int) -> None:
    cat = builtin_catalog()
    scen = parse_scenario(SCENARIO.format(climate=climate, grid_kw=grid_kw), "t.yaml", cat)
    ctx = site_context(scen, scen.sites[0], cat)
    found = search_site(ctx)
    ref = brute_force(site_context(scen, scen.sites[0], cat))
    if ref is None:
        assert not found.best.feasible
        return
    assert found.best.feasible
    assert math.isclose(found.best.tco_usd, ref.tco_usd, rel_tol=1e-9)
    assert found.best.option.cooling == ref.option.cooling
    assert found.best.option.power_cap == ref.option.power_cap


def test_rejected_options_name_their_constraint() -> None:
    cat = builtin_catalog()
    scen = parse_scenario(SCENARIO.format(climate="phoenix", grid_kw=200), "t.yaml", cat)
    found = search_site(site_context(scen, scen.sites[0], cat))
    assert found.rejected
    assert {r.constraint for r in found.rejected} <= {
        "cost", "cooling", "power", "slo", "memory", "layout", "transport", "site", "catalog",
        "parallelism", "precision", "power_cap"}
    # every evaluated option other than the winner is accounted for
    labels = {r.option for r in found.rejected}
    assert all(r.option.label in labels for r in found.evaluated if r is not found.best)
    # the Pareto front holds only non-dominated feasible options, the winner's TCO first
    assert found.pareto and found.pareto[0].tco_usd == round(found.best.tco_usd)


def test_decode_energy_share_by_hand() -> None:
    """One server type of 8 GPUs at a flat 50 % load, all of it LLM decode: the decode share of
    IT energy is 0.5 × GPU range / (idle + 0.5 × (max − idle))."""
    from types import SimpleNamespace

    from flatbed.catalog import builtin_catalog
    from flatbed.perf.power import IDLE_FRACTION
    from flatbed.plan.chain import decode_energy_share

    cat = builtin_catalog()
    srv = cat.get("servers", "DGX-H100")
    acc = cat.get("accelerators", srv.accelerator)
    wl = SimpleNamespace(kind="llm", profile=lambda: [1.0] * 24)
    sz = SimpleNamespace(gpus=8, accel=acc, workload=wl, capacity_share_at_peak=0.5,
                         memory_bound_fraction=1.0)
    util = np.full(8760, 0.5)
    gpu_kw = min(srv.max_power_kw - srv.idle_power_kw, 8 * acc.tdp_w * (1 - IDLE_FRACTION) / 1e3)
    want = 0.5 * gpu_kw / (srv.idle_power_kw + 0.5 * (srv.max_power_kw - srv.idle_power_kw))
    got = decode_energy_share([sz], [(srv, 1)], util, {acc.id: acc})  # type: ignore[list-item]
    assert got == pytest.approx(want)
    assert 0.0 < got < 1.0
    # half the busy time in prefill halves it; vision work adds none
    assert decode_energy_share([SimpleNamespace(**{**vars(sz), "memory_bound_fraction": 0.5})],
                               [(srv, 1)], util, {acc.id: acc}) == pytest.approx(want / 2)  # type: ignore[list-item]
    vis = SimpleNamespace(**{**vars(sz), "workload": SimpleNamespace(kind="vision",
                                                                     profile=wl.profile)})
    assert decode_energy_share([vis], [(srv, 1)], util, {acc.id: acc}) == 0.0  # type: ignore[list-item]
