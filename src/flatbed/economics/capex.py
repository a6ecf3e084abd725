"""Capital cost of one site: itemized breakdown and bill of materials.

Catalog records give the prices of servers (GPUs included, see
:class:`~flatbed.catalog.records.Server`), module shells, cooling per kW and gensets. Items the
catalog does not hold (networking, racks and PDUs, power equipment, UPS, fuel tanks, transport,
site preparation, installation) come from :class:`CapexAssumptions`, whose defaults are sourced
data points or labelled estimates with their derivation (see each field's note and
``docs/economics.md``). Money is USD of the catalog's currency year (2025 unless stated).

The breakdown splits into three classes that the TCO treats differently:

- ``it``: servers and networking — replaced at the end of their hardware life, depreciate fast;
- ``facility``: module, cooling, power, UPS, racks, gensets, tanks — long-lived, depreciate slowly;
- ``one_time``: transport, site preparation, installation and commissioning — sunk, no residual.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flatbed.catalog.records import Accelerator, CoolingSystem, Genset, Module, Server
from flatbed.scenario import Prices

__all__ = [
    "BomEntry",
    "CapexAssumptions",
    "CapexResult",
    "ModuleGroup",
    "capex_breakdown",
    "server_unit_price_usd",
]

IT_ITEMS = ("servers", "networking")
FACILITY_ITEMS = ("racks_pdus", "modules", "cooling", "power_equipment", "ups", "gensets",
                  "fuel_tanks")
ONE_TIME_ITEMS = ("transport", "site_preparation", "installation_commissioning")


@dataclass(frozen=True)
class CapexAssumptions:
    """Unit costs not in the catalog [USD, currency year 2025]. Each is sourced or estimated.

    Sources and derivations (also in ``docs/economics.md``):

    - ``network_usd_per_server`` 6,000 [est]: one 2-port 200 GbE / NDR200 NIC (ConnectX-7 class)
      plus two switch ports, DAC/AOC cables and optics for an inference node. Derived from
      yobitel.com "InfiniBand NDR" (2026): a 1,024-GPU NDR fabric costs ~$0.55–0.75M of switches
      plus ~$1.2–1.6M of optics, i.e. ~$1.7–2.3k per GPU port; an inference server needs about a
      third of a training node's eight rails.
    - ``network_usd_per_module`` 45,000 [est]: two 400 GbE leaf switches at ~$12–16k each (same
      yobitel source: ~48 Quantum-2 switches for $0.55–0.75M) plus an edge router/firewall and an
      out-of-band management switch (~$12k together, estimate).
    - ``rack_usd`` 3,000 and ``pdu_usd`` 2,500 x 2 per rack [est]: 42–48U enclosure and two
      metered 3-phase high-density PDUs; vendor list prices for these classes range $1.5–4k each.
    - ``power_usd_per_kw`` 600 [est]: switchgear, ATS, transformer and distribution per kW of
      facility power. Cortex Construct "Data center construction cost per MW" (2026-02): $7–12M per
      MW, electrical 35–45 % of it (~$2.5–5M/MW incl. UPS and generators); the container shell
      already carries its busway, so only the external switchgear/ATS/transformer share
      (~$0.5–0.7M/MW) is counted here.
    - ``ups_usd_per_kw`` 350 [est]: Li-ion double-conversion UPS with 5–7 min autonomy; vendor
      quotes for 100–500 kW three-phase systems run ~$250–500/kW. Schneider WP229 (TCO of Li-ion
      39 % below VRLA) is the chemistry source; the $/kW is an estimate.
    - ``fuel_tank_usd_per_l`` 1.5 and ``fuel_tank_hours`` 48 [est]: double-walled sub-base
      diesel tanks cost roughly $1–2 per litre of capacity; 48 h autonomy at full genset load is a
      common edge design target (NFPA 110 Class 48: 48 h at rated load without refuelling).
    - ``transport_usd_per_truckload`` 5,000 [est]: ~1,000 miles at the 2025 US flatbed average of
      $2.60/mile (Truck Tide "Average freight rates per mile 2025") ≈ $2,600, plus crane offload
      ~$2,000 and permits ~$400.
    - ``site_prep_usd_per_module`` 40,000 [est]: concrete pad for a 40-ft module (~18 m³ placed at
      ~$1,000/m³ incl. rebar and forming ≈ $18k) plus trenching, grounding and fencing (~$22k).
      Cortex Construct puts site work and civil at 5–10 % of a built data center.
    - ``install_fraction_of_facility`` 0.10 [est]: installation and commissioning (FAT/SAT/IST,
      electrical hook-up); Cortex Construct's soft costs are 10–15 % of hard cost for a built
      facility, and a factory-built module needs less design, so the low end is used.
    - ``install_usd_per_server`` 500 [est]: rack-and-stack, cabling and burn-in, ~4 technician
      hours at ~$125/h.
    """

    network_usd_per_server: float = 6_000.0
    network_usd_per_module: float = 45_000.0
    rack_usd: float = 3_000.0
    pdus_per_rack: int = 2
    pdu_usd: float = 2_500.0
    power_usd_per_kw: float = 600.0
    ups_usd_per_kw: float = 350.0
    fuel_tank_usd_per_l: float = 1.5
    fuel_tank_hours: float = 48.0
    transport_usd_per_truckload: float = 5_000.0
    site_prep_usd_per_module: float = 40_000.0
    install_fraction_of_facility: float = 0.10
    install_usd_per_server: float = 500.0
    source: str = field(
        default="flatbed CapexAssumptions defaults (docs/economics.md, estimates dated 2026-11)"
    )


@dataclass(frozen=True)
class ModuleGroup:
    """``count`` identical modules with one cooling system carrying ``it_kw`` of IT heat in all."""

    module: Module
    cooling: CoolingSystem
    count: int
    it_kw: float


@dataclass(frozen=True)
class BomEntry:
    """One bill-of-materials line (keys match :class:`flatbed.plan.result.BomLine`)."""

    item: str
    catalog_id: str
    quantity: float
    unit_usd: float
    total_usd: float
    source: str

    def as_dict(self) -> dict[str, float | str]:
        return {"item": self.item, "catalog_id": self.catalog_id, "quantity": self.quantity,
                "unit_usd": self.unit_usd, "total_usd": self.total_usd, "source": self.source}


@dataclass(frozen=True)
class CapexResult:
    """Capex of one site: breakdown item → USD, BOM lines and the class totals."""

    breakdown_usd: dict[str, float]
    bom: list[BomEntry]

    @property
    def total_usd(self) -> float:
        return float(sum(self.breakdown_usd.values()))

    @property
    def it_usd(self) -> float:
        return float(sum(self.breakdown_usd.get(k, 0.0) for k in IT_ITEMS))

    @property
    def facility_usd(self) -> float:
        return float(sum(self.breakdown_usd.get(k, 0.0) for k in FACILITY_ITEMS))

    @property
    def one_time_usd(self) -> float:
        return float(sum(self.breakdown_usd.get(k, 0.0) for k in ONE_TIME_ITEMS))


def server_unit_price_usd(
    server: Server,
    prices: Prices | None = None,
    accelerators: Mapping[str, Accelerator] | None = None,
) -> tuple[float, str]:
    """Price of one server [USD] and where it came from, applying the user's overrides.

    ``prices.server_usd[server.id]`` replaces the whole price. Otherwise
    ``prices.accelerator_usd[accel]`` replaces the GPUs' share: the server price changes by
    ``count * (override - catalog GPU price)``; this needs the catalog accelerator price
    (``accelerators``), without which the override cannot be applied and the catalog price stands.
    """
    if prices is not None and server.id in prices.server_usd:
        return float(prices.server_usd[server.id]), "scenario prices.server_usd"
    price = float(server.price_usd)
    src = server.source
    if prices is not None and server.accelerator in prices.accelerator_usd:
        acc = (accelerators or {}).get(server.accelerator)
        if acc is not None and acc.price_usd is not None:
            delta = prices.accelerator_usd[server.accelerator] - acc.price_usd
            price = max(0.0, price + server.accelerator_count * delta)
            src = f"{server.source}; GPUs repriced by scenario prices.accelerator_usd"
    return price, src


def capex_breakdown(
    servers: Sequence[tuple[Server, int]],
    modules: Sequence[ModuleGroup],
    gensets: Sequence[tuple[Genset, int]] = (),
    facility_kw_peak: float = 0.0,
    trucks: int = 0,
    racks: int | None = None,
    prices: Prices | None = None,
    accelerators: Mapping[str, Accelerator] | None = None,
    ups: bool = True,
    assumptions: CapexAssumptions | None = None,
) -> CapexResult:
    """Itemized capex [USD] of one site.

    Parameters
    ----------
    servers
        (server record, count) pairs; the server price includes its GPUs.
    modules
        Module groups with their cooling and IT heat [kW]; cooling capex is
        ``CoolingSystem.capex_usd_per_kw * it_kw``.
    gensets
        (genset record, count) pairs; fuel tanks are sized for ``fuel_tank_hours`` at full load.
    facility_kw_peak
        Peak facility power [kW] (IT + cooling + losses); sizes switchgear and UPS.
    trucks
        Truckloads to deliver the site (from the transport model).
    racks
        Racks in use; default: all rack positions of the modules.
    prices, accelerators
        Scenario overrides and catalog accelerators (for GPU price overrides).
    ups
        Include a UPS sized to the facility peak.
    """
    a = assumptions or CapexAssumptions()
    bom: list[BomEntry] = []
    items: dict[str, float] = dict.fromkeys((*IT_ITEMS, *FACILITY_ITEMS, *ONE_TIME_ITEMS), 0.0)

    def add(key: str, item: str, cid: str, qty: float, unit: float, src: str) -> None:
        if qty <= 0:
            return
        total = qty * unit
        items[key] += total
        bom.append(BomEntry(item, cid, float(qty), float(unit), float(total), src))

    n_servers = 0
    for srv, n in servers:
        unit, src = server_unit_price_usd(srv, prices, accelerators)
        add("servers", f"{srv.name or srv.id} ({srv.accelerator_count}x {srv.accelerator})",
            srv.id, n, unit, src)
        n_servers += n
    n_modules = sum(g.count for g in modules)
    add("networking", "Server networking (NIC, ports, optics)", "network_per_server", n_servers,
        a.network_usd_per_server, a.source)
    add("networking", "Module networking (leaf switches, router/firewall, OOB)",
        "network_per_module", n_modules, a.network_usd_per_module, a.source)

    n_racks = racks if racks is not None else sum(g.module.racks * g.count for g in modules)
    add("racks_pdus", "Rack enclosure", "rack", n_racks, a.rack_usd, a.source)
    add("racks_pdus", "Metered 3-phase PDU", "pdu", n_racks * a.pdus_per_rack, a.pdu_usd, a.source)
    for g in modules:
        add("modules", f"{g.module.name or g.module.id} shell, fitted", g.module.id, g.count,
            g.module.price_usd, g.module.source)
        add("cooling", f"{g.cooling.name or g.cooling.id} cooling", g.cooling.id, g.it_kw,
            g.cooling.capex_usd_per_kw, g.cooling.source)
    add("power_equipment", "Switchgear, ATS, transformer [per kW]", "power_per_kw",
        facility_kw_peak, a.power_usd_per_kw, a.source)
    if ups:
        add("ups", "Li-ion UPS [per kW]", "ups_per_kw", facility_kw_peak, a.ups_usd_per_kw,
            a.source)
    for gs, n in gensets:
        add("gensets", f"{gs.name or gs.id} genset", gs.id, n, gs.price_usd, gs.source)
        if gs.fuel == "diesel":
            tank_l = max(gs.fuel_per_h) * a.fuel_tank_hours
            add("fuel_tanks", f"Diesel tank {tank_l:,.0f} L ({a.fuel_tank_hours:g} h)",
                "fuel_tank_per_l", n * tank_l, a.fuel_tank_usd_per_l, a.source)
    add("transport", "Transport per truckload", "truckload", trucks,
        a.transport_usd_per_truckload, a.source)
    add("site_preparation", "Site preparation per module (pad, trench, ground)",
        "site_prep_per_module", n_modules, a.site_prep_usd_per_module, a.source)
    facility = sum(items[k] for k in FACILITY_ITEMS)
    add("installation_commissioning", "Installation and commissioning (share of facility)",
        "install_fraction", 1, a.install_fraction_of_facility * facility, a.source)
    add("installation_commissioning", "Server rack-and-stack and burn-in", "install_per_server",
        n_servers, a.install_usd_per_server, a.source)
    if any(math.isnan(v) or v < 0 for v in items.values()):
        raise ValueError("capex items must be finite and non-negative")
    return CapexResult(breakdown_usd=items, bom=bom)
