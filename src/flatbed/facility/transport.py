"""Racks per module, module gross mass, road limits, truckloads and floor loads.

Constants are labelled estimates where no datasheet applies; each says how it was derived.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from flatbed.catalog.records import CoolingSystem, Module, RoadLimit, Server

RACK_UNITS = 42
"""Standard rack height [U]. Labelled estimate: 42U is the common full-height cabinet (EIA-310
defines the 1U = 44.45 mm unit and the 19-inch mounting, not the height)."""

RACK_RESERVED_U = 4
"""Rack units kept for top-of-rack switches, management and cable management [U]. Labelled
estimate: 2 × 1U switches + 2U patching/PDU space."""

RACK_EMPTY_KG = 170.0
"""Empty 42U cabinet with PDUs, switches and cabling [kg]. Labelled estimate: 42U 600 × 1,070 mm
cabinets weigh ~120–160 kg empty (vendor datasheets, e.g. APC NetShelter SX class); plus
≈20–40 kg of PDUs, switches and cables."""

RACK_WIDTH_M = 0.6
"""Cabinet width along the container [m]. Labelled estimate: the common 600 mm server cabinet
(800 mm for cabling-heavy racks); racks stand in one row along the length of an ISO module, so
each loads 0.6 running metres of floor."""

CHASSIS_DECK_HEIGHT_M = 1.15
"""Height of the container floor above the road on a standard container chassis [m]. Derived from
the research notes §5b/§5c: a 2.896 m high-cube on a chassis stands ~4.04–4.1 m → ≈1.15 m."""

LOWBED_DECK_HEIGHT_M = 0.95
"""Deck height of a low-bed/gooseneck container trailer [m]. Labelled estimate (typical low-bed
container chassis specifications ~0.9–1.0 m); used when the standard chassis is too tall."""


@dataclass(frozen=True)
class RackLoad:
    """One rack as placed: which server, how many, their nameplate kW and the rack's mass."""

    server_id: str
    servers: int
    kw: float
    kg: float
    rack_scale: bool


@dataclass(frozen=True)
class ModuleLoad:
    """One module as filled."""

    racks: tuple[RackLoad, ...]

    @property
    def servers(self) -> int:
        return sum(r.servers for r in self.racks)

    @property
    def it_kw(self) -> float:
        return sum(r.kw for r in self.racks)

    @property
    def racks_kg(self) -> float:
        return sum(r.kg for r in self.racks)


@dataclass(frozen=True)
class Layout:
    """How servers are placed: per rack, per module, and how many modules.

    ``servers_per_rack``, ``racks_per_module`` and ``servers_per_module`` are the largest over
    server groups/modules; ``module_loads`` holds every module's racks.
    """

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
    module_loads: tuple[ModuleLoad, ...] = ()

    def servers_in_module(self, i: int) -> int:
        """Servers in module ``i`` (modules are filled in order)."""
        return self.module_loads[i].servers if 0 <= i < len(self.module_loads) else 0


def servers_per_rack(server: Server, cooling: CoolingSystem) -> tuple[int, str]:
    """Servers per rack and what limits it: ⌊(42 − 4) U / server U⌋ and ⌊kW/rack ÷ server kW⌋.

    Rack-scale systems (≥ 42U) are their own rack. 0 when one server exceeds the rack kW limit.
    """
    rack_scale = server.rack_units >= RACK_UNITS
    by_u = 1 if rack_scale else (RACK_UNITS - RACK_RESERVED_U) // server.rack_units
    by_kw = math.floor(cooling.max_kw_per_rack / server.max_power_kw + 1e-9)
    if by_kw < by_u:
        return by_kw, f"{cooling.max_kw_per_rack:g} kW per rack with {cooling.id}"
    return by_u, ("rack positions (rack-scale systems)" if rack_scale
                  else f"{RACK_UNITS - RACK_RESERVED_U} usable U per rack")


