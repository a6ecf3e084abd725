"""Cloud alternatives priced on the same workload: GPU rental, inference APIs and a hybrid.

The caller sizes each workload on a cloud GPU type with the same performance model as the edge
(``CloudGpuDemand``: peak GPUs and GPU-hours per year when autoscaled to the daily profile) and
gives yearly tokens and frames. This module prices them from catalog records
(:class:`~flatbed.catalog.records.CloudGpuOffer`, :class:`~flatbed.catalog.records.ApiPrice`) and
decides with :mod:`flatbed.residency` whether each option is allowed for the workloads' data.

Pricing rules:

- **on-demand**: pay per GPU-hour used (autoscaled): ``gpu_hours_per_year * rate``; scales with
  load.
- **1-year reserved**: the peak GPUs (rounded up to whole instances) 24 x 365 at the 1-year rate,
  renewed every year; fixed.
- **3-year reserved**: as above at the 3-year rate for whole 3-year terms inside the horizon; the
  remaining years at the 1-year rate (or on-demand if the offer has none). Not offered when the
  horizon is shorter than 3 years (the commitment would outlive the plan).
- **spot**: GPU-hours at the spot rate, only when ``allow_spot``. Spot capacity can be reclaimed
  by the provider at short notice (AWS EC2 Spot: a two-minute interruption notice, "Spot Instance
  interruptions", AWS EC2 User Guide, accessed 2026-11), so a replica can vanish mid-request and
  a p99 latency SLO cannot be held for production serving. Listed as not allowed otherwise.
- **egress**: ``egress_gb_per_month * 12 * offer.egress_usd_per_gb`` for GPU rental.
- **APIs**: per workload, the cheapest catalog API price for its model (LLM: per 1M input and
  output tokens; vision: per 1,000 images, an API whose ``model`` is empty serves any model).
- **hybrid**: workloads whose data may leave go to their cheapest allowed cloud option, the rest
  stay on an edge unit scaled to their share of edge GPUs (``edge_share``; an approximation that
  keeps site-fixed costs whole, see ``docs/economics.md``).

Every option carries cost per year split into a part fixed in the load and a part proportional
to it, so the TCO, the break-even month and the Monte Carlo use the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from flatbed.catalog.records import ApiPrice, CloudGpuOffer
from flatbed.economics.finance import FloatArray, Num
from flatbed.economics.tco import pv_months_factor
from flatbed.residency import CloudDecision, cloud_allowed, combine_decisions, region_country
from flatbed.scenario import DataRule

__all__ = [
    "CloudGpuDemand",
    "CloudOption",
    "WorkloadDemand",
    "api_option",
    "cloud_monthly_cumulative_usd",
    "cloud_tco_usd",
    "gpu_rental_options",
    "hybrid_option",
    "HOURS_PER_YEAR",
]

HOURS_PER_YEAR = 8760.0
Tier = Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]


@dataclass(frozen=True)
class CloudGpuDemand:
    """A workload sized on one cloud GPU type."""

    accelerator: str
    gpus_peak: int
    """GPUs needed at the peak hour."""
    gpu_hours_per_year: float
    """GPU-hours per year when autoscaled to the daily profile [h/yr]."""


@dataclass(frozen=True)
class WorkloadDemand:
    """What one workload asks of any placement (edge or cloud)."""

    id: str
    kind: Literal["llm", "vision"]
    model: str
    data: DataRule = field(default_factory=DataRule)
    input_tokens_per_year: float = 0.0
    output_tokens_per_year: float = 0.0
    frames_per_year: float = 0.0
    edge_gpus: int = 0
    """GPUs the workload takes on the edge unit (for cost allocation and the hybrid)."""
    cloud_gpus: Mapping[str, CloudGpuDemand] = field(default_factory=dict)
    """Sizing per cloud accelerator id."""
    egress_gb_per_month: float = 0.0
    """Data sent back from the cloud region per month [GB]."""


@dataclass(frozen=True)
class CloudOption:
    """One cloud alternative with its yearly cost profile and residency decision."""

    name: str
    kind: Literal["gpu_rental", "api", "hybrid"]
    fixed_usd_by_year: FloatArray
    """Cost per year independent of the load [USD], years 1..H."""
    variable_usd_by_year: FloatArray
    """Cost per year at the planned load, proportional to it [USD], years 1..H."""
    allowed: bool
    reason: str
    detail: str = ""
    edge_share: float = 0.0
    """Hybrid only: share of the edge unit kept on site (its TCO is added by the caller)."""
    sources: tuple[str, ...] = ()

    @property
    def horizon_years(self) -> int:
        return int(self.fixed_usd_by_year.shape[0])


def cloud_tco_usd(
    opt: CloudOption, discount_rate: Num, load_scale: Num = 1.0, price_scale: Num = 1.0,
) -> Num:
    """Discounted cloud TCO [USD] over the horizon (float or array).

    Each year's cost is paid in twelve end-of-month instalments and discounted like the edge
    option; ``price_scale`` multiplies all cloud prices, ``load_scale`` the variable part.
    """
    r = np.asarray(discount_rate, dtype=np.float64)
    total = np.zeros(np.broadcast(r, np.asarray(load_scale), np.asarray(price_scale)).shape)
    for y in range(opt.horizon_years):
        f = np.asarray(pv_months_factor(r, 12 * (y + 1), 12 * y + 1)) / 12.0
        cost = opt.fixed_usd_by_year[y] + opt.variable_usd_by_year[y] * np.asarray(load_scale)
        total = total + cost * f
    res = total * np.asarray(price_scale)
    return float(res) if res.ndim == 0 else res


def cloud_monthly_cumulative_usd(opt: CloudOption, discount_rate: float) -> FloatArray:
    """Cumulative discounted cloud cost [USD] at months 0..12H (month 0 = 0)."""
    monthly = np.repeat((opt.fixed_usd_by_year + opt.variable_usd_by_year) / 12.0, 12)
    m = np.arange(1, monthly.size + 1, dtype=np.float64)
    disc = monthly * np.power(1.0 + discount_rate, -m / 12.0)
    return np.concatenate([[0.0], np.cumsum(disc)])


def _decide(
    workloads: Sequence[WorkloadDemand], site_country: str, cloud_country: str | None,
) -> CloudDecision:
    return combine_decisions(
        cloud_allowed(w.id, w.data, site_country, cloud_country) for w in workloads
    )


def _tier_rate(offer: CloudGpuOffer, tier: Tier) -> float | None:
    return {
        "on_demand": offer.on_demand_usd_per_gpu_hour,
        "reserved_1y": offer.reserved_1y_usd_per_gpu_hour,
        "reserved_3y": offer.reserved_3y_usd_per_gpu_hour,
        "spot": offer.spot_usd_per_gpu_hour,
    }[tier]


def _gpu_costs(
    offer: CloudGpuOffer, tier: Tier, demands: Sequence[CloudGpuDemand], horizon_years: int,
) -> tuple[FloatArray, FloatArray, str]:
    """Fixed and variable cost per year for a tier (without egress) and a note."""
    fixed = np.zeros(horizon_years)
    var = np.zeros(horizon_years)
    hours = sum(d.gpu_hours_per_year for d in demands)
    reserved_gpus = sum(math.ceil(d.gpus_peak / offer.gpus) * offer.gpus for d in demands)
    rate = _tier_rate(offer, tier)
    assert rate is not None
    if tier in ("on_demand", "spot"):
        var[:] = hours * rate
        return fixed, var, f"{hours:,.0f} GPU-h/yr at ${rate:.2f}/GPU-h"
    if tier == "reserved_1y":
        fixed[:] = reserved_gpus * HOURS_PER_YEAR * rate
        return fixed, var, f"{reserved_gpus} GPUs reserved 1 yr at ${rate:.2f}/GPU-h, renewed"
    whole = 3 * (horizon_years // 3)
    fixed[:whole] = reserved_gpus * HOURS_PER_YEAR * rate
    note = f"{reserved_gpus} GPUs reserved 3 yr at ${rate:.2f}/GPU-h for {whole} yr"
    rest = horizon_years - whole
    if rest:
        r1 = offer.reserved_1y_usd_per_gpu_hour
        if r1 is not None:
            fixed[whole:] = reserved_gpus * HOURS_PER_YEAR * r1
            note += f", then 1-yr reserved at ${r1:.2f}/GPU-h for {rest} yr"
        else:
            var[whole:] = hours * offer.on_demand_usd_per_gpu_hour
            note += f", then on-demand for {rest} yr"
    return fixed, var, note


def gpu_rental_options(
    offers: Sequence[CloudGpuOffer],
    workloads: Sequence[WorkloadDemand],
    site_country: str,
    horizon_years: int,
    allow_spot: bool = False,
    unknown_region_country: str | None = None,
) -> list[CloudOption]:
    """One option per (offer, pricing tier) that can serve every workload of the site.

    An offer serves the site when every workload has a :class:`CloudGpuDemand` for the offer's
    accelerator; offers that cannot are skipped. Options forbidden by data rules, spot without
    ``allow_spot`` and 3-year terms longer than the horizon are returned with ``allowed=False``
    and the reason. Offers that name no region get ``unknown_region_country`` (default None:
    data that must stay in a country cannot go there, and the reason says why).
    """
    out: list[CloudOption] = []
    for offer in offers:
        demands = [w.cloud_gpus.get(offer.accelerator) for w in workloads]
        if not workloads or any(d is None for d in demands):
            continue
        ds = [d for d in demands if d is not None]
        country = region_country(offer.region) if offer.region else unknown_region_country
        decision = _decide(workloads, site_country, country)
        egress = 12.0 * sum(w.egress_gb_per_month for w in workloads) * offer.egress_usd_per_gb
        src = (f"{offer.provider} {offer.instance}: {offer.source} (price {offer.price_date}, "
               f"USD {offer.currency_year})")
        for tier in ("on_demand", "reserved_1y", "reserved_3y", "spot"):
            if _tier_rate(offer, tier) is None:
                continue
            name = f"{offer.provider} {offer.instance} {tier.replace('_', ' ')}"
            allowed, reason = decision.allowed, decision.reason
            if tier == "reserved_3y" and horizon_years < 3:
                allowed = False
                reason = (f"a 3-year commitment is longer than the {horizon_years}-year horizon")
                fixed = var = np.zeros(horizon_years)
                note = ""
            else:
                fixed, var, note = _gpu_costs(offer, tier, ds, horizon_years)
                if tier == "spot" and not allow_spot:
                    allowed = False
                    reason = ("spot not allowed for latency-SLO production serving: the provider "
                              "can reclaim capacity at two minutes' notice (set allow_spot to "
                              "include it)") + ("" if decision.allowed else f"; {reason}")
            var = var + egress
            detail = note + (f"; egress ${egress:,.0f}/yr" if egress else "")
            out.append(CloudOption(name, "gpu_rental", fixed, var, allowed, reason, detail,
                                   sources=(src,)))
    return out


def _norm(name: str) -> str:
    """Case- and punctuation-insensitive id, as the catalog loader compares names."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _api_cost_usd_per_year(w: WorkloadDemand, p: ApiPrice) -> float | None:
    if p.kind != w.kind:
        return None
    if w.kind == "llm":
        if _norm(p.model) != _norm(w.model):
            return None
        if p.usd_per_million_input_tokens is None or p.usd_per_million_output_tokens is None:
            return None
        return (w.input_tokens_per_year / 1e6 * p.usd_per_million_input_tokens
                + w.output_tokens_per_year / 1e6 * p.usd_per_million_output_tokens)
    if p.model and _norm(p.model) != _norm(w.model):
        return None
    if p.usd_per_thousand_images is None:
        return None
    return w.frames_per_year / 1e3 * p.usd_per_thousand_images


