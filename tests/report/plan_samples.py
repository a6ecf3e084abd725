"""Small but complete Plan fixtures for the report and web tests (built here, no modelling).

The hourly series are a synthetic sine year (labelled so in ``weather_source``); the figures are
plausible orders of magnitude for one 20-ft module with 4 x 8-GPU H100 servers. They only need to
be internally consistent for the presentation tests, not physically exact.
"""

from __future__ import annotations

import math

from flatbed.plan.result import (
    Alternative,
    Assumption,
    BomLine,
    Hourly,
    Latency,
    ModulePlan,
    ParetoPoint,
    Plan,
    Rejected,
    SitePlan,
    TornadoBar,
    WorkloadPlan,
)

HOURS = 8760


def synthetic_hourly(peak_c: float = 38.0, it_kw: float = 40.0) -> Hourly:
    """A sine year: annual swing ±12 °C around ``peak_c - 12``, daily swing ±5 °C."""
    amb, it, fac, cool, thr = [], [], [], [], []
    for h in range(HOURS):
        day, hour = divmod(h, 24)
        t = (peak_c - 17.0) + 12.0 * math.sin(2 * math.pi * (day - 105) / 365) + 5.0 * math.sin(
            2 * math.pi * (hour - 9) / 24)
        load = it_kw * (0.7 + 0.3 * (hour >= 8 and hour < 20))
        c = load * (0.08 + 0.01 * max(t - 15.0, 0.0))
        amb.append(round(t, 2))
        it.append(round(load, 3))
        cool.append(round(c, 3))
        fac.append(round(load + c + 1.5, 3))
        thr.append(t > peak_c - 0.5)
    return Hourly(ambient_c=amb, it_kw=it, facility_kw=fac, cooling_kw=cool, throttled=thr,
                  synthesized_weather=True, weather_source="synthetic sine year (test fixture)")


