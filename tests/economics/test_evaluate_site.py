"""evaluate_economics end to end: plan JSON keys, consistency, and price-direction properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flatbed.catalog.records import ApiPrice, CloudGpuOffer, Genset, Server
from flatbed.economics import ModuleGroup, WorkloadDemand, as_plan_fields, evaluate_economics
from flatbed.economics.evaluate import EconomicsResult
from flatbed.plan.result import Alternative, BomLine, TornadoBar
from flatbed.scenario import Prices

Mk = Callable[..., WorkloadDemand]


def run(server: Server, mg: ModuleGroup, genset: Genset, wls: list[WorkloadDemand],
        offers: list[CloudGpuOffer], apis: list[ApiPrice], **kw: Any) -> EconomicsResult:
    args: dict[str, Any] = dict(
        servers=[(server, 2)], modules=[mg], gensets=[(genset, 1)], workloads=wls,
        site_country="US", facility_kw_peak=110.0, energy_kwh_per_year=110 * 8760 * 0.7,
        usd_per_kwh=0.093, trucks=2, cloud_offers=offers, api_prices=apis, mc_samples=300,
        seed=7,
    )
    args.update(kw)
    return evaluate_economics(**args)


@pytest.fixture()
def base(server: Server, module_group: ModuleGroup, genset: Genset, offers: list[CloudGpuOffer],
         api_prices: list[ApiPrice], make_llm: Mk, make_vision: Mk,
         ) -> Callable[..., EconomicsResult]:
    def f(**kw: Any) -> EconomicsResult:
        wls = kw.pop("workloads", [make_llm(), make_vision()])
        return run(kw.pop("server", server), module_group, genset, wls,
                   kw.pop("offers", offers), kw.pop("apis", api_prices), **kw)
    return f


def test_plan_keys_validate(base: Callable[..., EconomicsResult]) -> None:
    res = base()
    fields = as_plan_fields(res)
    for a in res.alternatives:
        Alternative(**a)  # exact keys of the plan JSON
    for t in res.tornado:
        TornadoBar(**t)
    for b in res.bom:
        BomLine(**b)
    assert len(res.tornado) == 8
    assert fields["tco_usd"] == res.tco_usd
    assert res.tco_p10_usd is not None and res.tco_p90_usd is not None
    assert res.tco_p10_usd < res.tco_p90_usd
    assert res.usd_per_million_tokens is not None and res.usd_per_million_tokens > 0
    assert res.usd_per_thousand_frames is not None and res.usd_per_thousand_frames > 0
    assert sum(res.tco_by_year_usd) == pytest.approx(res.tco_usd)
    assert res.edge_cumulative_usd[-1] == pytest.approx(res.tco_usd)
    assert res.capex_usd == pytest.approx(sum(res.capex_breakdown_usd.values()))
    assert res.opex_usd_per_year == pytest.approx(sum(res.opex_breakdown_usd_per_year.values()))
    kinds = {a["kind"] for a in res.alternatives}
    assert kinds == {"gpu_rental", "api", "hybrid"}
    # the ITAR camera workload forbids every all-cloud option; the hybrid is allowed
    for a in res.alternatives:
        if a["kind"] != "hybrid":
            assert a["allowed"] is False and "ITAR" in str(a["reason"])
        else:
            assert a["allowed"] is True


def test_breakeven_month_consistent_with_tco(base: Callable[..., EconomicsResult],
                                             make_llm: Mk) -> None:
    res = base(workloads=[make_llm()])
    for a in res.alternatives:
        cheaper_at_end = res.tco_usd <= float(a["tco_usd"])  # type: ignore[arg-type]
        if cheaper_at_end:
            assert a["breakeven_month"] is not None
        else:
            assert a["breakeven_month"] is None


def test_single_year_horizon_and_zero_rate(base: Callable[..., EconomicsResult]) -> None:
    res = base(horizon_years=1, prices=Prices(discount_rate=0.0), mc_samples=0)
    assert res.tco_p50_usd is None
    assert len(res.tco_by_year_usd) == 2
    r3 = [a for a in res.alternatives if str(a["name"]).endswith("reserved 3y")]
    assert r3 and all(a["allowed"] is False for a in r3)


def test_finance_modes_run(base: Callable[..., EconomicsResult]) -> None:
    buy = base(mc_samples=0).tco_usd
    fin = base(mc_samples=0, finance="finance").tco_usd
    lease = base(mc_samples=0, finance="lease").tco_usd
    assert fin == pytest.approx(buy, rel=1e-9)  # loan at the cost of capital is value-neutral
    assert lease > 0


# ---- properties: one price up, result moves the expected way --------------------------------

# the fixtures are stateless factories, so sharing them across examples is safe
SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(k=st.floats(1.01, 3.0))
def test_energy_price_up_raises_tco(base: Callable[..., EconomicsResult], k: float) -> None:
    lo = base(mc_samples=0)
    hi = base(mc_samples=0, usd_per_kwh=0.093 * k)
    assert hi.tco_usd > lo.tco_usd
    assert hi.usd_per_million_tokens > lo.usd_per_million_tokens  # type: ignore[operator]


@SETTINGS
@given(price=st.floats(310_000, 900_000))
def test_server_price_up_raises_capex_and_tco(base: Callable[..., EconomicsResult],
                                              price: float) -> None:
    lo = base(mc_samples=0)
    hi = base(mc_samples=0, prices=Prices(server_usd={"DGX-H100": price}))
    assert hi.capex_usd > lo.capex_usd and hi.tco_usd > lo.tco_usd


@SETTINGS
@given(field=st.sampled_from(["staff_usd_per_year", "connectivity_usd_per_year",
                              "site_lease_usd_per_year", "maintenance_fraction_per_year",
                              "insurance_fraction_per_year"]),
       k=st.floats(1.1, 4.0))
def test_opex_price_up_raises_tco(base: Callable[..., EconomicsResult], field: str,
                                  k: float) -> None:
    p0 = Prices()
    p1 = p0.model_copy(update={field: min(1.0, getattr(p0, field) * k)
                               if "fraction" in field else getattr(p0, field) * k})
    lo, hi = base(mc_samples=0, prices=p0), base(mc_samples=0, prices=p1)
    assert hi.tco_usd > lo.tco_usd
    assert hi.opex_usd_per_year > lo.opex_usd_per_year


@SETTINGS
@given(k=st.floats(1.05, 3.0))
def test_cloud_price_up_favours_edge(base: Callable[..., EconomicsResult],
                                     offers: list[CloudGpuOffer], make_llm: Mk,
                                     k: float) -> None:
    dear = [o.model_copy(update={"on_demand_usd_per_gpu_hour": o.on_demand_usd_per_gpu_hour * k})
            for o in offers]
    lo = base(workloads=[make_llm()])
    hi = base(workloads=[make_llm()], offers=dear)
    a0 = {a["name"]: a for a in lo.alternatives}
    a1 = {a["name"]: a for a in hi.alternatives}
    for name in ("AWS p5.48xlarge on demand", "Lambda 8x H100 on demand"):
        assert float(a1[name]["tco_usd"]) > float(a0[name]["tco_usd"])  # type: ignore[arg-type]
        assert float(a1[name]["p_edge_cheaper"]) >= float(a0[name]["p_edge_cheaper"])  # type: ignore[arg-type]
        m0, m1 = a0[name]["breakeven_month"], a1[name]["breakeven_month"]
        if m0 is not None:
            assert m1 is not None and int(m1) <= int(m0)  # type: ignore[call-overload]
    assert hi.tco_usd == lo.tco_usd  # the edge does not depend on cloud prices


@SETTINGS
@given(k=st.floats(1.05, 5.0))
def test_api_price_up_raises_api_option(base: Callable[..., EconomicsResult],
                                        api_prices: list[ApiPrice], make_llm: Mk,
                                        k: float) -> None:
    dear = [p.model_copy(update={
        "usd_per_million_output_tokens": (p.usd_per_million_output_tokens or 0) * k})
        for p in api_prices]
    lo = base(workloads=[make_llm()], mc_samples=0)
    hi = base(workloads=[make_llm()], apis=dear, mc_samples=0)
    t0 = next(a for a in lo.alternatives if a["kind"] == "api")["tco_usd"]
    t1 = next(a for a in hi.alternatives if a["kind"] == "api")["tco_usd"]
    assert float(t1) > float(t0)  # type: ignore[arg-type]


def test_spot_flag(base: Callable[..., EconomicsResult], make_llm: Mk) -> None:
    wl = [replace(make_llm())]
    spot = next(a for a in base(workloads=wl, mc_samples=0).alternatives
                if str(a["name"]).endswith("spot"))
    assert spot["allowed"] is False
    spot2 = next(a for a in base(workloads=wl, mc_samples=0, allow_spot=True).alternatives
                 if str(a["name"]).endswith("spot"))
    assert spot2["allowed"] is True