def plan_layout(server: Server, servers: int, module: Module, cooling: CoolingSystem) -> Layout:
    """Place ``servers`` of one type: see :func:`plan_layout_groups`."""
    return plan_layout_groups([(server, servers)], module, cooling)


def plan_layout_groups(groups: Sequence[tuple[Server, int]], module: Module,
                       cooling: CoolingSystem) -> Layout:
    """Place server groups into racks and modules under U, rack-kW, floor and module limits.

    Per group, servers per rack = :func:`servers_per_rack`. Servers are placed greedily in group
    order: into the open rack of their group while it has room, else into a new rack while the
    module has rack positions and IT rating left (a rack is closed early when the next server
    would exceed the module's rating), else into a new module. Module IT uses nameplate maximum
    power.
    """
    violations: list[str] = []
    limit = module.max_it_kw_by_cooling.get(cooling.id)
    if limit is None:
        limit = module.racks * cooling.max_kw_per_rack
        violations.append(f"module {module.id} has no IT rating for cooling {cooling.id}; "
                          f"assumed {limit:g} kW (rack positions × kW per rack)")
    modules: list[list[RackLoad]] = []
    bindings: list[str] = []
    spr_max, rack_kw_max, any_scale = 0, 0.0, False
    total = 0
    for server, n in groups:
        if n <= 0:
            continue
        total += n
        spr, why = servers_per_rack(server, cooling)
        if spr < 1:
            violations.append(
                f"one {server.id} draws {server.max_power_kw:g} kW but {cooling.id} cools at "
                f"most {cooling.max_kw_per_rack:g} kW per rack")
            spr = 1
        if server.max_power_kw > limit:
            violations.append(f"one {server.id} ({server.max_power_kw:g} kW) exceeds module "
                              f"{module.id}'s {limit:g} kW rating with {cooling.id}")
        rack_scale = server.rack_units >= RACK_UNITS
        any_scale = any_scale or rack_scale
        spr_max = max(spr_max, spr)
        rack_kw_max = max(rack_kw_max, spr * server.max_power_kw)
        bindings.append(why)
        empty = 0.0 if rack_scale else RACK_EMPTY_KG
        left = n
        open_rack: int | None = None  # index of this group's open rack in the last module
        while left > 0:
            mod = modules[-1] if modules else None
            used_kw = sum(r.kw for r in mod) if mod is not None else 0.0
            fits_kw = mod is not None and used_kw + server.max_power_kw <= limit + 1e-9
            if mod is not None and open_rack is not None and fits_kw \
                    and mod[open_rack].servers < spr:
                r = mod[open_rack]
                mod[open_rack] = RackLoad(r.server_id, r.servers + 1, r.kw + server.max_power_kw,
                                          r.kg + server.weight_kg, rack_scale)
                left -= 1
            elif mod is not None and fits_kw and len(mod) < module.racks:
                mod.append(RackLoad(server.id, 1, server.max_power_kw, empty + server.weight_kg,
                                    rack_scale))
                open_rack = len(mod) - 1
                left -= 1
            elif mod is not None and not mod:
                # An empty module cannot take even one server (over its rating): place it anyway.
                mod.append(RackLoad(server.id, 1, server.max_power_kw, empty + server.weight_kg,
                                    rack_scale))
                open_rack = len(mod) - 1
                left -= 1
            else:
                modules.append([])
                open_rack = None
        # the next group starts its own racks
    loads = tuple(ModuleLoad(tuple(m)) for m in modules if m)
    if not loads:
        return Layout(servers=0, servers_per_rack=max(spr_max, 1), racks_per_module=0,
                      servers_per_module=0, modules=0, racks=0, module_it_kw_limit=limit,
                      rack_kw=0.0, binding="", rack_scale=any_scale,
                      violations=tuple(violations))
    spm = max(m.servers for m in loads)
    first = loads[0]
    if first.it_kw + min(r.kw / r.servers for r in first.racks) > limit + 1e-9:
        binding = f"module IT rating {limit:g} kW with {cooling.id}"
    elif len(first.racks) >= module.racks:
        binding = f"rack positions ({module.racks} per module); {bindings[0]}"
    else:
        binding = bindings[0]
    return Layout(
        servers=total, servers_per_rack=spr_max, racks_per_module=max(len(m.racks) for m in loads),
        servers_per_module=spm, modules=len(loads), racks=sum(len(m.racks) for m in loads),
        module_it_kw_limit=limit, rack_kw=rack_kw_max, binding=binding, rack_scale=any_scale,
        violations=tuple(violations), module_loads=loads,
    )