def cheapest_api(w: WorkloadDemand, prices: Sequence[ApiPrice]) -> tuple[ApiPrice, float] | None:
    """The cheapest API price serving workload ``w`` and its cost [USD/yr], or None."""
    best: tuple[ApiPrice, float] | None = None
    for p in prices:
        c = _api_cost_usd_per_year(w, p)
        if c is not None and (best is None or c < best[1]):
            best = (p, c)
    return best


def api_option(
    api_prices: Sequence[ApiPrice],
    workloads: Sequence[WorkloadDemand],
    site_country: str,
    horizon_years: int,
    api_country: str | None = "US",
) -> CloudOption | None:
    """All workloads on their cheapest inference API; None when the site has no workloads.

    ``api_country`` is where the API providers process requests: the catalog prices are for US
    endpoints (OpenAI, Together, Fireworks, AWS, Google list US processing by default) — an
    assumption the user can change. A workload without an API for its model makes the option
    unavailable (``allowed=False``).
    """
    if not workloads:
        return None
    total = 0.0
    parts: list[str] = []
    missing: list[str] = []
    srcs: list[str] = []
    for w in workloads:
        best = cheapest_api(w, api_prices)
        if best is None:
            missing.append(w.id)
            continue
        p, c = best
        total += c
        parts.append(f"{w.id}: {p.provider} {p.model or p.id} ${c:,.0f}/yr")
        srcs.append(f"{p.provider} {p.model or p.id}: {p.source} (price {p.price_date}, "
                    f"USD {p.currency_year})")
    decision = _decide(workloads, site_country, api_country)
    allowed, reason = decision.allowed, decision.reason
    if missing:
        allowed = False
        reason = "no API in the catalog serves " + ", ".join(
            f"workload {m!r}" for m in missing) + ("" if decision.allowed else f"; {reason}")
    var = np.full(horizon_years, total)
    return CloudOption("cloud APIs (cheapest per workload)", "api", np.zeros(horizon_years), var,
                       allowed, reason, "; ".join(parts), sources=tuple(srcs))


