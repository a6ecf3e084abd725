"""Latency geometry, annuity and data-rule filters of the fleet model, against references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flatbed.errors import InputError
from flatbed.fleet.model import (
    FleetInstance,
    FleetSite,
    FleetWorkload,
    UnitType,
    capital_recovery_factor,
    cloud_allowed,
    fibre_rtt_ms,
    haversine_km,
    max_units_at,
    may_serve,
)
from flatbed.fleet.solve import solve_fleet


def test_haversine_quarter_meridian_and_one_degree() -> None:
    # pole to equator is a quarter of a great circle: pi/2 * R
    assert haversine_km(90, 0, 0, 0) == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-12)
    # one degree of longitude on the equator: 2 pi R / 360 = 111.195 km
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.1951, abs=1e-3)


def test_haversine_london_paris_published_distance() -> None:
    # great-circle London (51.5074, -0.1278) to Paris (48.8566, 2.3522): 343.5 km on a sphere
    # (e.g. movable-type.co.uk/scripts/latlong.html gives 343.5 km for these coordinates)
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=0.6)


def test_haversine_is_vectorized_and_symmetric() -> None:
    lat = np.array([10.0, -33.9, 59.9])
    lon = np.array([20.0, 151.2, 10.7])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert d.shape == (3, 3)
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0)


def test_fibre_rtt_matches_the_1000_km_rule() -> None:
    # catalog_facts §7: 1,000 km of fibre ≈ 4.9 ms one way ≈ 10 ms round trip
    assert fibre_rtt_ms(1000.0, route_inflation=1.0) == pytest.approx(9.794, abs=1e-3)
    assert fibre_rtt_ms(np.array([0.0, 500.0]), 2.0).tolist() == pytest.approx([0.0, 9.794])


def test_capital_recovery_factor_repays_the_capex() -> None:
    for r, n in ((0.08, 5), (0.05, 10), (0.0, 4)):
        crf = capital_recovery_factor(r, n)
        pv = sum(crf / (1 + r) ** y for y in range(1, n + 1))
        assert pv == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError):
        capital_recovery_factor(0.05, 0)


def _three_sites() -> FleetInstance:
    sites = (
        FleetSite("fra", "DE", 50.11, 8.68, cloud_rtt_ms=5),
        FleetSite("mainz", "DE", 49.99, 8.25, cloud_rtt_ms=8),        # ~33 km from Frankfurt
        FleetSite("strasbourg", "FR", 48.57, 7.75, cloud_rtt_ms=12),  # ~185 km, other country
    )
    u = UnitType("u", {"c": 1.0}, capex_usd=1.0)
    wl = (
        FleetWorkload("onsite", "fra", "c", (1.0,), 100.0, "on_site", 10.0),
        FleetWorkload("incountry", "fra", "c", (1.0,), 100.0, "in_country", 10.0),
        FleetWorkload("anywhere", "fra", "c", (1.0,), 100.0, "anywhere", 10.0),
        FleetWorkload("tight", "fra", "c", (1.0,), 1.0, "anywhere", 10.0),
    )
    return FleetInstance(sites, (u,), wl)


def test_may_serve_applies_jurisdiction_and_latency() -> None:
    inst = _three_sites()
    w = {x.id: x for x in inst.workloads}
    names = {k: [inst.sites[j].id for j, _ in may_serve(inst, v)] for k, v in w.items()}
    assert names["onsite"] == ["fra"]
    assert names["incountry"] == ["fra", "mainz"]
    assert names["anywhere"] == ["fra", "mainz", "strasbourg"]
    # 33 km × 2 (route) × 2 (round trip) × 4.897 µs ≈ 0.65 ms ≤ 1 ms; Strasbourg ≈ 3.6 ms > 1 ms
    assert names["tight"] == ["fra", "mainz"]
    assert cloud_allowed(inst, w["anywhere"])
    assert not cloud_allowed(inst, w["incountry"])
    assert not cloud_allowed(inst, w["tight"])  # cloud RTT 5 ms over a 1 ms budget


def test_max_units_respects_pads_power_heat_and_allowed_list() -> None:
    u = UnitType("u", {"c": 1.0}, capex_usd=1.0, power_kw=120.0, pads=1)
    two = UnitType("two", {"c": 1.0}, capex_usd=1.0, pads=2)
    s = FleetSite("s", "US", 0, 0, pads=3, power_kw=250.0)
    assert max_units_at(u, s) == 2  # power: 250 // 120
    assert max_units_at(two, s) == 1  # pads: 3 // 2
    assert max_units_at(u, FleetSite("h", "US", 0, 0, too_hot_for=frozenset({"u"}))) == 0
    only = UnitType("o", {"c": 1.0}, capex_usd=1.0, allowed_sites=frozenset({"x"}))
    assert max_units_at(only, s) == 0


def test_unservable_workload_is_an_input_error_naming_it() -> None:
    sites = (FleetSite("hot", "AE", 25.2, 55.3, too_hot_for=frozenset({"u"})),)
    u = UnitType("u", {"c": 1.0}, capex_usd=1.0)
    wl = (FleetWorkload("clinic", "hot", "c", (1.0,), 50.0, "on_site", regime="HIPAA"),)
    with pytest.raises(InputError, match="clinic.*hot.*on_site.*HIPAA"):
        solve_fleet(FleetInstance(sites, (u,), wl))


def test_not_enough_pads_is_an_input_error() -> None:
    sites = (FleetSite("s", "US", 0, 0, pads=1),)
    u = UnitType("u", {"c": 1.0}, capex_usd=1.0)
    wl = (FleetWorkload("w", "s", "c", (2.5,), 50.0, "on_site"),)
    with pytest.raises(InputError, match="needs 2.5 capacity units.*at most 1"):
        solve_fleet(FleetInstance(sites, (u,), wl))


def test_pads_shared_between_neighbours_found_infeasible_by_the_solver() -> None:
    # each workload alone fits (the pre-check passes) but together they need 3 pads out of 2
    sites = (FleetSite("a", "US", 40.0, -105.0, pads=1), FleetSite("b", "US", 40.01, -105.0,
                                                                    pads=1))
    u = UnitType("u", {"c": 1.0}, capex_usd=1.0)
    wl = (FleetWorkload("w1", "a", "c", (1.5,), 50.0, "in_country"),
          FleetWorkload("w2", "b", "c", (1.5,), 50.0, "in_country"))
    with pytest.raises(InputError, match="Infeasible"):
        solve_fleet(FleetInstance(sites, (u,), wl))


def test_instance_validation() -> None:
    s = (FleetSite("s", "US", 0, 0),)
    u = (UnitType("u", {"c": 1.0}, capex_usd=1.0),)
    with pytest.raises(ValueError, match="demand values"):
        FleetInstance(s, u, (FleetWorkload("w", "s", "c", (1.0, 2.0)),))
    with pytest.raises(ValueError, match="unknown site"):
        FleetInstance(s, u, (FleetWorkload("w", "x", "c", (1.0,)),))


def test_cloud_only_solution_and_json_shape() -> None:
    inst = _three_sites()
    # make units absurdly expensive: everything that may go to the cloud goes there
    sol = solve_fleet(FleetInstance(
        inst.sites, (UnitType("u", {"c": 1.0}, capex_usd=1e9, life_years=5),),
        (inst.workloads[2],)))
    d = sol.to_dict()
    assert set(d) >= {"units", "assignments", "cloud", "objective_usd", "optimality_gap"}
    assert d["units"] == [] and d["assignments"] == []
    assert d["cloud"][0]["demand"] == pytest.approx(1.0)
    assert d["objective_usd"] == pytest.approx(10.0)


def test_nothing_to_serve_costs_nothing() -> None:
    s = (FleetSite("a", "US", 0, 0),)
    w = (FleetWorkload("w", "a", "c", (0.0,)),)
    for units in ((UnitType("u", {"c": 1.0}, capex_usd=10.0),), ()):
        sol = solve_fleet(FleetInstance(s, units, w))
        assert sol.objective_usd == 0 and sol.optimality_gap == 0
        assert sol.units == () and sol.assignments == () and sol.cloud == ()
