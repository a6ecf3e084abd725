"""Catalog-shaped stand-in records for the facility tests (numbers from the research notes).

Kept in the tests so they do not depend on the catalog data files; a separate test uses the real
catalog entries once they exist.
"""

from __future__ import annotations

from flatbed.catalog.records import Climate, CoolingSystem, Genset, Module, RoadLimit, Server

SRC = "test stand-in; values from /work/shared/docs/research/catalog_facts.md"

DGX_H100 = Server(
    id="DGX-H100", source=SRC, accelerator="H100-SXM", accelerator_count=8, rack_units=8,
    max_power_kw=10.2, idle_power_kw=3.0, weight_kg=130.45, inlet_min_c=5.0, inlet_max_c=30.0,
    airflow_cfm=1105.0, price_usd=300_000.0, currency_year=2025,
)

NVL72 = Server(
    id="GB200-NVL72", source=SRC, accelerator="GB200", accelerator_count=72, rack_units=48,
    max_power_kw=120.0, idle_power_kw=30.0, weight_kg=1360.0, inlet_min_c=5.0, inlet_max_c=35.0,
    liquid_cooled=True, price_usd=3_000_000.0, currency_year=2025,
)

AIR = CoolingSystem(
    id="air-containment", source=SRC, kind="air_containment", max_kw_per_rack=41.0,
    max_ambient_c=46.0, fan_power_fraction=0.04, cop_at_35c=3.0, cop_slope_per_c=-0.025,
    economizer_max_ambient_c=22.0, capex_usd_per_kw=900.0, currency_year=2025,
)

AIR_FREE = CoolingSystem(
    id="air-free", source=SRC, kind="air_containment", max_kw_per_rack=41.0,
    max_ambient_c=45.0, fan_power_fraction=0.03, capex_usd_per_kw=400.0, currency_year=2025,
)

DX = CoolingSystem(
    id="dx-chiller", source=SRC, kind="dx_chiller", max_kw_per_rack=41.0, max_ambient_c=48.0,
    fan_power_fraction=0.04, cop_at_35c=3.0, cop_slope_per_c=-0.025, capex_usd_per_kw=1000.0,
    currency_year=2025,
)

DLC = CoolingSystem(
    id="direct-liquid", source=SRC, kind="direct_liquid", max_kw_per_rack=132.0,
    max_ambient_c=50.0, liquid_fraction=0.8, fan_power_fraction=0.02, cop_at_35c=3.5,
    cop_slope_per_c=-0.025, economizer_max_ambient_c=32.0, capex_usd_per_kw=1200.0,
    currency_year=2025,
)

RDHX = CoolingSystem(
    id="rdhx-active", source=SRC, kind="rdhx_active", max_kw_per_rack=60.0, max_ambient_c=45.0,
    fan_power_fraction=0.03, capex_usd_per_kw=700.0, currency_year=2025,
)

ISO40 = Module(
    id="iso-40ft-hc", source=SRC, length_m=12.192, width_m=2.438, height_m=2.896,
    internal_length_m=12.032, tare_kg=3940.0, fitout_kg=7000.0, max_gross_kg=30480.0, racks=8,
    max_it_kw_by_cooling={"air-containment": 320.0, "air-free": 320.0, "dx-chiller": 320.0,
                          "direct-liquid": 480.0, "rdhx-active": 320.0},
    floor_load_kg_per_m=3000.0, price_usd=600_000.0, currency_year=2025,
)

US = RoadLimit(id="US", source=SRC, max_gross_vehicle_kg=36287.0, tractor_trailer_tare_kg=12700.0,
               max_height_m=4.11, max_width_m=2.59, max_length_m=16.15)
EU = RoadLimit(id="EU", source=SRC, max_gross_vehicle_kg=40000.0, tractor_trailer_tare_kg=13000.0,
               max_height_m=4.0, max_width_m=2.55, max_length_m=16.5)

GENSETS = tuple(
    Genset(id=f"diesel-{kw}kw", source=SRC, fuel="diesel", rating_kw=kw,
           load_fractions=(0.25, 0.5, 0.75, 1.0), fuel_per_h=curve, mass_kg=mass,
           altitude_derate_per_500m_above_1000m=0.03, temp_derate_per_5c_above_40c=0.03,
           price_usd=price, currency_year=2025)
    for kw, curve, mass, price in (
        (500, (41.6, 70.0, 99.9, 135.1), 5500.0, 120_000.0),
        (1000, (81.8, 137.8, 197.2, 269.1), 10500.0, 220_000.0),
        (2000, (162.0, 273.3, 391.7, 537.1), 19000.0, 420_000.0),
    )
)
"""Published diesel part-load tables (L/h at 25/50/75/100 %): oer.enviraj.com / eventpower.ca
fuel consumption charts (research notes §6a, R47)."""

PHOENIX = Climate(
    id="phoenix", name="Phoenix", source=SRC + "; NOAA 1991–2020 normals, ASHRAE 2021",
    country="US", latitude=33.43, longitude=-112.0, elevation_m=337.0, design_db_004_c=43.6,
    design_mcwb_004_c=21.3, design_heating_996_c=3.6,
    monthly_mean_max_c=(19.4, 21.4, 25.0, 29.6, 35.1, 40.3, 41.2, 40.3, 37.6, 31.4, 24.1, 18.7),
    monthly_mean_min_c=(8.1, 9.7, 12.6, 16.4, 21.3, 26.3, 29.2, 28.7, 25.4, 19.1, 12.3, 7.6),
    monthly_rh_pct=(50, 44, 39, 28, 21, 19, 31, 36, 35, 37, 45, 52),
)

OSLO = Climate(
    id="oslo", name="Oslo", source=SRC + "; met.no 1991–2020 normals, ASHRAE 2021",
    country="NO", latitude=59.94, longitude=10.72, elevation_m=94.0, design_db_004_c=27.0,
    design_mcwb_004_c=18.0, design_heating_996_c=-16.0,
    monthly_mean_max_c=(0.0, 0.8, 5.0, 10.8, 16.5, 20.6, 22.7, 21.3, 16.4, 9.7, 4.3, 0.6),
    monthly_mean_min_c=(-5.2, -5.3, -2.4, 1.8, 6.8, 11.1, 13.6, 12.7, 8.7, 4.0, -0.3, -4.3),
    monthly_rh_pct=(84, 79, 71, 64, 62, 65, 69, 74, 79, 83, 86, 86),
)

DENVER = PHOENIX.model_copy(update={"id": "denver-ish", "elevation_m": 1609.0})