def hybrid_option(
    offers: Sequence[CloudGpuOffer],
    api_prices: Sequence[ApiPrice],
    workloads: Sequence[WorkloadDemand],
    site_country: str,
    horizon_years: int,
    discount_rate: float,
    api_country: str | None = "US",
    unknown_region_country: str | None = None,
) -> CloudOption | None:
    """Workloads allowed in the cloud go to their cheapest allowed option; the rest stay on site.

    Returns None unless some workloads may leave and some may not (otherwise the hybrid is the
    all-cloud or the all-edge option). ``edge_share`` is the kept workloads' share of edge GPUs.
    """
    movable: list[WorkloadDemand] = []
    kept: list[WorkloadDemand] = []
    for w in workloads:
        # a workload may move if any cloud placement is allowed for its data
        countries = {region_country(o.region) if o.region else unknown_region_country
                     for o in offers}
        countries.add(api_country)
        ok = any(cloud_allowed(w.id, w.data, site_country, c).allowed for c in countries)
        (movable if ok else kept).append(w)
    if not movable or not kept:
        return None
    fixed = np.zeros(horizon_years)
    var = np.zeros(horizon_years)
    parts: list[str] = []
    for w in movable:
        cands: list[CloudOption] = [
            o for o in gpu_rental_options(offers, [w], site_country, horizon_years,
                                          unknown_region_country=unknown_region_country)
            if o.allowed
        ]
        api = api_option(api_prices, [w], site_country, horizon_years, api_country)
        if api is not None and api.allowed:
            cands.append(api)
        if not cands:
            kept.append(w)
            continue
        best = min(cands, key=lambda o: float(cloud_tco_usd(o, discount_rate)))
        fixed += best.fixed_usd_by_year
        var += best.variable_usd_by_year
        parts.append(f"{w.id} → {best.name}")
    moved = [w for w in movable if w not in kept]
    if not moved:
        return None
    gpus_all = sum(w.edge_gpus for w in workloads)
    gpus_kept = sum(w.edge_gpus for w in kept)
    share = gpus_kept / gpus_all if gpus_all else len(kept) / len(workloads)
    parts.append("kept on site: " + ", ".join(w.id for w in kept)
                 + f" ({share:.0%} of edge GPUs)")
    reason = "allowed: only workloads whose data rules permit the cloud leave the site (" + \
        ", ".join(w.id for w in moved) + ")"
    return CloudOption("hybrid (restricted data on site, rest in cloud)", "hybrid", fixed, var,
                       True, reason, "; ".join(parts), edge_share=share)
