"""Physical and cross-record consistency of the catalog data against independent references."""

from __future__ import annotations

import pytest

from flatbed.catalog import (
    Accelerator,
    ApiPrice,
    Climate,
    CloudGpuOffer,
    CoolingSystem,
    Genset,
    Module,
    RoadLimit,
    Server,
    builtin_catalog,
)

CAT = builtin_catalog()


def _all(kind: str, cls: type) -> list:  # type: ignore[type-arg]
    recs = CAT.all(kind)
    assert all(isinstance(r, cls) for r in recs)
    return recs


def test_tensor_rate_ratios_follow_the_architecture() -> None:
    """NVIDIA and AMD tensor cores double throughput per halving of precision: FP8 = 2 x BF16,
    BF16 = 2 x TF32, FP16 = BF16 (datasheet ratios; B300/GB300 drop INT8 by design)."""
    for a in _all("accelerators", Accelerator):
        p = a.peak_dense_tflops
        assert p["bf16"] > 0 and p.get("fp16", p["bf16"]) == pytest.approx(p["bf16"], rel=0.01)
        if "fp8" in p:
            assert p["fp8"] == pytest.approx(2 * p["bf16"], rel=0.02), a.id
        if "tf32" in p:
            assert p["tf32"] == pytest.approx(p["bf16"] / 2, rel=0.02), a.id
        if "fp4" in p:
            assert p["fp4"] >= 2 * p["fp8"] * 0.99, a.id


def test_hopper_h200_is_h100_compute_with_more_memory() -> None:
    h100 = CAT.get("accelerators", "H100-SXM", Accelerator)
    h200 = CAT.get("accelerators", "H200-SXM", Accelerator)
    assert h100.peak_dense_tflops == h200.peak_dense_tflops
    assert (h200.memory_gb, h200.memory_bandwidth_tb_per_s) == (141, 4.8)


def test_nvl72_parts_sit_in_a_72_gpu_domain() -> None:
    for a in _all("accelerators", Accelerator):
        if a.form_factor == "nvl72":
            assert a.nvlink_domain == 72
        if a.form_factor in ("sxm", "oam"):
            assert a.nvlink_domain == 8


def test_servers_nameplate_covers_their_gpus() -> None:
    for s in _all("servers", Server):
        acc = CAT.get("accelerators", s.accelerator, Accelerator)
        gpu_kw = s.accelerator_count * acc.tdp_w / 1000
        assert gpu_kw < s.max_power_kw <= 2.2 * gpu_kw + 1.0, s.id
        assert 0 < s.idle_power_kw < 0.4 * s.max_power_kw, s.id
        assert s.inlet_min_c < s.inlet_max_c <= 45


def test_dgx_h100_airflow_implies_a_plausible_delta_t() -> None:
    """CFM = 3.16 x W / dT[F] (fanacdc.com, catalog_facts R34): 1,105 CFM at 10.2 kW is a
    ~29 F (16 K) air temperature rise, within the 10-25 K typical of servers."""
    s = CAT.get("servers", "DGX-H100", Server)
    assert s.airflow_cfm is not None
    delta_t_k = 3.16 * s.max_power_kw * 1000 / s.airflow_cfm / 1.8
    assert 10 < delta_t_k < 25


def test_diesel_fuel_curves_are_physical() -> None:
    """Diesel LHV ~ 9.9-10.0 kWh/L (~35.8 MJ/L); a genset converts 25-42% of that to
    electricity at full load (small sets at quarter load down to ~20%), so 2.0-4.2 kWh per
    litre. Fuel per hour rises with load, efficiency too."""
    for g in _all("gensets", Genset):
        fuel = g.fuel_per_h
        assert list(fuel) == sorted(fuel), g.id
        kwh_per_unit = [f_ * g.rating_kw / u for f_, u in zip(g.load_fractions, fuel, strict=True)]
        if g.fuel == "diesel":
            assert all(2.0 <= e <= 4.2 for e in kwh_per_unit), (g.id, kwh_per_unit)
            assert kwh_per_unit[-1] > kwh_per_unit[0]
        else:  # natural gas LHV ~ 9.5-10.5 kWh/m3; 25-42% efficient
            assert all(2.3 <= e <= 4.4 for e in kwh_per_unit), (g.id, kwh_per_unit)


