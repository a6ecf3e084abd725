"""Seeded synthetic fleet instances for benchmarks and scaling tests.

Not data: shapes only. Sites are scattered around real metro centres in several countries; unit
types span small air-cooled to large liquid-cooled modules with capacities and prices scaled from
a reference unit. Figures are labelled estimates chosen to be of the right order for 2025
hardware (a 4×8-GPU H100-class module at ~$1.6 M, ~60 kW IT; catalog_facts.md §1–§2 give
~$250–400 k per 8-GPU server), not catalog entries.
"""

from __future__ import annotations

import math

import numpy as np

from flatbed.fleet.model import FleetInstance, FleetSite, FleetWorkload, UnitType

_METROS: tuple[tuple[str, float, float], ...] = (
    # country, latitude, longitude of a metro centre (public coordinates)
    ("US", 39.74, -104.99),  # Denver
    ("US", 41.88, -87.63),  # Chicago
    ("US", 29.76, -95.37),  # Houston
    ("US", 33.45, -112.07),  # Phoenix
    ("DE", 50.11, 8.68),  # Frankfurt
    ("DE", 52.52, 13.40),  # Berlin
    ("NO", 59.91, 10.75),  # Oslo
    ("GB", 51.51, -0.13),  # London
    ("AE", 25.20, 55.27),  # Dubai
    ("IN", 19.08, 72.88),  # Mumbai
)


def synthetic_fleet(
    n_sites: int = 100, n_unit_types: int = 10, n_periods: int = 1, seed: int = 0,
    site_fixed_usd_per_year: float = 96_000.0,
) -> FleetInstance:
    """A reproducible fleet instance of the given size.

    Sites scatter within ~150 km of ten metros (so neighbours share units within a few ms);
    each site has one LLM and, at half the sites, one vision workload with mixed data rules;
    demand grows 25 %/yr over periods of one year. ``site_fixed_usd_per_year`` defaults to the
    scenario defaults for remote hands, connectivity and lease (60 k + 24 k + 12 k USD/yr).
    """
    rng = np.random.default_rng(seed)
    sites = []
    for i in range(n_sites):
        c, lat0, lon0 = _METROS[i % len(_METROS)]
        lat = lat0 + float(rng.normal(0, 0.6))
        lon = lon0 + float(rng.normal(0, 0.6)) / max(math.cos(math.radians(lat0)), 0.2)
        hot = frozenset(f"u{k}" for k in range(n_unit_types) if k % 3 == 0) if c in (
            "AE", "IN") or (c == "US" and lon0 < -110) else frozenset()
        sites.append(FleetSite(
            id=f"site{i:03d}", country=c, latitude=lat, longitude=lon,
            pads=int(rng.choice([1, 2, 3, 4], p=[0.2, 0.4, 0.25, 0.15])),
            power_kw=float(rng.choice([150.0, 400.0, 1000.0, math.inf], p=[0.2, 0.3, 0.3, 0.2])),
            energy_usd_per_kwh=float(rng.uniform(0.06, 0.30)),
            fixed_usd_per_year=site_fixed_usd_per_year,
            too_hot_for=hot,
            cloud_rtt_ms=float(rng.uniform(8, 60)),
        ))
    units = []
    for k in range(n_unit_types):
        size = 0.5 + 3.5 * k / max(n_unit_types - 1, 1)  # 0.5× … 4× a reference unit
        eff = 1.0 + 0.15 * (k % 3)  # newer generations: more capacity per dollar
        it_kw = 60.0 * size
        units.append(UnitType(
            id=f"u{k}",
            capacity={"llm": 20.0 * size * eff, "vision": 600.0 * size * eff},
            capex_usd=1.6e6 * size * (0.9 + 0.1 * (k % 3)) ** 1.5,
            life_years=5.0,
            fixed_usd_per_year=0.06 * 1.6e6 * size,
            power_kw=it_kw * 1.25,
            energy_kwh_per_year=it_kw * 1.25 * 8760 * 0.6,
            pads=1 if size <= 2.5 else 2,
            move_usd=60_000.0 + 20_000.0 * size,
        ))
    rules = ("on_site", "in_country", "anywhere")
    growth = [1.25 ** t for t in range(n_periods)]
    workloads = []
    for i, s in enumerate(sites):
        roomy = s.pads >= 2 and s.power_kw >= 400
        # on_site data only where the site can hold a unit big enough (else it is in_country)
        where = rules[int(rng.integers(0 if roomy else 1, 3))]
        dem = float(rng.uniform(3, 30))
        workloads.append(FleetWorkload(
            id=f"llm{i:03d}", site=s.id, workload_class="llm",
            demand=tuple(dem * g for g in growth),
            latency_budget_ms=float(rng.choice([5.0, 10.0, 20.0, 80.0])),
            data_where=where,  # type: ignore[arg-type]
            cloud_usd_per_unit_year=float(rng.uniform(40_000, 120_000)),
        ))
        if i % 2 == 0:
            dem_v = float(rng.uniform(100, 1000))
            workloads.append(FleetWorkload(
                id=f"vis{i:03d}", site=s.id, workload_class="vision",
                demand=tuple(dem_v * g for g in growth),
                latency_budget_ms=float(rng.choice([2.0, 5.0, 10.0])),
                data_where=rules[int(rng.integers(0 if roomy else 1, 3))],  # type: ignore[arg-type]
                cloud_usd_per_unit_year=float(rng.uniform(500, 3000)),
            ))
    return FleetInstance(tuple(sites), tuple(units), tuple(workloads),
                         period_years=(1.0,) * n_periods, discount_rate=0.08)
