"""Deployment timeline: from order to a live module on the pad.

Critical path = max(factory path, site preparation) + transport + on-site commissioning, where the
factory path = max(server lead time, module build) + integration and factory test. Every duration
is either sourced (vendor claims quoted as claims, research notes ``modular_dc_products.md``) or a
labelled estimate; callers may override each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SERVER_LEAD_DAYS = 90.0
"""GPU server delivery after order [days]. Labelled estimate (≈12 weeks for HGX-class systems);
Vertiv's positioning claims GPUs ship in 6–9 months at the tight end (research notes
modular_dc_products §2)."""

MODULE_BUILD_DAYS = 90.0
"""Prefabricated module build [days]: Duos Edge AI pods "90 days"; Crusoe Spark "as little as ~3
months"; thecoolingreport 12–16 weeks; Schneider 12–24 weeks (research notes
modular_dc_products §1–2)."""

INTEGRATION_DAYS = 14.0
"""Racking servers into the module and factory acceptance test (FAT) [days]. Labelled estimate."""

SITE_PREP_DAYS = 60.0
"""Pad, conduit, grid or genset connection, excluding permitting [days]. Labelled estimate; runs
in parallel with the factory path."""

DRIVING_KM_PER_DAY = 11.0 * 65.0
"""Road distance per day [km]: 11 h driving limit per duty period (US FMCSA hours-of-service,
49 CFR 395.3) × 65 km/h average for a loaded container truck (labelled estimate)."""

LOAD_UNLOAD_DAYS = 1.0
"""Crane lift on and off, per trip [days]. Labelled estimate."""

COMMISSION_FIRST_DAYS = 7.0
COMMISSION_EXTRA_DAYS = 2.0
"""On-site acceptance and integrated systems test (SAT/IST) [days] for the first module and each
extra module. Labelled estimate between CoreWeave's "< 3 days per 1 MW hall" fit-out and Compu
Dynamics' "connected in 11 days" (research notes modular_dc_products §1)."""


@dataclass(frozen=True)
class Stage:
    name: str
    days: float
    source: str


@dataclass(frozen=True)
class Timeline:
    total_days: float
    stages: tuple[Stage, ...]
    critical_path: tuple[str, ...]


def deployment_timeline(
    modules: int,
    *,
    distance_km: float = 1000.0,
    server_lead_days: float = SERVER_LEAD_DAYS,
    module_build_days: float = MODULE_BUILD_DAYS,
    integration_days: float = INTEGRATION_DAYS,
    site_prep_days: float = SITE_PREP_DAYS,
    permit_days: float = 0.0,
) -> Timeline:
    """Days from order to live for ``modules`` modules shipped ``distance_km`` by road.

    Modules ship in parallel (one truck each), so transport time does not grow with the count;
    commissioning does (:data:`COMMISSION_EXTRA_DAYS` per extra module).
    """
    transport = LOAD_UNLOAD_DAYS + math.ceil(distance_km / DRIVING_KM_PER_DAY)
    commission = COMMISSION_FIRST_DAYS + COMMISSION_EXTRA_DAYS * max(modules - 1, 0)
    factory = max(server_lead_days, module_build_days) + integration_days
    site = site_prep_days + permit_days
    stages = (
        Stage("server lead time", server_lead_days, "estimate (≈12 weeks)"),
        Stage("module build", module_build_days, "Duos 90 days; Crusoe ~3 months (claims)"),
        Stage("integration and factory test", integration_days, "estimate"),
        Stage("site preparation and permits", site, "estimate"),
        Stage("transport", float(transport), "FMCSA 11 h/day driving × 65 km/h (estimate)"),
        Stage("on-site commissioning", commission, "estimate between 3- and 11-day claims"),
    )
    path = (("server lead time" if server_lead_days >= module_build_days else "module build"),
            "integration and factory test") if factory >= site else (
        "site preparation and permits",)
    return Timeline(
        total_days=max(factory, site) + transport + commission, stages=stages,
        critical_path=(*path, "transport", "on-site commissioning"),
    )
