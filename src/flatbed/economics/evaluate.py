"""One call per site: capex, opex, TCO, cloud alternatives, break-even and uncertainty.

:func:`evaluate_economics` is the entry the plan chain calls; its :class:`EconomicsResult` fields
map one to one onto :class:`flatbed.plan.result.SitePlan` keys (``capex_usd``,
``opex_usd_per_year``, ``tco_usd``, ``tco_p10_usd``/``p50``/``p90``, ``usd_per_million_tokens``,
``usd_per_thousand_frames``, ``tornado``, ``alternatives``, ``bom``, ``capex_breakdown_usd``,
``opex_breakdown_usd_per_year``); ``alternatives`` entries have exactly the keys of
:class:`flatbed.plan.result.Alternative` and ``tornado`` entries those of ``TornadoBar``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np

from flatbed.catalog.records import Accelerator, ApiPrice, CloudGpuOffer, Genset, Server
from flatbed.economics.capex import CapexAssumptions, ModuleGroup, capex_breakdown
from flatbed.economics.cloud import (
    CloudGpuDemand,
    CloudOption,
    WorkloadDemand,
    api_option,
    cloud_monthly_cumulative_usd,
    cloud_tco_usd,
    gpu_rental_options,
    hybrid_option,
)
from flatbed.economics.finance import breakeven_month, breakeven_utilization
from flatbed.economics.opex import (
    DEFAULT_HARDWARE_LIFE_YEARS,
    OpexInputs,
    opex_breakdown_usd_per_year,
    redeployment_usd_per_move,
)
from flatbed.economics.tco import (
    TcoInputs,
    discounted,
    levelized_usd_per_unit,
    monthly_cash_flows_usd,
    tco_by_year_usd,
    tco_usd,
)
from flatbed.economics.uncertainty import (
    decode_power_range,
    default_ranges,
    monte_carlo,
    scale_edge,
    throughput_range,
    tornado,
)
from flatbed.scenario import LLMWorkload, Prices, VisionWorkload

__all__ = ["EconomicsResult", "as_plan_fields", "demand_from_workload", "evaluate_economics"]

SECONDS_PER_YEAR = 8760 * 3600.0
BYTES_PER_TOKEN = 4.0
"""~4 characters of English text per token (OpenAI tokenizer help article "What are tokens and
how to count them", accessed 2026-11) — used only to estimate API/GPU egress of generated text."""
BYTES_PER_FRAME_RESULT = 500.0
"""Detection/classification result per frame returned from the cloud [bytes] — labelled estimate
(a JSON list of ~10 boxes with labels and scores)."""


def demand_from_workload(
    w: LLMWorkload | VisionWorkload,
    edge_gpus: int = 0,
    cloud_gpus: Mapping[str, CloudGpuDemand] | None = None,
    model_id: str | None = None,
    egress_gb_per_month: float | None = None,
) -> WorkloadDemand:
    """A :class:`WorkloadDemand` from a scenario workload.

    Work per year uses the mean of the daily profile (peak = 1): LLM tokens =
    ``peak_requests_per_s * mean(profile) * s/yr * mean tokens``; vision frames =
    ``streams * fps * mean(profile) * s/yr``. ``model_id`` should be the canonical catalog id
    (``catalog.tables[kind].resolve(w.model)``) so API prices match aliases. Egress defaults to
    the generated text (4 bytes/token) or 500 bytes of results per frame, per month.
    """
    mean_load = sum(w.profile()) / 24.0
    model = model_id or w.model
    if isinstance(w, LLMWorkload):
        req = w.peak_requests_per_s * mean_load * SECONDS_PER_YEAR
        tin, tout = req * w.input_tokens.mean, req * w.output_tokens.mean
        egress = tout * BYTES_PER_TOKEN / 1e9 / 12.0
        return WorkloadDemand(w.id, "llm", model, w.data, tin, tout, 0.0, edge_gpus,
                              dict(cloud_gpus or {}),
                              egress if egress_gb_per_month is None else egress_gb_per_month)
    frames = w.streams * w.fps * mean_load * SECONDS_PER_YEAR
    egress = frames * BYTES_PER_FRAME_RESULT / 1e9 / 12.0
    return WorkloadDemand(w.id, "vision", model, w.data, 0.0, 0.0, frames, edge_gpus,
                          dict(cloud_gpus or {}),
                          egress if egress_gb_per_month is None else egress_gb_per_month)


@dataclass(frozen=True)
class EconomicsResult:
    """Economics of one site (USD of ``currency_year``)."""

    currency_year: int
    horizon_years: int
    capex_usd: float
    opex_usd_per_year: float
    tco_usd: float
    tco_by_year_usd: list[float]
    """Discounted cost per year: [upfront, year 1, ..., year H]; sums to ``tco_usd``."""
    tco_p10_usd: float | None
    tco_p50_usd: float | None
    tco_p90_usd: float | None
    usd_per_million_tokens: float | None
    usd_per_thousand_frames: float | None
    tornado: list[dict[str, float | str]]
    alternatives: list[dict[str, object]]
    breakeven_utilization: dict[str, float | None]
    bom: list[dict[str, float | str]]
    capex_breakdown_usd: dict[str, float]
    opex_breakdown_usd_per_year: dict[str, float]
    edge_cumulative_usd: list[float]
    """Cumulative discounted edge cost at months 0..12H (for break-even charts)."""
    assumptions: list[dict[str, str]] = field(default_factory=list)
    inputs: TcoInputs | None = None


def _alt_dict(opt: CloudOption, tco: float, be_month: int | None, p: float | None,
              be_util: float | None) -> dict[str, object]:
    util = ("edge does not break even at any utilization up to 100 %" if be_util is None
            else f"edge breaks even from {be_util:.0%} utilization")
    detail = opt.detail + ("; " if opt.detail else "") + util
    return {"name": opt.name, "kind": opt.kind, "tco_usd": tco, "allowed": opt.allowed,
            "reason": opt.reason, "breakeven_month": be_month, "p_edge_cheaper": p,
            "detail": detail}


def evaluate_economics(
    *,
    servers: Sequence[tuple[Server, int]],
    modules: Sequence[ModuleGroup],
    workloads: Sequence[WorkloadDemand],
    site_country: str,
    facility_kw_peak: float,
    energy_kwh_per_year: float = 0.0,
    usd_per_kwh: float = 0.0,
    fuel_l_per_year: float = 0.0,
    usd_per_l: float = 0.0,
    gas_m3_per_year: float = 0.0,
    usd_per_m3: float = 0.0,
    gensets: Sequence[tuple[Genset, int]] = (),
    trucks: int = 0,
    racks: int | None = None,
    idle_energy_fraction: float = 0.3,
    cloud_offers: Sequence[CloudGpuOffer] = (),
    api_prices: Sequence[ApiPrice] = (),
    prices: Prices | None = None,
    accelerators: Mapping[str, Accelerator] | None = None,
    horizon_years: int = 5,
    currency_year: int = 2025,
    finance: Literal["buy", "lease", "finance"] = "buy",
    hardware_life_years: float = DEFAULT_HARDWARE_LIFE_YEARS,
    planned_utilization: float = 1.0,
    decode_energy_share: float = 0.0,
    allow_spot: bool = False,
    moves: int = 0,
    support_usd_per_year: float = 0.0,
    api_country: str | None = "US",
    unknown_region_country: str | None = None,
    ups: bool = True,
    mc_samples: int = 10_000,
    seed: int = 0,
    capex_assumptions: CapexAssumptions | None = None,
) -> EconomicsResult:
    """Capex, opex, TCO and cloud alternatives of one site, with tornado and Monte Carlo.

    Parameters (units in names; money in USD of ``currency_year``)
    ----------
    servers, modules, gensets, facility_kw_peak, trucks, racks
        What the plan buys (see :func:`flatbed.economics.capex.capex_breakdown`).
    workloads
        Per workload: data rule, tokens/frames per year, edge GPUs and cloud sizing.
    energy_kwh_per_year, usd_per_kwh, fuel_l_per_year, usd_per_l
        From the facility year simulation and the site (``Site.grid_usd_per_kwh``,
        ``Site.diesel_usd_per_l``).
    gas_m3_per_year, usd_per_m3
        Natural gas for gas gensets (``Site.gas_usd_per_m3``).
    idle_energy_fraction
        Share of the energy drawn at zero load (server idle / average power).
    planned_utilization
        Average utilization of the edge capacity at the plan's load [-]; break-even
        utilizations are reported on this scale.
    decode_energy_share
        Share of the energy that is LLM decode on the GPUs, counted at TDP by the facility
        stage [-]; sets the "GPU power in LLM decode" uncertainty
        (:func:`flatbed.economics.uncertainty.decode_power_range`).
    mc_samples, seed
        Monte Carlo size (0 skips it) and seed.
    """
    p = prices or Prices()
    cap = capex_breakdown(servers, modules, gensets, facility_kw_peak, trucks, racks, p,
                          accelerators, ups, capex_assumptions)
    n_modules = sum(g.count for g in modules)
    per_move = redeployment_usd_per_move(trucks, n_modules, capex_assumptions, cap)
    op_in = OpexInputs(energy_kwh_per_year=energy_kwh_per_year, usd_per_kwh=usd_per_kwh,
                       fuel_l_per_year=fuel_l_per_year, usd_per_l=usd_per_l,
                       gas_m3_per_year=gas_m3_per_year, usd_per_m3=usd_per_m3,
                       support_usd_per_year=support_usd_per_year, moves=moves,
                       redeploy_usd_per_move=per_move, horizon_years=horizon_years)
    opex = opex_breakdown_usd_per_year(op_in, cap, p)
    x = TcoInputs(
        it_capex_usd=cap.it_usd, facility_capex_usd=cap.facility_usd,
        one_time_capex_usd=cap.one_time_usd, energy_kwh_per_year=energy_kwh_per_year,
        usd_per_kwh=usd_per_kwh, fuel_l_per_year=fuel_l_per_year, usd_per_l=usd_per_l,
        gas_m3_per_year=gas_m3_per_year, usd_per_m3=usd_per_m3,
        idle_energy_fraction=idle_energy_fraction,
        maintenance_fraction=p.maintenance_fraction_per_year,
        insurance_fraction=p.insurance_fraction_per_year,
        support_usd_per_year=support_usd_per_year,
        fixed_usd_per_year=p.staff_usd_per_year + p.connectivity_usd_per_year
        + p.site_lease_usd_per_year,
        redeploy_usd_per_year=opex["redeployment"], discount_rate=p.discount_rate,
        hardware_life_years=hardware_life_years, horizon_years=horizon_years, finance=finance,
    )
    r = p.discount_rate
    tco = float(tco_usd(x))
    by_year = tco_by_year_usd(x)
    edge_cum = np.cumsum(discounted(monthly_cash_flows_usd(x), r))

    # cloud alternatives
    opts: list[CloudOption] = gpu_rental_options(cloud_offers, workloads, site_country,
                                                 horizon_years, allow_spot,
                                                 unknown_region_country)
    api = api_option(api_prices, workloads, site_country, horizon_years, api_country)
    if api is not None:
        opts.append(api)
    hyb = hybrid_option(cloud_offers, api_prices, workloads, site_country, horizon_years, r,
                        api_country, unknown_region_country)
    if hyb is not None:
        opts.append(hyb)

    # levelized cost and the performance model's error are both split by edge GPU share
    gpus = sum(w.edge_gpus for w in workloads)

    def share(kind: str) -> float:
        sel = [w for w in workloads if w.kind == kind]
        if gpus > 0:
            return sum(w.edge_gpus for w in sel) / gpus
        return len(sel) / len(workloads) if workloads else 0.0

    perf = throughput_range(share("llm"), share("vision"))
    ranges = [*default_ranges(x), perf]
    decode = decode_power_range(decode_energy_share)
    if decode is not None:
        ranges.append(decode)
    mc = monte_carlo(x, opts, mc_samples, seed, ranges=ranges) if mc_samples > 0 else None
    e0 = float(tco_usd(x.with_(load_scale=0.0)))
    e1 = float(tco_usd(x.with_(load_scale=1.0)))
    alts: list[dict[str, object]] = []
    be_utils: dict[str, float | None] = {}
    for o in opts:
        c_tco = float(cloud_tco_usd(o, r))
        c0 = float(cloud_tco_usd(o, r, 0.0))
        c1 = c_tco
        c_cum = cloud_monthly_cumulative_usd(o, r)
        if o.edge_share > 0:
            xe = scale_edge(x, o.edge_share)
            c_tco += float(tco_usd(xe))
            c0 += float(tco_usd(xe.with_(load_scale=0.0)))
            c1 = c_tco
            c_cum = c_cum + np.cumsum(discounted(monthly_cash_flows_usd(xe), r))
        be_m = breakeven_month(edge_cum, c_cum)
        be_u = breakeven_utilization(e0, e1 - e0, c0, c1 - c0, planned_utilization)
        be_utils[o.name] = be_u
        pe = mc.p_edge_cheaper.get(o.name) if mc else None
        alts.append(_alt_dict(o, c_tco, be_m, pe, be_u))

    # levelized cost per unit of work, TCO allocated by edge GPU share
    out_tokens = sum(w.output_tokens_per_year for w in workloads if w.kind == "llm")
    frames = sum(w.frames_per_year for w in workloads if w.kind == "vision")
    per_mtok = (float(levelized_usd_per_unit(tco * share("llm"), out_tokens / 1e6, r,
                                             horizon_years)) if out_tokens > 0 else None)
    per_kfr = (float(levelized_usd_per_unit(tco * share("vision"), frames / 1e3, r,
                                            horizon_years)) if frames > 0 else None)

    a = capex_assumptions or CapexAssumptions()
    assumptions = [
        {"kind": "economics", "id": "capex_assumptions", "field": f.name,
         "value": str(getattr(a, f.name)), "source": a.source}
        for f in fields(a) if f.name != "source"
    ]
    assumptions += [
        {"kind": "economics", "id": "tco", "field": "hardware_life_years",
         "value": str(hardware_life_years),
         "source": "Amazon 10-K 2024 (5-yr server life); see flatbed.economics.opex"},
        {"kind": "economics", "id": "tco", "field": "facility_life_years",
         "value": str(x.facility_life_years), "source": "estimate, see flatbed.economics.opex"},
    ]
    assumptions.append({
        "kind": "economics", "id": "uncertainty", "field": "throughput vs performance model",
        "value": f"×{perf.low:.2f}–{perf.high:.2f} (P10–P90, delivered ÷ predicted)",
        "source": "held-out serving-sample rows (benchmarks/bench_perf_generalization.py) and "
                  "MLPerf non-LLM Offline rows; see flatbed.economics.uncertainty"})
    if decode is not None:
        assumptions.append({
            "kind": "economics", "id": "uncertainty", "field": decode.name,
            "value": f"energy ×{decode.low:.2f}–1.00 ({decode_energy_share:.0%} of it is LLM "
                     "decode, counted at TDP)", "source": decode.source})
    for o in opts:
        for s in o.sources:
            assumptions.append({"kind": "cloud_price", "id": o.name, "field": o.kind,
                                "value": o.detail, "source": s})

    return EconomicsResult(
        currency_year=currency_year,
        horizon_years=horizon_years,
        capex_usd=cap.total_usd,
        opex_usd_per_year=float(sum(opex.values())),
        tco_usd=tco,
        tco_by_year_usd=[float(v) for v in by_year],
        tco_p10_usd=mc.tco_p10_usd if mc else None,
        tco_p50_usd=mc.tco_p50_usd if mc else None,
        tco_p90_usd=mc.tco_p90_usd if mc else None,
        usd_per_million_tokens=per_mtok,
        usd_per_thousand_frames=per_kfr,
        tornado=tornado(x, ranges),
        alternatives=alts,
        breakeven_utilization=be_utils,
        bom=[b.as_dict() for b in cap.bom],
        capex_breakdown_usd=dict(cap.breakdown_usd),
        opex_breakdown_usd_per_year=opex,
        edge_cumulative_usd=[float(v) for v in edge_cum],
        assumptions=assumptions,
        inputs=x,
    )


def as_plan_fields(res: EconomicsResult) -> dict[str, object]:
    """The SitePlan keys this result fills (for ``SitePlan(**..., **as_plan_fields(res))``)."""
    keep = ("capex_usd", "opex_usd_per_year", "tco_usd", "tco_p10_usd", "tco_p50_usd",
            "tco_p90_usd", "usd_per_million_tokens", "usd_per_thousand_frames", "tornado",
            "alternatives", "bom", "capex_breakdown_usd", "opex_breakdown_usd_per_year")
    return {k: getattr(res, k) for k in keep}
