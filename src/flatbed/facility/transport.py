"""Racks per module, module gross mass, road limits, truckloads and floor loads.

Constants are labelled estimates where no datasheet applies; each says how it was derived.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from flatbed.catalog.records import CoolingSystem, Module, RoadLimit, Server

RACK_UNITS = 42
"""Standard rack height [U] (EIA-310 42U cabinet)."""

RACK_RESERVED_U = 4
"""Rack units kept for top-of-rack switches, management and cable management [U]. Labelled
estimate: 2 × 1U switches + 2U patching/PDU space."""

RACK_EMPTY_KG = 170.0
"""Empty 42U cabinet with PDUs, switches and cabling [kg]. Labelled estimate: 42U 600 × 1,070 mm
cabinets weigh ~120–160 kg empty (vendor datasheets, e.g. APC NetShelter SX class); plus
≈20–40 kg of PDUs, switches and cables."""

RACK_WIDTH_M = 0.6
"""Cabinet width along the container [m] (600 mm cabinets; racks stand in one row along the
length of an ISO module, so each loads 0.6 running metres of floor)."""

CHASSIS_DECK_HEIGHT_M = 1.15
"""Height of the container floor above the road on a standard container chassis [m]. Derived from
the research notes §5b/§5c: a 2.896 m high-cube on a chassis stands ~4.04–4.1 m → ≈1.15 m."""

LOWBED_DECK_HEIGHT_M = 0.95
"""Deck height of a low-bed/gooseneck container trailer [m]. Labelled estimate (typical low-bed
container chassis specifications ~0.9–1.0 m); used when the standard chassis is too tall."""


@dataclass(frozen=True)
class Layout:
    """How servers are placed: per rack, per module, and how many modules."""

    servers: int
    servers_per_rack: int
    racks_per_module: int
    servers_per_module: int
    modules: int
    racks: int
    module_it_kw_limit: float
    rack_kw: float
    binding: str
    rack_scale: bool
    violations: tuple[str, ...] = ()

    def servers_in_module(self, i: int) -> int:
        """Servers in module ``i`` (modules are filled in order; the last takes the rest)."""
        if self.servers_per_module <= 0:
            return 0
        full = self.servers // self.servers_per_module
        if i < full:
            return self.servers_per_module
        return self.servers - full * self.servers_per_module if i == full else 0


def plan_layout(server: Server, servers: int, module: Module, cooling: CoolingSystem) -> Layout:
    """Place ``servers`` into racks and modules under floor, rack-unit, rack-kW and module limits.

    servers per rack = min(⌊(42 − 4) U / server U⌋, ⌊cooling kW/rack ÷ server max kW⌋) (rack-scale
    systems of ≥ 42U are their own rack); servers per module = min(rack positions × per rack,
    ⌊module IT rating for this cooling ÷ server max kW⌋).
    """
    violations: list[str] = []
    rack_scale = server.rack_units >= RACK_UNITS
    by_u = 1 if rack_scale else (RACK_UNITS - RACK_RESERVED_U) // server.rack_units
    by_kw = math.floor(cooling.max_kw_per_rack / server.max_power_kw + 1e-9)
    spr = min(by_u, by_kw)
    if spr < 1:
        violations.append(
            f"one {server.id} draws {server.max_power_kw:g} kW but {cooling.id} cools at most "
            f"{cooling.max_kw_per_rack:g} kW per rack")
        spr = 1
    limit = module.max_it_kw_by_cooling.get(cooling.id)
    if limit is None:
        limit = module.racks * cooling.max_kw_per_rack
        violations.append(f"module {module.id} has no IT rating for cooling {cooling.id}; "
                          f"assumed {limit:g} kW (rack positions × kW per rack)")
    by_floor = module.racks * spr
    by_rating = math.floor(limit / server.max_power_kw + 1e-9)
    spm = min(by_floor, by_rating)
    if by_rating < 1:
        violations.append(f"one {server.id} ({server.max_power_kw:g} kW) exceeds module "
                          f"{module.id}'s {limit:g} kW rating with {cooling.id}")
        spm = 1
    if spm == by_rating and by_rating < by_floor:
        binding = f"module IT rating {limit:g} kW with {cooling.id}"
    elif spr == by_kw and by_kw < by_u:
        binding = f"{cooling.max_kw_per_rack:g} kW per rack with {cooling.id}"
    elif rack_scale:
        binding = "rack positions (rack-scale systems)"
    else:
        binding = f"rack positions ({module.racks}) × {spr} servers per rack"
    modules = math.ceil(servers / spm) if servers > 0 else 0
    full = servers // spm
    rest = servers - full * spm
    racks = full * math.ceil(spm / spr) + (math.ceil(rest / spr) if rest else 0)
    return Layout(
        servers=servers, servers_per_rack=spr, racks_per_module=math.ceil(spm / spr),
        servers_per_module=spm, modules=modules, racks=racks, module_it_kw_limit=limit,
        rack_kw=spr * server.max_power_kw, binding=binding, rack_scale=rack_scale,
        violations=tuple(violations),
    )


def module_gross_kg(module: Module, server: Server, servers_in_module: int,
                    servers_per_rack: int, rack_scale: bool = False) -> float:
    """Gross mass [kg]: tare + fit-out + empty racks + servers (rack-scale systems include rack)."""
    racks = math.ceil(servers_in_module / max(servers_per_rack, 1))
    rack_kg = 0.0 if rack_scale else racks * RACK_EMPTY_KG
    return module.tare_kg + module.fitout_kg + rack_kg + servers_in_module * server.weight_kg


def rack_floor_load_kg_per_m(server: Server, servers_per_rack: int, rack_scale: bool = False
                             ) -> float:
    """Floor load of one loaded rack per running metre [kg/m] (mass ÷ 0.6 m cabinet width)."""
    mass = servers_per_rack * server.weight_kg + (0.0 if rack_scale else RACK_EMPTY_KG)
    return mass / RACK_WIDTH_M


def pack_truckloads(masses_kg: Sequence[float], payload_kg: float) -> int:
    """Truckloads for indivisible items of ``masses_kg`` (first-fit decreasing bin packing).

    An item heavier than ``payload_kg`` takes a truck of its own (it needs a permit; the caller
    reports that).
    """
    bins: list[float] = []
    for m in sorted(masses_kg, reverse=True):
        for i, used in enumerate(bins):
            if used + m <= payload_kg:
                bins[i] = used + m
                break
        else:
            bins.append(m)
    return len(bins)


@dataclass(frozen=True)
class TransportPlan:
    """Trucking verdict for a site's modules (and its gensets)."""

    trucks: int
    module_trucks: int
    server_trucks: int
    genset_trucks: int
    module_gross_kg: float
    module_max_gross_kg: float
    vehicle_gross_kg: float
    road_max_gross_kg: float
    height_on_chassis_m: float
    road_max_height_m: float
    floor_load_kg_per_m: float
    floor_rating_kg_per_m: float
    ships_loaded: bool
    violations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def plan_transport(layout: Layout, server: Server, module: Module, road: RoadLimit,
                   genset_masses_kg: Sequence[float] = ()) -> TransportPlan:
    """Check the heaviest module against its rating and the road, and count truckloads.

    A module ships with its servers when its gross is within both the module rating and the
    road's gross vehicle limit (module + tractor and chassis); otherwise the module ships with
    empty racks and the servers follow on separate trucks (payload = road gross − tractor/trailer
    tare). Gensets ship separately, packed by mass.
    """
    violations: list[str] = []
    warnings: list[str] = []
    n_full = layout.servers_in_module(0)
    gross = module_gross_kg(module, server, n_full, layout.servers_per_rack, layout.rack_scale)
    empty = module_gross_kg(module, server, 0, layout.servers_per_rack, layout.rack_scale)
    if not layout.rack_scale:
        empty += layout.racks_per_module * RACK_EMPTY_KG
    payload = road.max_gross_vehicle_kg - road.tractor_trailer_tare_kg
    if gross > module.max_gross_kg:
        violations.append(f"module gross {gross:,.0f} kg exceeds the {module.max_gross_kg:,.0f} kg "
                          f"rating of {module.id}")
    vehicle = gross + road.tractor_trailer_tare_kg
    loaded_ok = gross <= module.max_gross_kg and vehicle <= road.max_gross_vehicle_kg
    server_trucks = 0
    if loaded_ok or layout.modules == 0:
        module_trucks = layout.modules
    else:
        module_trucks = layout.modules
        vehicle = empty + road.tractor_trailer_tare_kg
        if vehicle > road.max_gross_vehicle_kg:
            violations.append(
                f"even without servers the module weighs {empty:,.0f} kg: {vehicle:,.0f} kg on "
                f"the road exceeds the {road.id} limit of {road.max_gross_vehicle_kg:,.0f} kg "
                "(overweight permit needed)")
        server_masses = [server.weight_kg] * layout.servers
        server_trucks = pack_truckloads(server_masses, payload)
        warnings.append(
            f"loaded module ({gross:,.0f} kg + {road.tractor_trailer_tare_kg:,.0f} kg tractor and "
            f"chassis) exceeds the {road.id} limit of {road.max_gross_vehicle_kg:,.0f} kg: servers "
            f"travel separately on {server_trucks} extra truckload(s)")
    height = module.height_m + CHASSIS_DECK_HEIGHT_M
    if height > road.max_height_m:
        low = module.height_m + LOWBED_DECK_HEIGHT_M
        if low <= road.max_height_m:
            warnings.append(f"{height:.2f} m on a standard chassis exceeds the {road.id} "
                            f"{road.max_height_m:.2f} m height limit: needs a low-bed trailer "
                            f"({low:.2f} m)")
            height = low
        else:
            violations.append(f"module stands {low:.2f} m even on a low-bed trailer, above the "
                              f"{road.id} {road.max_height_m:.2f} m limit (height permit needed)")
    if module.width_m > road.max_width_m:
        violations.append(f"module width {module.width_m:.2f} m exceeds the {road.id} "
                          f"{road.max_width_m:.2f} m limit (oversize permit needed)")
    if module.length_m > road.max_length_m:
        violations.append(f"module length {module.length_m:.2f} m exceeds the {road.id} "
                          f"{road.max_length_m:.2f} m limit")
    floor = rack_floor_load_kg_per_m(server, layout.servers_per_rack, layout.rack_scale)
    if floor > module.floor_load_kg_per_m:
        violations.append(f"a loaded rack puts {floor:,.0f} kg per running metre on a floor "
                          f"rated {module.floor_load_kg_per_m:,.0f} kg/m")
    heavy = [m for m in genset_masses_kg if m > payload]
    if heavy:
        warnings.append(f"{len(heavy)} genset(s) heavier than one truck's {payload:,.0f} kg "
                        "payload: heavy-haul permit needed")
    genset_trucks = pack_truckloads(list(genset_masses_kg), payload)
    return TransportPlan(
        trucks=module_trucks + server_trucks + genset_trucks, module_trucks=module_trucks,
        server_trucks=server_trucks, genset_trucks=genset_trucks, module_gross_kg=gross,
        module_max_gross_kg=module.max_gross_kg, vehicle_gross_kg=vehicle,
        road_max_gross_kg=road.max_gross_vehicle_kg, height_on_chassis_m=height,
        road_max_height_m=road.max_height_m, floor_load_kg_per_m=floor,
        floor_rating_kg_per_m=module.floor_load_kg_per_m, ships_loaded=loaded_ok,
        violations=tuple(violations), warnings=tuple(warnings),
    )