def site_plan(site: str = "plant-a", name: str = "Plant A", hourly: bool = True,
              feasible: bool = True) -> SitePlan:
    wl = [
        WorkloadPlan(id="chat", kind="llm", model="llama-3.1-8b", accelerator="H100-SXM",
                     precision="fp8", gpus=16, replicas=16, meets_slo=True,
                     throughput_per_gpu=2400.0, peak_demand=30000.0,
                     latency=Latency(edge_p50_ms=180.0, edge_p99_ms=420.0, cloud_p50_ms=390.0,
                                     cloud_p99_ms=1250.0, ttft_p99_ms=310.0, tpot_p99_ms=28.0,
                                     goodput=0.995, utilization=0.62, binding_slo="ttft"),
                     data_where="on_site", data_regime="HIPAA", note="patient notes"),
        WorkloadPlan(id="cams", kind="vision", model="yolov8m", accelerator="H100-SXM",
                     precision="int8", gpus=16, replicas=16, meets_slo=True,
                     throughput_per_gpu=1800.0, peak_demand=3000.0,
                     latency=Latency(edge_p50_ms=9.0, edge_p99_ms=21.0, cloud_p50_ms=48.0,
                                     cloud_p99_ms=95.0, goodput=0.999, utilization=0.41)),
    ]
    alts = [
        Alternative(name="AWS p5.48xlarge on-demand", kind="gpu_rental", tco_usd=9_800_000.0,
                    allowed=False, reason="HIPAA data must stay on site", breakeven_month=14,
                    p_edge_cheaper=0.97),
        Alternative(name="OpenAI gpt-4o-mini API", kind="api", tco_usd=2_100_000.0, allowed=True,
                    reason="data rule allows it", breakeven_month=None, p_edge_cheaper=0.35,
                    detail="vision workload stays on edge"),
        Alternative(name="Lambda 8xH100 reserved", kind="gpu_rental", tco_usd=4_400_000.0,
                    allowed=True, reason="allowed", breakeven_month=29, p_edge_cheaper=0.81),
    ]
    return SitePlan(
        site=site, name=name, country="US", accelerators={"H100-SXM": 32}, gpus=32,
        servers={"HGX-H100-8": 4}, racks=2,
        modules=[ModulePlan(type="iso-20ft-hc", count=1, cooling="rdhx_active",
                            racks_per_module=3, gross_mass_kg=9800.0, max_gross_kg=30480.0)],
        it_kw=41.0, facility_kw=47.5, facility_kw_peak=55.2, pue_annual=1.16,
        power_source="grid", gensets={"cat-c15-400": 1}, fuel_l_per_year=1200.0,
        energy_kwh_per_year=416_000.0, co2_t_per_year=154.0, throttled_hours=3.0, trucks=2,
        capex_usd=1_650_000.0, opex_usd_per_year=310_000.0, tco_usd=2_900_000.0,
        tco_p10_usd=2_600_000.0, tco_p50_usd=2_880_000.0, tco_p90_usd=3_300_000.0,
        usd_per_million_tokens=0.61, usd_per_thousand_frames=0.004,
        feasible=feasible, violations=[] if feasible else ["grid_kw: 55 kW peak > 50 kW"],
        binding_constraint="grid_kw", workloads=wl, alternatives=alts,
        tornado=[
            TornadoBar(input="accelerator price", low_usd=2_700_000.0, high_usd=3_150_000.0,
                       low_value=22000.0, high_value=32000.0),
            TornadoBar(input="grid_usd_per_kwh", low_usd=2_850_000.0, high_usd=2_980_000.0,
                       low_value=0.06, high_value=0.15),
            TornadoBar(input="discount_rate", low_usd=2_800_000.0, high_usd=3_000_000.0),
        ],
        rejected=[Rejected(option="iso-10ft / dlc", constraint="road mass",
                           detail="gross 12 t over the 10 t limit")],
        pareto=[ParetoPoint(option="H100 x32 / rdhx", tco_usd=2_900_000.0, p99_ms=420.0,
                            facility_kw=47.5),
                ParetoPoint(option="L40S x64 / air", tco_usd=2_400_000.0, p99_ms=690.0,
                            facility_kw=52.0)],
        bom=[
            BomLine(item="8x H100 SXM server", catalog_id="HGX-H100-8", quantity=4,
                    unit_usd=300_000.0, total_usd=1_200_000.0,
                    source="Vendor list price, 2025-06 (fixture)"),
            BomLine(item="20-ft module, fitted", catalog_id="iso-20ft-hc", quantity=1,
                    unit_usd=250_000.0, total_usd=250_000.0, source="Fixture estimate"),
            BomLine(item="Active RDHx", catalog_id="rdhx_active", quantity=55.0,
                    unit_usd=1_200.0, total_usd=66_000.0, source="Fixture estimate"),
        ],
        capex_breakdown_usd={"servers": 1_200_000.0, "module": 250_000.0, "cooling": 66_000.0,
                             "genset": 134_000.0},
        opex_breakdown_usd_per_year={"energy": 38_700.0, "maintenance": 82_500.0,
                                     "staff": 60_000.0, "connectivity": 24_000.0,
                                     "lease": 12_000.0, "insurance": 16_500.0},
        deployment_days=84.0,
        hourly=synthetic_hourly() if hourly else None,
        warnings=["throttles 3 h/yr in the hottest week"],
    )


def sample_plan(sites: int = 1, hourly: bool = True, site_name: str = "Plant A") -> Plan:
    """A Plan with ``sites`` sites; the first is named ``site_name`` (for escaping tests)."""
    sps = [site_plan("plant-a", site_name, hourly=hourly)]
    for i in range(1, sites):
        sps.append(site_plan(f"depot-{i}", f"Depot {i}", hourly=False, feasible=i % 2 == 0))
    return Plan(
        scenario="hospital-edge", flatbed_version="0.1.0", currency_year=2025, horizon_years=5,
        sites=sps,
        assumptions=[
            Assumption(kind="accelerators", id="H100-SXM", field="tdp_w", value="700",
                       source="NVIDIA H100 datasheet (2023)"),
            Assumption(kind="modules", id="iso-20ft-hc", field="max_gross_kg", value="30480",
                       source="ISO 668:2020"),
        ],
        provenance={"sites[0].latency": "serving.engine", "sites[0].tco_usd": "economics.tco"},
        warnings=["prices are list prices; quotes will differ"],
    )
