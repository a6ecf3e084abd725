"""Layout, module mass, road limits, truckloads, floor loads and the deployment timeline."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import pytest

from flatbed.facility.timeline import (
    COMMISSION_EXTRA_DAYS,
    DRIVING_KM_PER_DAY,
    deployment_timeline,
)
from flatbed.facility.transport import (
    RACK_EMPTY_KG,
    module_gross_kg,
    pack_truckloads,
    plan_layout,
    plan_transport,
    rack_floor_load_kg_per_m,
)

sys.path.insert(0, str(Path(__file__).parent))
from standins import AIR, DGX_H100, DLC, EU, ISO40, NVL72, US  # noqa: E402


def test_dgx_layout_limits() -> None:
    # 41 kW/rack → 4 DGX (40.8 kW) per rack, as NVIDIA's SuperPOD design (research §2);
    # the 320 kW module rating allows 31 of 32 positions.
    lay = plan_layout(DGX_H100, 31, ISO40, AIR)
    assert lay.servers_per_rack == 4
    assert lay.servers_per_module == 31
    assert lay.modules == 1 and lay.racks == 8
    assert "320" in lay.binding
    lay2 = plan_layout(DGX_H100, 32, ISO40, AIR)
    assert lay2.modules == 2 and lay2.servers_in_module(0) == 31 and lay2.servers_in_module(1) == 1
    assert lay2.racks == 8 + 1


def test_module_mass_sum() -> None:
    m = module_gross_kg(ISO40, DGX_H100, 31, 4)
    assert m == pytest.approx(3940 + 7000 + 8 * RACK_EMPTY_KG + 31 * 130.45)


def test_liquid_rack_on_air_is_a_violation() -> None:
    lay = plan_layout(NVL72, 2, ISO40, AIR)
    assert any("kW per rack" in v for v in lay.violations)
    ok = plan_layout(NVL72, 4, ISO40, DLC)
    assert not ok.violations and ok.rack_scale and ok.servers_per_module == 4


def test_overweight_module_ships_servers_separately() -> None:
    heavy = ISO40.model_copy(update={"fitout_kg": 16000.0})
    lay = plan_layout(DGX_H100, 31, heavy, AIR)
    t = plan_transport(lay, DGX_H100, heavy, US)
    gross = module_gross_kg(heavy, DGX_H100, 31, 4)
    assert t.module_gross_kg == pytest.approx(gross)
    assert gross + US.tractor_trailer_tare_kg > US.max_gross_vehicle_kg
    assert not t.ships_loaded and t.server_trucks == 1 and t.trucks == 2
    assert any("travel separately" in w for w in t.warnings)


def test_module_over_its_rating_is_named() -> None:
    heavy = ISO40.model_copy(update={"fitout_kg": 22000.0})
    t = plan_transport(plan_layout(DGX_H100, 31, heavy, AIR), DGX_H100, heavy, US)
    assert any("exceeds the 30,480 kg rating" in v for v in t.violations)


def test_eu_height_needs_low_bed_and_us_fits() -> None:
    lay = plan_layout(DGX_H100, 31, ISO40, AIR)
    us = plan_transport(lay, DGX_H100, ISO40, US)
    eu = plan_transport(lay, DGX_H100, ISO40, EU)
    assert us.ships_loaded and not us.violations and us.trucks == 1
    assert us.height_on_chassis_m == pytest.approx(2.896 + 1.15)
    assert any("low-bed" in w for w in eu.warnings) and not eu.violations


def test_wide_module_violates_width() -> None:
    wide = ISO40.model_copy(update={"width_m": 3.5})
    t = plan_transport(plan_layout(DGX_H100, 31, wide, AIR), DGX_H100, wide, EU)
    assert any("width" in v for v in t.violations)


def test_floor_point_load() -> None:
    assert rack_floor_load_kg_per_m(DGX_H100, 4) == pytest.approx((4 * 130.45 + 170) / 0.6)
    assert rack_floor_load_kg_per_m(NVL72, 1, rack_scale=True) == pytest.approx(1360 / 0.6)
    weak = ISO40.model_copy(update={"floor_load_kg_per_m": 1500.0})
    t = plan_transport(plan_layout(NVL72, 4, weak, DLC), NVL72, weak, US)
    assert any("running metre" in v for v in t.violations)


@pytest.mark.parametrize("masses", [
    [5500.0, 5500.0, 5500.0], [18000.0, 10000.0, 5500.0, 5500.0], [9000.0] * 6,
    [12000.0, 11000.0, 7000.0, 6000.0, 4000.0]])
def test_truck_packing_matches_brute_force_bound(masses: list[float]) -> None:
    payload = 23_000.0
    n = pack_truckloads(masses, payload)
    # Lower bound: total mass / payload; exhaustive optimum on these small sets.
    assert n >= math.ceil(sum(masses) / payload)
    best = len(masses)
    for labels in itertools.product(range(len(masses)), repeat=len(masses)):
        loads: dict[int, float] = {}
        for m, b in zip(masses, labels, strict=True):
            loads[b] = loads.get(b, 0.0) + m
        if all(v <= payload for v in loads.values()):
            best = min(best, len(loads))
    assert n == best  # first-fit decreasing is optimal on these small sets


def test_timeline_critical_path_and_scaling() -> None:
    one = deployment_timeline(1, distance_km=500)
    three = deployment_timeline(3, distance_km=500)
    assert three.total_days - one.total_days == pytest.approx(2 * COMMISSION_EXTRA_DAYS)
    far = deployment_timeline(1, distance_km=500 + 3 * DRIVING_KM_PER_DAY)
    assert far.total_days - one.total_days == pytest.approx(3.0)
    assert one.total_days == pytest.approx(90 + 14 + 1 + 1 + 7)
    slow_site = deployment_timeline(1, distance_km=500, site_prep_days=200)
    assert slow_site.critical_path[0] == "site preparation and permits"
    assert slow_site.total_days == pytest.approx(200 + 2 + 7)
