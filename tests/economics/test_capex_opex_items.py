"""Capex breakdown and opex items: every line adds up, overrides apply, classes partition."""

from __future__ import annotations

import pytest

from flatbed.catalog.records import Accelerator, Genset, Server
from flatbed.economics.capex import (
    FACILITY_ITEMS,
    IT_ITEMS,
    ONE_TIME_ITEMS,
    CapexAssumptions,
    ModuleGroup,
    capex_breakdown,
    server_unit_price_usd,
)
from flatbed.economics.opex import (
    OpexInputs,
    opex_breakdown_usd_per_year,
    redeployment_usd_per_move,
)
from flatbed.scenario import Prices


def test_breakdown_sums_and_bom_matches(server: Server, module_group: ModuleGroup,
                                        genset: Genset) -> None:
    a = CapexAssumptions()
    res = capex_breakdown([(server, 2)], [module_group], [(genset, 1)], facility_kw_peak=110,
                          trucks=2)
    b = res.breakdown_usd
    assert b["servers"] == 600_000
    assert b["networking"] == 2 * a.network_usd_per_server + a.network_usd_per_module
    assert b["cooling"] == pytest.approx(82 * 800)
    assert b["modules"] == 250_000
    assert b["racks_pdus"] == 8 * (a.rack_usd + 2 * a.pdu_usd)
    assert b["power_equipment"] == pytest.approx(110 * a.power_usd_per_kw)
    assert b["ups"] == pytest.approx(110 * a.ups_usd_per_kw)
    assert b["fuel_tanks"] == pytest.approx(135.1 * 48 * 1.5)
    assert b["transport"] == 2 * a.transport_usd_per_truckload
    assert sum(line.total_usd for line in res.bom) == pytest.approx(res.total_usd)
    assert res.it_usd + res.facility_usd + res.one_time_usd == pytest.approx(res.total_usd)
    assert set(b) == set(IT_ITEMS) | set(FACILITY_ITEMS) | set(ONE_TIME_ITEMS)
    for line in res.bom:
        assert line.total_usd == pytest.approx(line.quantity * line.unit_usd)
        assert line.source


def test_price_overrides(server: Server) -> None:
    assert server_unit_price_usd(server, Prices(server_usd={"DGX-H100": 250_000}))[0] == 250_000
    acc = Accelerator(id="H100-SXM", source="t", currency_year=2025, vendor="nvidia",
                      family="hopper", form_factor="sxm", year=2022,
                      peak_dense_tflops={"bf16": 989}, memory_gb=80,
                      memory_bandwidth_tb_per_s=3.35, tdp_w=700, interconnect="NVLink4",
                      interconnect_gb_per_s=900, price_usd=30_000)
    p = Prices(accelerator_usd={"H100-SXM": 25_000})
    price, src = server_unit_price_usd(server, p, {"H100-SXM": acc})
    assert price == 300_000 - 8 * 5_000 and "repriced" in src
    # without the catalog GPU price the override cannot be applied
    assert server_unit_price_usd(server, p)[0] == 300_000


def test_no_ups_and_no_gensets(server: Server, module_group: ModuleGroup) -> None:
    res = capex_breakdown([(server, 1)], [module_group], facility_kw_peak=50, ups=False)
    assert res.breakdown_usd["ups"] == 0 and res.breakdown_usd["gensets"] == 0
    assert not any(line.catalog_id == "ups_per_kw" for line in res.bom)


def test_opex_items(server: Server, module_group: ModuleGroup) -> None:
    cap = capex_breakdown([(server, 2)], [module_group], facility_kw_peak=110, trucks=2)
    per_move = redeployment_usd_per_move(2, 1, capex=cap)
    assert per_move == pytest.approx(2 * 5_000 + 40_000
                                     + 0.5 * cap.breakdown_usd["installation_commissioning"])
    p = Prices(maintenance_fraction_per_year=0.04, insurance_fraction_per_year=0.02)
    op = opex_breakdown_usd_per_year(
        OpexInputs(energy_kwh_per_year=500_000, usd_per_kwh=0.1, fuel_l_per_year=1_000,
                   usd_per_l=1.0, moves=2, redeploy_usd_per_move=per_move, horizon_years=4),
        cap, p)
    equipment = cap.it_usd + cap.facility_usd
    assert op["energy"] == pytest.approx(50_000)
    assert op["fuel"] == pytest.approx(1_000)
    assert op["maintenance"] == pytest.approx(0.04 * equipment)
    assert op["insurance"] == pytest.approx(0.02 * equipment)
    assert op["staff_remote_hands"] == p.staff_usd_per_year
    assert op["redeployment"] == pytest.approx(2 * per_move / 4)