def module_gross_kg(module: Module, server: Server, servers_in_module: int,
                    servers_per_rack: int, rack_scale: bool = False) -> float:
    """Gross mass [kg]: tare + fit-out + empty racks + servers (rack-scale systems include rack)."""
    racks = math.ceil(servers_in_module / max(servers_per_rack, 1))
    rack_kg = 0.0 if rack_scale else racks * RACK_EMPTY_KG
    return module.tare_kg + module.fitout_kg + rack_kg + servers_in_module * server.weight_kg


def module_load_gross_kg(module: Module, load: ModuleLoad) -> float:
    """Gross mass [kg] of a filled module: tare + fit-out + its racks (servers and cabinets)."""
    return module.tare_kg + module.fitout_kg + load.racks_kg


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


def plan_transport(layout: Layout, server: Server | Sequence[Server], module: Module,
                   road: RoadLimit, genset_masses_kg: Sequence[float] = ()) -> TransportPlan:
    """Check the heaviest module against its rating and the road, and count truckloads.

    A module ships with its servers when its gross is within both the module rating and the
    road's gross vehicle limit (module + tractor and chassis); otherwise the modules ship with
    empty racks and the servers follow on separate trucks (payload = road gross − tractor/trailer
    tare). Gensets ship separately, packed by mass.
    """
    servers = [server] if isinstance(server, Server) else list(server)
    by_id = {s.id: s for s in servers}
    violations: list[str] = []
    warnings: list[str] = []
    loads = layout.module_loads
    grosses = [module_load_gross_kg(module, m) for m in loads]
    heaviest = int(np.argmax(grosses)) if grosses else 0
    gross = grosses[heaviest] if grosses else module.tare_kg + module.fitout_kg
    empties = [module.tare_kg + module.fitout_kg + sum(
        0.0 if r.rack_scale else RACK_EMPTY_KG for r in m.racks) for m in loads]
    empty = max(empties) if empties else module.tare_kg + module.fitout_kg
    payload = road.max_gross_vehicle_kg - road.tractor_trailer_tare_kg
    if gross > module.max_gross_kg:
        violations.append(f"module gross {gross:,.0f} kg exceeds the {module.max_gross_kg:,.0f} kg "
                          f"rating of {module.id}")
    vehicle = gross + road.tractor_trailer_tare_kg
    loaded_ok = gross <= module.max_gross_kg and vehicle <= road.max_gross_vehicle_kg
    server_trucks = 0
    module_trucks = layout.modules
    if not loaded_ok and layout.modules > 0:
        vehicle = empty + road.tractor_trailer_tare_kg
        if vehicle > road.max_gross_vehicle_kg:
            violations.append(
                f"even without servers the module weighs {empty:,.0f} kg: {vehicle:,.0f} kg on "
                f"the road exceeds the {road.id} limit of {road.max_gross_vehicle_kg:,.0f} kg "
                "(overweight permit needed)")
        server_masses: list[float] = []
        for m in loads:
            for r in m.racks:
                w = by_id[r.server_id].weight_kg if r.server_id in by_id else r.kg / r.servers
                server_masses += [w] * r.servers
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
    floor = max((r.kg / RACK_WIDTH_M for m in loads for r in m.racks), default=0.0)
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
