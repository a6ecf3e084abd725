"""Facility speed benchmark: one year simulation (8,760 h) and one full site evaluation.

Run: ``.venv/bin/python benchmarks/bench_facility.py``. Target: a year simulation of one site
< 50 ms (issue 5). Prints median and p90 over repeated runs; no assertions.

``--reference`` prints instead the reference-results table of ``docs/facility.md``: 31 DGX H100
(≈ 316 kW nameplate) at a flat 85 % load, diesel gensets, US roads, a 40 ft HC module, each
cooling technology in Phoenix and Oslo (synthesized years, seed 0).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from flatbed.catalog import builtin_catalog
from flatbed.catalog.records import Climate, CoolingSystem, Module, RoadLimit, Server
from flatbed.facility.cooling import cooling_model, server_air_delta_t_k
from flatbed.facility.evaluate import evaluate_facility
from flatbed.facility.power import PowerSupply
from flatbed.facility.thermal import hourly_utilization, simulate_year
from flatbed.facility.weather import read_epw, synthesize_year, write_epw


def _time(fn: Callable[[], object], n: int) -> tuple[float, float]:
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000.0)
    ts.sort()
    return statistics.median(ts), ts[int(0.9 * (len(ts) - 1))]


def main() -> None:
    cat = builtin_catalog()
    server = cat.get("servers", "DGX-H100", Server)
    module = cat.get("modules", "iso-40ft-hc", Module)
    road = cat.get("road_limits", "US", RoadLimit)
    climate = cat.get("climates", "phoenix", Climate)
    gensets = cat.all("gensets")
    weather = synthesize_year(climate)
    u = hourly_utilization([1.0] * 24, 0.8)
    print("facility benchmark (median / p90 ms)")
    for cid in ("air-containment", "dx-chiller", "rdhx-active", "direct-liquid"):
        cool = cat.get("cooling", cid, CoolingSystem)
        cm = cooling_model(cool, inlet_max_c=server.inlet_max_c, design_heat_kw=320.0,
                           elevation_m=weather.elevation_m,
                           air_delta_t_k=server_air_delta_t_k(server))
        supply = PowerSupply(kind="generator", genset=gensets[0], units=2,  # type: ignore[arg-type]
                             duty_units=1, fuel_usd_per_unit=0.97)

        def sim(cm: object = cm, supply: PowerSupply = supply) -> object:
            return simulate_year(ambient_c=weather.dry_bulb_c, utilization=u, servers=31,
                                 server_idle_kw=server.idle_power_kw,
                                 server_max_kw=server.max_power_kw, cooling=cm,  # type: ignore
                                 supply=supply)

        def full(cool: CoolingSystem = cool) -> object:
            return evaluate_facility(server=server, servers=31, cooling=cool, module=module,
                                     road=road, weather=weather, utilization=u, gensets=gensets)

        m, p = _time(sim, 200)
        m2, p2 = _time(full, 50)
        print(f"  simulate_year   {cid:16s} {m:6.2f} / {p:6.2f}")
        print(f"  evaluate_facility {cid:14s} {m2:6.2f} / {p2:6.2f}")
    m, p = _time(lambda: synthesize_year(climate, seed=1), 10)
    print(f"  synthesize_year (uncached)         {m:6.2f} / {p:6.2f}")
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "phx.epw"
        write_epw(f, weather)
        m, p = _time(lambda: read_epw(f), 10)
        print(f"  read_epw (8,760 rows)              {m:6.2f} / {p:6.2f}")


def reference() -> None:
    cat = builtin_catalog()
    server = cat.get("servers", "DGX-H100", Server)
    module = cat.get("modules", "iso-40ft-hc", Module)
    road = cat.get("road_limits", "US", RoadLimit)
    gensets = cat.all("gensets")
    u = hourly_utilization([1.0] * 24, 0.85)
    print("| climate | cooling | modules | PUE | peak kW | throttled h | work lost | diesel L/yr "
          "| trucks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for clim in ("phoenix", "oslo"):
        weather = synthesize_year(cat.get("climates", clim, Climate))
        for cid in ("air-containment", "dx-chiller", "rdhx-active", "direct-liquid"):
            fac = evaluate_facility(server=server, servers=31,
                                    cooling=cat.get("cooling", cid, CoolingSystem),
                                    module=module, road=road, weather=weather, utilization=u,
                                    gensets=gensets, power_source="generator")  # type: ignore
            lost = 1.0 - float(fac.year.throughput_fraction.mean())
            print(f"| {clim} | {cid} | {fac.modules} | {fac.pue_annual:.3f} | "
                  f"{fac.facility_kw_peak:.0f} | {fac.throttled_hours:.0f} | {lost:.1%} | "
                  f"{fac.fuel_l_per_year:,.0f} | {fac.trucks} |")


if __name__ == "__main__":
    import sys

    reference() if "--reference" in sys.argv else main()