def test_bigger_diesel_sets_scale_linearly() -> None:
    """The published 500 kW / 1 MW / 2 MW curves are close to proportional to rating."""
    small = CAT.get("gensets", "diesel-500kw", Genset)
    big = CAT.get("gensets", "diesel-2mw", Genset)
    for a, b in zip(small.fuel_per_h, big.fuel_per_h, strict=True):
        assert b / a == pytest.approx(4.0, rel=0.05)


def test_modules_fit_their_ratings_and_the_road() -> None:
    us = CAT.get("road_limits", "US", RoadLimit)
    for m in _all("modules", Module):
        assert m.internal_length_m < m.length_m
        assert m.tare_kg + m.fitout_kg < m.max_gross_kg
        assert m.width_m <= us.max_width_m
        # on a ~1.2 m container chassis deck, a 40 ft HC stands ~4.1 m: just inside 13'6"
        assert m.height_m + 1.2 <= us.max_height_m + 0.01
        assert max(m.max_it_kw_by_cooling.values()) <= m.racks * 150


def test_road_limits_leave_payload_for_a_module() -> None:
    for r in _all("road_limits", RoadLimit):
        payload = r.max_gross_vehicle_kg - r.tractor_trailer_tare_kg
        assert 15000 < payload < 35000, r.id
    assert CAT.get("road_limits", "EU-44t-intermodal", RoadLimit).max_gross_vehicle_kg == 44000


def test_cooling_density_ordering_and_cop() -> None:
    c = {x.id: x for x in _all("cooling", CoolingSystem)}
    assert (c["air-containment"].max_kw_per_rack <= c["rdhx-active"].max_kw_per_rack
            < c["direct-liquid"].max_kw_per_rack)
    for x in c.values():
        if x.cop_at_35c is not None:
            assert 2.0 <= x.cop_at_35c <= 5.0 and x.cop_slope_per_c is not None
            assert -0.05 < x.cop_slope_per_c < 0
        assert x.fan_power_fraction < 0.1
    assert c["direct-liquid"].liquid_fraction > 0.5


def test_cloud_prices_are_ordered() -> None:
    for o in _all("cloud_gpu_offers", CloudGpuOffer):
        for cheaper in (o.spot_usd_per_gpu_hour, o.reserved_1y_usd_per_gpu_hour,
                        o.reserved_3y_usd_per_gpu_hour):
            if cheaper is not None:
                assert cheaper < o.on_demand_usd_per_gpu_hour, o.id
        assert 0.3 < o.on_demand_usd_per_gpu_hour < 20, o.id
        assert int(o.price_date[:4]) == o.currency_year


def test_api_prices_have_a_unit_price() -> None:
    for a in _all("api_prices", ApiPrice):
        if a.kind == "llm":
            assert a.usd_per_million_input_tokens is not None
            assert a.usd_per_million_output_tokens is not None
            assert a.usd_per_million_output_tokens >= a.usd_per_million_input_tokens
        else:
            assert a.usd_per_thousand_images is not None


def test_climates_are_self_consistent() -> None:
    for c in _all("climates", Climate):
        assert all(hi > lo for hi, lo in zip(c.monthly_mean_max_c, c.monthly_mean_min_c,
                                             strict=True)), c.id
        assert all(0 < rh <= 100 for rh in c.monthly_rh_pct), c.id
        # the 0.4% design dry-bulb lies above the warmest month's mean daily max, and the
        # 99.6% heating value below the coldest month's mean daily min
        assert c.design_db_004_c > max(c.monthly_mean_max_c), c.id
        assert c.design_heating_996_c < min(c.monthly_mean_min_c), c.id
        assert c.design_mcwb_004_c < c.design_db_004_c
        # southern-hemisphere summers peak in Dec-Feb, northern ones in Jun-Aug (tropics exempt)
        warmest = max(range(12), key=lambda i: c.monthly_mean_max_c[i])
        if c.latitude > 23.5:
            assert warmest in (5, 6, 7, 8), c.id
        elif c.latitude < -23.5:
            assert warmest in (0, 1, 11), c.id
