"""Benchmark: Monte Carlo of one site's TCO (10,000 samples, target < 5 s) and the full
per-site economics call. Prints its figures:
`.venv/bin/python benchmarks/bench_economics.py`.
"""

from __future__ import annotations

import platform
import time

import numpy as np

from flatbed.catalog.records import ApiPrice, CloudGpuOffer, CoolingSystem, Genset, Module, Server
from flatbed.economics import ModuleGroup, WorkloadDemand, evaluate_economics
from flatbed.economics.cloud import CloudGpuDemand, api_option, gpu_rental_options
from flatbed.economics.tco import TcoInputs, tco_usd
from flatbed.economics.uncertainty import monte_carlo, tornado
from flatbed.scenario import DataRule

SRC = "benchmark stand-in (catalog_facts.md)"


def site() -> dict[str, object]:
    srv = Server(id="DGX-H100", source=SRC, currency_year=2025, accelerator="H100-SXM",
                 accelerator_count=8, rack_units=8, max_power_kw=10.2, idle_power_kw=2.5,
                 weight_kg=130.45, inlet_min_c=5, inlet_max_c=30, price_usd=300_000)
    mod = Module(id="ISO40HC", source=SRC, currency_year=2025, length_m=12.192, width_m=2.438,
                 height_m=2.896, internal_length_m=12.032, tare_kg=3940, fitout_kg=6000,
                 max_gross_kg=30480, racks=8, max_it_kw_by_cooling={"rdhx": 320},
                 floor_load_kg_per_m=3000, price_usd=250_000)
    cool = CoolingSystem(id="rdhx", source=SRC, currency_year=2025, kind="rdhx_active",
                         max_kw_per_rack=60, max_ambient_c=45, fan_power_fraction=0.02,
                         capex_usd_per_kw=800)
    gs = Genset(id="G500", source=SRC, currency_year=2025, fuel="diesel", rating_kw=500,
                load_fractions=(0.25, 0.5, 0.75, 1.0), fuel_per_h=(41.6, 70.0, 99.9, 135.1),
                mass_kg=5000, altitude_derate_per_500m_above_1000m=0.03,
                temp_derate_per_5c_above_40c=0.03, price_usd=150_000)
    offers = [CloudGpuOffer(id=f"o{i}", source=SRC, currency_year=2026, provider=f"P{i}",
                            instance="8x", accelerator="H100-SXM", gpus=8, region="us-east-1",
                            on_demand_usd_per_gpu_hour=3.0 + i,
                            reserved_1y_usd_per_gpu_hour=2.5 + i,
                            reserved_3y_usd_per_gpu_hour=2.0 + i,
                            spot_usd_per_gpu_hour=1.5 + i,
                            egress_usd_per_gb=0.09, price_date="2026-11") for i in range(4)]
    apis = [ApiPrice(id="t", source=SRC, currency_year=2026, provider="Together", kind="llm",
                     model="llama-3.3-70b", usd_per_million_input_tokens=0.88,
                     usd_per_million_output_tokens=0.88, price_date="2026-05")]
    wl = WorkloadDemand(id="assistant", kind="llm", model="llama-3.3-70b", data=DataRule(),
                        input_tokens_per_year=20 * 1024 * 8760 * 3600,
                        output_tokens_per_year=20 * 256 * 8760 * 3600, edge_gpus=32,
                        cloud_gpus={"H100-SXM": CloudGpuDemand("H100-SXM", 32, 32 * 8760 * .7)})
    return dict(servers=[(srv, 4)], modules=[ModuleGroup(mod, cool, 1, 41.0)],
                gensets=[(gs, 1)], workloads=[wl], site_country="US", facility_kw_peak=55.0,
                energy_kwh_per_year=55 * 8760 * 0.7, usd_per_kwh=0.093, trucks=2,
                cloud_offers=offers, api_prices=apis)


def best_of(fn, n: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    s = site()
    res = evaluate_economics(**s, mc_samples=0)  # type: ignore[arg-type]
    x = res.inputs
    assert isinstance(x, TcoInputs)
    opts = gpu_rental_options(s["cloud_offers"], s["workloads"], "US", 5)  # type: ignore[arg-type]
    api = api_option(s["api_prices"], s["workloads"], "US", 5)  # type: ignore[arg-type]
    opts += [api] if api else []
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"cloud options: {len(opts)}")
    t_mc = best_of(lambda: monte_carlo(x, opts, samples=10_000, seed=0))
    print(f"monte_carlo 10,000 samples, {len(opts)} cloud options: {t_mc * 1e3:.1f} ms "
          f"(target < 5,000 ms)")
    t_mc100k = best_of(lambda: monte_carlo(x, opts, samples=100_000, seed=0), 2)
    print(f"monte_carlo 100,000 samples: {t_mc100k * 1e3:.1f} ms")
    t_tor = best_of(lambda: tornado(x))
    print(f"tornado (11 inputs, one vectorized call): {t_tor * 1e3:.2f} ms")
    t_one = best_of(lambda: tco_usd(x), 50)
    print(f"tco_usd scalar: {t_one * 1e6:.1f} us")
    t_all = best_of(lambda: evaluate_economics(**s, mc_samples=10_000))  # type: ignore[arg-type]
    print(f"evaluate_economics with 10,000-sample Monte Carlo: {t_all * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
