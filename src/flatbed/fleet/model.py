"""Fleet placement problem: plain typed data, independent of scenarios and of the solver.

A fleet instance says which sites exist (where, how much room and power), which deployable unit
types can be bought (what each serves, what it costs, what it draws), which workloads must be
served (where their users are, how much latency and which jurisdictions their data allows), and
how demand changes over the planning periods. :mod:`flatbed.fleet.solve` turns it into a
mixed-integer program; :mod:`flatbed.fleet.from_scenario` builds one from a scenario.

Units: demand and capacity are in *capacity units* of the workload's class (e.g. peak requests/s
for an LLM workload, frames/s for a vision workload) — the instance only needs them to agree per
class. Money in USD, power in kW, latency in ms, distance in km, time in years.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

DataWhere = Literal["on_site", "in_country", "anywhere"]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG R1) [km]. Moritz, H. (2000) 'Geodetic Reference System 1980',
Journal of Geodesy 74, 128–133."""

FIBRE_US_PER_KM = 4.897
"""One-way propagation delay in single-mode fibre at 1550 nm [µs/km] (group index ≈ 1.468,
~204,000 km/s). Source: mapyourtech.com, cited as R57 in docs/research/catalog_facts.md §7."""

ROUTE_INFLATION = 2.0
"""Fibre route length over great-circle distance [-]. Labelled estimate: catalog_facts.md §7
gives ~1.5–2× geodesic for routing inflation [est]; 2.0 is the conservative end, so a latency
budget that passes here also passes with a straighter route. London–New York (5,570 km
great-circle) at 2.0× gives 109 ms RTT against ~70 ms floor / ~80 ms measured (R60) — i.e. the
default over-estimates long-haul paths and is meant for regional (< 1,000 km) hops."""


def haversine_km(
    lat1_deg: npt.ArrayLike, lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike, lon2_deg: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Great-circle distance on a spherical Earth [km].

    Parameters
    ----------
    lat1_deg, lon1_deg, lat2_deg, lon2_deg : array-like
        Latitudes and longitudes [degrees]; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distance [km].

    Notes
    -----
    Haversine formula, Sinnott, R. W. (1984) 'Virtues of the Haversine', Sky and Telescope 68(2),
    159: ``d = 2 R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))`` with ``R`` =
    :data:`EARTH_RADIUS_KM`. Error versus the WGS84 ellipsoid is below 0.5 %.
    """
    p1 = np.radians(np.asarray(lat1_deg, dtype=float))
    p2 = np.radians(np.asarray(lat2_deg, dtype=float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def fibre_rtt_ms(
    distance_km: npt.ArrayLike, route_inflation: float = ROUTE_INFLATION,
    fibre_us_per_km: float = FIBRE_US_PER_KM,
) -> npt.NDArray[np.float64]:
    """Round-trip propagation delay over fibre for a great-circle distance [ms].

    Parameters
    ----------
    distance_km : array-like
        Great-circle distance [km].
    route_inflation : float
        Fibre route length / great-circle distance [-] (:data:`ROUTE_INFLATION`).
    fibre_us_per_km : float
        One-way delay per fibre km [µs/km] (:data:`FIBRE_US_PER_KM`).

    Returns
    -------
    numpy.ndarray
        Round trip time [ms] = 2 × distance × inflation × delay / 1000. Propagation only: no
        queuing, serialization or router delay (those belong to the site's ``lan_rtt_ms``).
    """
    d = np.asarray(distance_km, dtype=float)
    return np.asarray(2.0 * d * route_inflation * fibre_us_per_km / 1000.0)


def capital_recovery_factor(rate: float, life_years: float) -> float:
    """Annual payment per USD of capex over ``life_years`` at ``rate`` [1/yr].

    ``CRF = r (1+r)^n / ((1+r)^n − 1)``, and ``1/n`` when ``r = 0`` (standard annuity; e.g.
    NREL, 'Simple Levelized Cost of Energy Calculator Documentation').
    """
    if life_years <= 0:
        raise ValueError("life_years must be positive")
    if rate == 0:
        return 1.0 / life_years
    g = (1.0 + rate) ** life_years
    return float(rate * g / (g - 1.0))


@dataclass(frozen=True)
class FleetSite:
    """A place where units can stand and where users of workloads are.

    Attributes
    ----------
    id, country : str
        Site id and ISO 3166-1 alpha-2 country (for ``in_country`` data rules).
    latitude, longitude : float
        Position [degrees] (for the latency matrix).
    pads : int
        Unit pads available (a unit type takes ``UnitType.pads`` of them).
    power_kw : float
        Power ceiling for units here [kW]; ``math.inf`` when generators make it unbounded.
    energy_usd_per_kwh : float
        Marginal energy price here [USD/kWh] (grid tariff or fuel per kWh).
    fixed_usd_per_year : float
        Cost of using the site at all (lease, staff, connectivity) [USD/yr]; charged in every
        period with at least one unit here.
    too_hot_for : frozenset of str
        Unit type ids that cannot hold their inlet limits in this climate.
    cloud_rtt_ms : float
        Round trip from this site's users to the cloud region [ms].
    """

    id: str
    country: str
    latitude: float
    longitude: float
    pads: int = 2
    power_kw: float = math.inf
    energy_usd_per_kwh: float = 0.093
    fixed_usd_per_year: float = 0.0
    too_hot_for: frozenset[str] = frozenset()
    cloud_rtt_ms: float = 40.0


@dataclass(frozen=True)
class UnitType:
    """A deployable unit (a module with its servers, cooling and power gear) as bought.

    Attributes
    ----------
    id : str
        Unit type id.
    capacity : Mapping[str, float]
        Capacity units per workload class one unit serves (absent or 0 = cannot serve it).
    capex_usd : float
        Purchase price, delivered and installed [USD].
    life_years : float
        Depreciation life used to annualize ``capex_usd`` [yr].
    fixed_usd_per_year : float
        Per-unit fixed opex: maintenance, insurance, licences [USD/yr].
    power_kw : float
        Facility power drawn at full load, cooling included [kW]; counts against the site
        ceiling.
    energy_kwh_per_year : float
        Energy drawn in a year of the expected load profile [kWh/yr].
    pads : int
        Pads one unit occupies.
    move_usd : float
        Cost to truck one unit from one site to another (de-rig, haul, re-commission) [USD].
    allowed_sites : frozenset of str or None
        Sites where this type may stand; None = any site.
    """

    id: str
    capacity: Mapping[str, float]
    capex_usd: float
    life_years: float = 5.0
    fixed_usd_per_year: float = 0.0
    power_kw: float = 0.0
    energy_kwh_per_year: float = 0.0
    pads: int = 1
    move_usd: float = 0.0
    allowed_sites: frozenset[str] | None = None


@dataclass(frozen=True)
class FleetWorkload:
    """Demand that must be served by units within its latency budget and jurisdiction.

    Attributes
    ----------
    id : str
        Workload id.
    site : str
        Site where its users and data are.
    workload_class : str
        Key into ``UnitType.capacity``.
    demand : tuple of float
        Demand per period [capacity units]; length = number of periods.
    latency_budget_ms : float
        Network round trip the workload tolerates between its users and the serving site [ms].
    data_where : {"on_site", "in_country", "anywhere"}
        ``on_site``: only units at its own site; ``in_country``: units at sites in the same
        country; ``anywhere``: any site, or the cloud.
    cloud_usd_per_unit_year : float or None
        Cost of serving one capacity unit of demand in the cloud for a year [USD/yr]; None =
        no cloud offer.
    regime : str
        The rule behind ``data_where`` (HIPAA, ITAR, GDPR, none) — for reporting.
    """

    id: str
    site: str
    workload_class: str
    demand: tuple[float, ...]
    latency_budget_ms: float = math.inf
    data_where: DataWhere = "anywhere"
    cloud_usd_per_unit_year: float | None = None
    regime: str = "none"


@dataclass(frozen=True)
class FleetInstance:
    """A whole fleet problem.

    Attributes
    ----------
    sites, unit_types, workloads
        The data above.
    period_years : tuple of float
        Length of each planning period [yr]; demand is constant within a period.
    discount_rate : float
        Cost of capital [1/yr] for discounting period costs to the start of the horizon.
    rtt_ms : numpy.ndarray or None
        Site × site round trip [ms]; None = computed from coordinates with :func:`fibre_rtt_ms`.
    route_inflation : float
        Used when ``rtt_ms`` is None.
    """

    sites: tuple[FleetSite, ...]
    unit_types: tuple[UnitType, ...]
    workloads: tuple[FleetWorkload, ...]
    period_years: tuple[float, ...] = (1.0,)
    discount_rate: float = 0.0
    rtt_ms: npt.NDArray[np.float64] | None = field(default=None, compare=False)
    route_inflation: float = ROUTE_INFLATION

    def __post_init__(self) -> None:
        ids = [s.id for s in self.sites]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate site ids")
        if len({u.id for u in self.unit_types}) != len(self.unit_types):
            raise ValueError("duplicate unit type ids")
        if len({w.id for w in self.workloads}) != len(self.workloads):
            raise ValueError("duplicate workload ids")
        if not self.period_years or min(self.period_years) <= 0:
            raise ValueError("period_years needs at least one positive period")
        known = set(ids)
        for w in self.workloads:
            if w.site not in known:
                raise ValueError(f"workload {w.id!r} names unknown site {w.site!r}")
            if len(w.demand) != len(self.period_years):
                raise ValueError(
                    f"workload {w.id!r} has {len(w.demand)} demand values for "
                    f"{len(self.period_years)} periods"
                )
            if min(w.demand) < 0:
                raise ValueError(f"workload {w.id!r} has negative demand")
        if self.rtt_ms is not None and np.shape(self.rtt_ms) != (len(ids), len(ids)):
            raise ValueError("rtt_ms must be sites × sites")

    @property
    def n_periods(self) -> int:
        return len(self.period_years)

    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.sites)}

    def rtt_matrix_ms(self) -> npt.NDArray[np.float64]:
        """Site × site round trip [ms] (given, or fibre estimate from coordinates)."""
        if self.rtt_ms is not None:
            return np.asarray(self.rtt_ms, dtype=float)
        lat = np.array([s.latitude for s in self.sites])
        lon = np.array([s.longitude for s in self.sites])
        d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        return fibre_rtt_ms(d, self.route_inflation)

    def period_weights(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Discount weights per period.

        Returns
        -------
        start_factor : numpy.ndarray
            Discount factor at each period's start, ``(1+r)^-t_start`` [-] (one-off costs).
        year_weight : numpy.ndarray
            Discounted years in each period, ``∫ (1+r)^-t dt`` from the period's start to its end
            (continuous discounting of a uniform cost stream) [yr] (recurring costs). Equals the
            period length when ``r = 0``.
        """
        r = self.discount_rate
        starts = np.concatenate([[0.0], np.cumsum(self.period_years)[:-1]])
        ends = starts + np.asarray(self.period_years)
        if r == 0:
            return np.ones_like(starts), ends - starts
        k = math.log1p(r)
        start_factor = np.exp(-k * starts)
        year_weight = (np.exp(-k * starts) - np.exp(-k * ends)) / k
        return start_factor, year_weight

    def unit_cost_usd_per_year(self, unit: UnitType, site: FleetSite) -> float:
        """Recurring cost of one unit standing at ``site`` [USD/yr]: fixed opex + energy."""
        return unit.fixed_usd_per_year + unit.energy_kwh_per_year * site.energy_usd_per_kwh

    def annualized_capex_usd_per_year(self, unit: UnitType) -> float:
        """Capex spread over the unit's life with :func:`capital_recovery_factor` [USD/yr]."""
        return unit.capex_usd * capital_recovery_factor(self.discount_rate, unit.life_years)


def may_serve(
    inst: FleetInstance, w: FleetWorkload, site_ids: Sequence[str] | None = None,
) -> list[tuple[int, float]]:
    """Sites allowed to serve ``w``: jurisdiction and latency budget, with their RTT [ms].

    Returns ``[(site_index, rtt_ms), ...]``. The home site is always allowed (RTT 0 here: the
    on-site LAN is part of the workload's own budget).
    """
    idx = inst.site_index()
    h = idx[w.site]
    home = inst.sites[h]
    rtt = inst.rtt_matrix_ms()[h]
    out: list[tuple[int, float]] = []
    for j, s in enumerate(inst.sites):
        if site_ids is not None and s.id not in site_ids:
            continue
        if j == h:
            out.append((j, 0.0))
            continue
        if w.data_where == "on_site":
            continue
        if w.data_where == "in_country" and s.country != home.country:
            continue
        if rtt[j] <= w.latency_budget_ms:
            out.append((j, float(rtt[j])))
    return out


def cloud_allowed(inst: FleetInstance, w: FleetWorkload) -> bool:
    """Whether ``w`` may go to the cloud: data rule ``anywhere``, a price, and RTT in budget."""
    home = inst.sites[inst.site_index()[w.site]]
    return (
        w.data_where == "anywhere"
        and w.cloud_usd_per_unit_year is not None
        and home.cloud_rtt_ms <= w.latency_budget_ms
    )


def unit_may_stand(unit: UnitType, site: FleetSite) -> bool:
    """Whether a unit of this type may be placed at ``site`` (allowed list, climate)."""
    if unit.allowed_sites is not None and site.id not in unit.allowed_sites:
        return False
    return unit.id not in site.too_hot_for


def max_units_at(unit: UnitType, site: FleetSite) -> int:
    """Most units of this type the site can hold: pads and power ceiling."""
    if not unit_may_stand(unit, site):
        return 0
    n = site.pads // max(unit.pads, 1)
    if unit.power_kw > 0 and math.isfinite(site.power_kw):
        n = min(n, int(math.floor(site.power_kw / unit.power_kw + 1e-9)))
    return max(n, 0)
