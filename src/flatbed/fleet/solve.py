"""The fleet mixed-integer program, solved with HiGHS (``highspy``).

Formulation (indices: site ``s``, unit type ``k``, workload ``w``, period ``t``)::

    minimize   Σ_t Σ_{s,k} [ A_k · R_t · buy_skt  +  C_sk · Y_t · n_skt  +  M_k · D_t · in_skt ]
             + Σ_t Σ_w  P_w · Y_t · cloud_wt  +  Σ_t Σ_s F_s · Y_t · open_st

    n_sk0 = buy_sk0                                            (the fleet starts empty)
    n_skt = n_sk,t-1 + buy_skt + in_skt − out_skt               (t ≥ 1; units never vanish)
    Σ_s in_skt = Σ_s out_skt                                   (moves are between sites)
    Σ_{w} x_wskt / cap_k,class(w) ≤ n_skt                      (time-sharing of units)
    Σ_{s,k} x_wskt + cloud_wt = demand_wt                      (every demand served)
    Σ_k pads_k n_skt ≤ pads_s,  Σ_k kW_k n_skt ≤ kW_s           (room and power)
    n_skt ≤ N_sk · open_st                                     (site fixed cost, when F_s > 0)

where ``x_wskt`` exists only for sites ``s`` that ``w``'s data rule and latency budget allow
(:func:`~flatbed.fleet.model.may_serve`) and ``cloud_wt`` only where
:func:`~flatbed.fleet.model.cloud_allowed`; ``n_skt`` only where the type may stand (allowed
list, climate) with upper bound ``N_sk`` from pads and power. ``A_k`` is annualized capex
(capital recovery factor over the unit's life), ``R_t`` the discounted years from period ``t``
to the horizon end (a bought unit is paid for until the horizon ends, whether used or not),
``Y_t`` the discounted years of period ``t``, ``D_t`` the discount factor at its start, ``C_sk``
fixed opex plus energy at the site's price, ``M_k`` the move cost, ``P_w`` the cloud price and
``F_s`` the site's fixed cost. This is the capacitated facility-location / multi-period
capacity-expansion family (e.g. Melo, Nickel, Saldanha-da-Gama (2009) 'Facility location and
supply chain management – A review', EJOR 196(2)), with integer module counts as in PyPSA's
``p_nom_mod``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from flatbed.errors import InputError
from flatbed.fleet.model import (
    FleetInstance,
    cloud_allowed,
    max_units_at,
    may_serve,
)


@dataclass(frozen=True)
class UnitPlacement:
    """Units of one type at one site in one period."""

    site: str
    unit_type: str
    period: int
    count: int
    bought: int
    moved_in: int
    moved_out: int
    utilization: float


@dataclass(frozen=True)
class Assignment:
    """Demand of a workload served by units of a type at a site in a period."""

    workload: str
    home_site: str
    site: str
    unit_type: str
    period: int
    demand: float
    rtt_ms: float


@dataclass(frozen=True)
class CloudShare:
    """Demand of a workload sent to the cloud in a period, and its cost over the period."""

    workload: str
    home_site: str
    period: int
    demand: float
    cost_usd: float


@dataclass(frozen=True)
class FleetSolution:
    """The optimizer's answer.

    ``objective_usd`` is the discounted total cost of the best solution found; ``bound_usd`` the
    proven lower bound; ``optimality_gap`` = (objective − bound) / objective as HiGHS reports it
    (``Highs.getInfo().mip_gap``; 0 means proven optimal).
    """

    status: str
    objective_usd: float
    bound_usd: float
    optimality_gap: float
    solve_time_s: float
    units: tuple[UnitPlacement, ...]
    assignments: tuple[Assignment, ...]
    cloud: tuple[CloudShare, ...]
    cost_breakdown_usd: dict[str, float] = field(default_factory=dict)
    open_sites: tuple[tuple[str, int], ...] = ()
    n_variables: int = 0
    n_integer: int = 0
    n_constraints: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``units``, ``assignments``, ``cloud``, ``objective_usd``,
        ``optimality_gap`` plus status, bound, timing, size and cost breakdown."""
        return {
            "units": [u.__dict__ for u in self.units],
            "assignments": [a.__dict__ for a in self.assignments],
            "cloud": [c.__dict__ for c in self.cloud],
            "objective_usd": self.objective_usd,
            "optimality_gap": self.optimality_gap,
            "bound_usd": self.bound_usd,
            "status": self.status,
            "solve_time_s": self.solve_time_s,
            "cost_breakdown_usd": dict(self.cost_breakdown_usd),
            "open_sites": [{"site": s, "period": t} for s, t in self.open_sites],
            "model_size": {"variables": self.n_variables, "integer": self.n_integer,
                           "constraints": self.n_constraints},
        }


class _Builder:
    """Columns and rows of the MILP, collected as COO triplets."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.integer: list[bool] = []
        self.scale: list[float] = []
        self.rlo: list[float] = []
        self.rhi: list[float] = []
        self.ri: list[int] = []
        self.ci: list[int] = []
        self.v: list[float] = []

    def col(self, cost: float, lo: float, hi: float, integer: bool, scale: float = 1.0) -> int:
        """A column; ``scale`` converts its value to reporting units (value × scale)."""
        self.scale.append(scale)
        self.cost.append(cost)
        self.lo.append(lo)
        self.hi.append(hi)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lo: float, hi: float) -> int:
        r = len(self.rlo)
        self.rlo.append(lo)
        self.rhi.append(hi)
        for c, a in terms:
            self.ri.append(r)
            self.ci.append(c)
            self.v.append(a)
        return r


def check_servable(inst: FleetInstance) -> None:
    """Raise :class:`InputError` naming each workload that cannot be served.

    Two necessary conditions, checked per workload without solving: some site within reach
    (data rule, latency) can hold a unit able to serve it, or the cloud is allowed; and, when the
    cloud is not allowed, the most capacity that sites within reach could hold covers its peak
    demand. Passing both does not prove feasibility (neighbours compete for the same pads), so
    HiGHS can still find the instance infeasible.
    """
    problems = []
    site_ix = inst.site_index()
    for w in inst.workloads:
        peak = max(w.demand)
        if peak <= 0 or cloud_allowed(inst, w):
            continue
        room = 0.0
        for j, _ in may_serve(inst, w):
            s = inst.sites[j]
            room += max((u.capacity.get(w.workload_class, 0.0) * max_units_at(u, s)
                         for u in inst.unit_types), default=0.0)
        if room >= peak:
            continue
        home = inst.sites[site_ix[w.site]]
        why = (f"data rule {w.data_where} ({w.regime})"
               + ("" if w.data_where == "anywhere" else ", so no cloud")
               + f"; latency budget {w.latency_budget_ms:g} ms")
        if room <= 0:
            problems.append(
                f"workload {w.id!r} at site {home.id!r} has no site within reach that can hold "
                f"a unit able to serve it ({why})")
        else:
            problems.append(
                f"workload {w.id!r} at site {home.id!r} needs {peak:g} capacity units but the "
                f"sites within reach can hold at most {room:g} ({why}; pads, power and climate "
                "limit the units)")
    if problems:
        raise InputError("fleet has no feasible placement: " + "; ".join(problems))


def solve_fleet(
    inst: FleetInstance,
    *,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-4,
    threads: int | None = None,
    seed: int = 0,
    verbose: bool = False,
    integer_flows: bool = False,
    warm_start: bool = True,
) -> FleetSolution:
    """Solve the fleet MILP with HiGHS.

    Parameters
    ----------
    inst : FleetInstance
        The problem.
    time_limit_s : float
        HiGHS ``time_limit`` [s]; on hitting it the best solution found is returned with its gap.
    mip_rel_gap : float
        HiGHS ``mip_rel_gap``: stop once (objective − bound)/objective is below this [-].
    threads : int or None
        HiGHS ``threads`` (None: HiGHS default).
    seed : int
        HiGHS ``random_seed`` (runs are deterministic for a given seed and thread count).
    verbose : bool
        Print the HiGHS log.
    integer_flows : bool
        Declare purchases and moves integer too. Not needed for integral answers (see the
        comment in the code: only unit counts and site-open decisions must be integer), and
        slower; kept to cross-check that claim in the tests.
    warm_start : bool
        With several periods, first solve one period at every workload's peak demand (a
        quarter of the time limit, 2 % gap) and hand HiGHS that fleet — bought at the start,
        never moved — as a starting solution. It is always feasible when the peak problem is,
        and it spares HiGHS's heuristics the multi-period search (without it a 100-site,
        3-period fleet can end a minute with a 90 % gap).

    Returns
    -------
    FleetSolution

    Raises
    ------
    InputError
        When a workload cannot be placed anywhere, or HiGHS proves the instance infeasible
        (e.g. not enough pads or power within reach).
    """
    check_servable(inst)
    t0 = time.perf_counter()
    nT = inst.n_periods
    start_f, year_w = inst.period_weights()
    remain_w = np.cumsum(year_w[::-1])[::-1]  # discounted years from t to the horizon end
    b = _Builder()

    # ---- unit columns
    n_col: dict[tuple[int, int, int], int] = {}
    buy_col: dict[tuple[int, int, int], int] = {}
    in_col: dict[tuple[int, int, int], int] = {}
    out_col: dict[tuple[int, int, int], int] = {}
    nmax: dict[tuple[int, int], int] = {}
    for j, s in enumerate(inst.sites):
        for k, u in enumerate(inst.unit_types):
            m = max_units_at(u, s)
            if m <= 0 or not any(v > 0 for v in u.capacity.values()):
                continue
            nmax[j, k] = m
            ann = inst.annualized_capex_usd_per_year(u)
            run = inst.unit_cost_usd_per_year(u, s)
            for t in range(nT):
                n_col[j, k, t] = b.col(run * year_w[t], 0, m, True)
                # buy/in/out may be continuous: with integer n the balance rows form a
                # transportation problem per unit type (totally unimodular), so an optimal
                # solution with integral buys and moves always exists; _extract rounds them
                buy_col[j, k, t] = b.col(ann * remain_w[t], 0, m, integer_flows)
                if t > 0:
                    in_col[j, k, t] = b.col(u.move_usd * start_f[t], 0, m, integer_flows)
                    out_col[j, k, t] = b.col(0.0, 0, m, integer_flows)

    # ---- assignment and cloud columns
    x_col: dict[tuple[int, int, int, int], int] = {}
    x_rtt: dict[tuple[int, int], float] = {}
    z_col: dict[tuple[int, int], int] = {}
    for i, w in enumerate(inst.workloads):
        reach = may_serve(inst, w)
        for t in range(nT):
            if w.demand[t] <= 0:
                continue
            for j, rtt in reach:
                for k, u in enumerate(inst.unit_types):
                    if (j, k) in nmax and u.capacity.get(w.workload_class, 0) > 0:
                        # x is the share of demand (0..1): keeps coefficients near 1
                        x_col[i, j, k, t] = b.col(0.0, 0, 1.0, False, scale=w.demand[t])
                        x_rtt[i, j] = rtt
            if cloud_allowed(inst, w):
                price = float(w.cloud_usd_per_unit_year or 0.0)
                z_col[i, t] = b.col(price * year_w[t] * w.demand[t], 0, 1.0, False,
                                    scale=w.demand[t])

    # ---- site fixed cost (binary open)
    open_col: dict[tuple[int, int], int] = {}
    for j, s in enumerate(inst.sites):
        if s.fixed_usd_per_year > 0 and any(jj == j for jj, _ in nmax):
            for t in range(nT):
                # a site with on-site-only demand must be in use (fixing it tightens the bound)
                must = any(w.site == s.id and w.data_where == "on_site" and w.demand[t] > 0
                           for w in inst.workloads)
                open_col[j, t] = b.col(s.fixed_usd_per_year * year_w[t], 1 if must else 0, 1,
                                       True)

    # ---- fleet balance and moves
    for (j, k, t), c in n_col.items():
        terms = [(c, 1.0), (buy_col[j, k, t], -1.0)]
        if t > 0:
            terms += [(n_col[j, k, t - 1], -1.0), (in_col[j, k, t], -1.0),
                      (out_col[j, k, t], 1.0)]
        b.row(terms, 0.0, 0.0)
    for k in range(len(inst.unit_types)):
        for t in range(1, nT):
            terms = [(c, 1.0) for (jj, kk, tt), c in in_col.items() if kk == k and tt == t]
            terms += [(c, -1.0) for (jj, kk, tt), c in out_col.items() if kk == k and tt == t]
            if terms:
                b.row(terms, 0.0, 0.0)

    # ---- capacity (time-sharing) per (site, type, period)
    cap_terms: dict[tuple[int, int, int], list[tuple[int, float]]] = {
        key: [(c, -1.0)] for key, c in n_col.items()
    }
    for (i, j, k, t), c in x_col.items():
        w = inst.workloads[i]
        cap_terms[j, k, t].append(
            (c, w.demand[t] / inst.unit_types[k].capacity[w.workload_class]))
    for terms in cap_terms.values():
        if len(terms) > 1:
            b.row(terms, -math.inf, 0.0)

    # ---- demand
    dem_terms: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for (i, _j, _k, t), c in x_col.items():
        dem_terms.setdefault((i, t), []).append((c, 1.0))
    for (i, t), c in z_col.items():
        dem_terms.setdefault((i, t), []).append((c, 1.0))
    for i, w in enumerate(inst.workloads):
        for t in range(nT):
            if w.demand[t] > 0:
                b.row(dem_terms.get((i, t), []), 1.0, 1.0)

    # ---- pads, power, open
    for j, s in enumerate(inst.sites):
        ks = [k for (jj, k) in nmax if jj == j]
        if not ks:
            continue
        for t in range(nT):
            pads = [(n_col[j, k, t], float(inst.unit_types[k].pads)) for k in ks]
            if (j, t) in open_col:
                # pads used ≤ pads · open: both the room limit and the link to the site's fixed
                # cost, tighter in the LP relaxation than one big-M row per unit type
                b.row([*pads, (open_col[j, t], -float(s.pads))], -math.inf, 0.0)
            elif sum(a * nmax[j, k] for (_, a), k in zip(pads, ks, strict=True)) > s.pads:
                b.row(pads, -math.inf, float(s.pads))
            if math.isfinite(s.power_kw):
                pw = [(n_col[j, k, t], inst.unit_types[k].power_kw) for k in ks]
                if sum(a * nmax[j, k] for (_, a), k in zip(pw, ks, strict=True)) > s.power_kw:
                    b.row(pw, -math.inf, s.power_kw)

    # strong linking (x ≤ n, the x_ij ≤ y_j of facility location): a workload can send any
    # share to a site's units of a type only if at least one such unit stands there. Redundant
    # for integer n, but when one unit out-serves the whole workload the capacity row alone
    # lets the LP buy a sliver of a unit, and the bound collapses (100-site fleet: 7 s instead
    # of 17 s to 1 %; 3 periods: 3 % instead of 16 % gap at 60 s).
    for (i, j, k, t), c in x_col.items():
        w = inst.workloads[i]
        if inst.unit_types[k].capacity[w.workload_class] > w.demand[t]:
            b.row([(c, 1.0), (n_col[j, k, t], -1.0)], -math.inf, 0.0)

    start: np.ndarray | None = None
    t_left = time_limit_s
    if warm_start and nT > 1 and n_col:
        t_sub = time.perf_counter()
        start = _peak_start(inst, b, n_col, buy_col, x_col, z_col, open_col,
                            time_limit_s * 0.25, threads, seed)
        t_left = max(1.0, time_limit_s - (time.perf_counter() - t_sub))
    sol = _run_highs(b, t_left, mip_rel_gap, threads, seed, verbose, start)
    status, obj, bound, gap, xv = sol
    elapsed = time.perf_counter() - t0
    if xv is None:
        raise InputError(
            f"fleet optimizer: HiGHS status {status!r} — no placement meets every pad, power, "
            "latency and data-rule constraint (add pads or power, widen latency budgets, or "
            "allow the cloud)" if status == "Infeasible" else
            f"fleet optimizer: HiGHS found no solution within {time_limit_s:g} s "
            f"(status {status!r}); raise the time limit"
        )
    return _extract(inst, sol, elapsed, b, n_col, buy_col, in_col, out_col, x_col, x_rtt,
                    z_col, open_col, year_w, remain_w, start_f)


_BANNER_DONE = False


def _new_highs() -> highspy.Highs:
    """A Highs object; the first one in a process prints a licence banner on C-level stdout,
    which would corrupt ``--json`` output, so send it to stderr instead."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (embedded interpreters)
        _BANNER_DONE = True
        return highspy.Highs()  # type: ignore[no-untyped-call]
    try:
        os.dup2(2, 1)
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
    return h


def _peak_start(
    inst: FleetInstance,
    b: _Builder,
    n_col: dict[tuple[int, int, int], int],
    buy_col: dict[tuple[int, int, int], int],
    x_col: dict[tuple[int, int, int, int], int],
    z_col: dict[tuple[int, int], int],
    open_col: dict[tuple[int, int], int],
    time_limit_s: float,
    threads: int | None,
    seed: int,
) -> np.ndarray | None:
    """A feasible multi-period solution from the one-period problem at peak demand.

    The peak fleet stands in every period (bought in period 0, never moved); each workload
    keeps the peak solution's split over sites, unit types and cloud, so with demand at or
    below the peak every capacity row still holds. None when the peak problem has no solution.
    """
    peak = FleetInstance(
        sites=inst.sites, unit_types=inst.unit_types,
        workloads=tuple(replace(w, demand=(max(w.demand),)) for w in inst.workloads),
        period_years=(float(sum(inst.period_years)),), discount_rate=inst.discount_rate,
        rtt_ms=inst.rtt_matrix_ms(), route_inflation=inst.route_inflation,
    )
    try:
        ps = solve_fleet(peak, time_limit_s=max(time_limit_s, 1.0), mip_rel_gap=0.02,
                         threads=threads, seed=seed, warm_start=False)
    except InputError:
        return None
    sid = inst.site_index()
    kid = {u.id: k for k, u in enumerate(inst.unit_types)}
    wid = {w.id: i for i, w in enumerate(inst.workloads)}
    x = np.asarray(b.lo, dtype=float).copy()
    counts = {(sid[u.site], kid[u.unit_type]): u.count for u in ps.units}
    for (j, k, t), c in n_col.items():
        x[c] = counts.get((j, k), 0)
        if t == 0:
            x[buy_col[j, k, t]] = x[c]
    for a in ps.assignments:
        i, j, k = wid[a.workload], sid[a.site], kid[a.unit_type]
        share = a.demand / max(inst.workloads[i].demand)
        for t in range(inst.n_periods):
            if (i, j, k, t) in x_col:
                x[x_col[i, j, k, t]] = share
    for cl in ps.cloud:
        i = wid[cl.workload]
        share = cl.demand / max(inst.workloads[i].demand)
        for t in range(inst.n_periods):
            if (i, t) in z_col:
                x[z_col[i, t]] = share
    used = {j for (j, _k), n in counts.items() if n > 0}
    for (j, _t), c in open_col.items():
        x[c] = max(x[c], 1.0 if j in used else 0.0)
    return x


def _run_highs(
    b: _Builder, time_limit_s: float, mip_rel_gap: float, threads: int | None, seed: int,
    verbose: bool, start: np.ndarray | None = None,
) -> tuple[str, float, float, float, np.ndarray | None]:
    ncol, nrow = len(b.cost), len(b.rlo)
    if nrow == 0:  # nothing to serve: every column at its lower bound (costs are ≥ 0)
        lo = np.asarray(b.lo, dtype=float)
        obj0 = float(np.dot(np.asarray(b.cost, dtype=float), lo))
        return "Optimal", obj0, obj0, 0.0, lo
    a = sp.csc_matrix((b.v, (b.ri, b.ci)), shape=(nrow, ncol))
    a.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = nrow
    cost = np.asarray(b.cost, dtype=float)
    # costs in a unit that puts the largest near 1e3 (HiGHS warns above ~1e6 and slows down)
    top = float(np.abs(cost).max()) if ncol else 1.0
    obj_scale = 10.0 ** -max(0, round(math.log10(top)) - 3) if top > 0 else 1.0
    lp.col_cost_ = cost * obj_scale
    lp.col_lower_ = np.asarray(b.lo, dtype=float)
    lp.col_upper_ = np.asarray(b.hi, dtype=float)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.array([inf * -1 if math.isinf(x) else x for x in b.rlo], dtype=float)
    lp.row_upper_ = np.array([inf if math.isinf(x) else x for x in b.rhi], dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                       for i in b.integer]
    h = _new_highs()
    h.setOptionValue("output_flag", verbose)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", int(seed))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    if start is not None:
        hs = highspy.HighsSolution()
        hs.col_value = list(start)
        hs.value_valid = True
        h.setSolution(hs)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return status, math.nan, math.nan, math.nan, None
    xv = np.asarray(h.getSolution().col_value, dtype=float)
    obj = float(info.objective_function_value) / obj_scale
    bound = float(info.mip_dual_bound) / obj_scale if ncol and any(b.integer) else obj
    gap = float(info.mip_gap) if any(b.integer) else 0.0
    if not math.isfinite(gap):
        gap = abs(obj - bound) / max(abs(obj), 1e-9)
    return status, obj, bound, max(gap, 0.0), xv


def integral_flows(
    n: dict[tuple[int, int, int], int], n_periods: int,
) -> dict[tuple[int, int, int], tuple[int, int, int]]:
    """Purchases and moves ``(bought, moved_in, moved_out)`` per (site, type, period) implied by
    integer unit counts ``n[site, type, period]`` at least cost.

    Units never vanish, so every decrease at a site is a move out; the cheapest way to cover
    the increases is to send those units to sites that grow (moves cost the same whichever
    sites they join, and purchases cost the same at every site) and buy the rest. The MILP's
    own purchase and move values have the same cost but may split ties fractionally.
    """
    out: dict[tuple[int, int, int], tuple[int, int, int]] = {}
    by_kt: dict[tuple[int, int], list[int]] = {}
    for (j, k, t) in n:
        by_kt.setdefault((k, t), []).append(j)
    for (k, t), js in by_kt.items():
        js = sorted(js)
        if t == 0:
            for j in js:
                out[j, k, t] = (n[j, k, t], 0, 0)
            continue
        delta = {j: n[j, k, t] - n.get((j, k, t - 1), 0) for j in js}
        pool = sum(-d for d in delta.values() if d < 0)
        for j in js:
            d = delta[j]
            if d < 0:
                out[j, k, t] = (0, 0, -d)
            else:
                take = min(d, pool)
                pool -= take
                out[j, k, t] = (d - take, take, 0)
    return out


def _extract(
    inst: FleetInstance,
    sol: tuple[str, float, float, float, np.ndarray | None],
    elapsed: float,
    b: _Builder,
    n_col: dict[tuple[int, int, int], int],
    buy_col: dict[tuple[int, int, int], int],
    in_col: dict[tuple[int, int, int], int],
    out_col: dict[tuple[int, int, int], int],
    x_col: dict[tuple[int, int, int, int], int],
    x_rtt: dict[tuple[int, int], float],
    z_col: dict[tuple[int, int], int],
    open_col: dict[tuple[int, int], int],
    year_w: np.ndarray,
    remain_w: np.ndarray,
    start_f: np.ndarray,
) -> FleetSolution:
    status, obj, bound, gap, xs = sol
    assert xs is not None
    scale = np.asarray(b.scale)
    xv = xs * scale  # shares → demand units
    cost = np.asarray(b.cost) / scale  # cost per demand unit, so cost · xv is unchanged

    def iv(c: int) -> int:
        return int(round(xv[c]))

    used: dict[tuple[int, int, int], float] = {}
    for (i, j, k, t), c in x_col.items():
        w = inst.workloads[i]
        used[j, k, t] = used.get((j, k, t), 0.0) + xv[c] / inst.unit_types[k].capacity[
            w.workload_class]
    flows = integral_flows({key: iv(c) for key, c in n_col.items()}, inst.n_periods)
    units = []
    for (j, k, t), c in n_col.items():
        cnt = iv(c)
        bought, moved_in, moved_out = flows[j, k, t]
        if cnt == 0 and bought == 0 and moved_out == 0:
            continue
        units.append(UnitPlacement(
            site=inst.sites[j].id, unit_type=inst.unit_types[k].id, period=t, count=cnt,
            bought=bought, moved_in=moved_in, moved_out=moved_out,
            utilization=round(used.get((j, k, t), 0.0) / cnt, 6) if cnt else 0.0,
        ))
    assignments = [
        Assignment(workload=inst.workloads[i].id, home_site=inst.workloads[i].site,
                   site=inst.sites[j].id, unit_type=inst.unit_types[k].id, period=t,
                   demand=round(float(xv[c]), 9), rtt_ms=round(x_rtt[i, j], 4))
        for (i, j, k, t), c in x_col.items() if xv[c] > 1e-7
    ]
    cloud = [
        CloudShare(workload=inst.workloads[i].id, home_site=inst.workloads[i].site, period=t,
                   demand=round(float(xv[c]), 9), cost_usd=float(cost[c] * xv[c]))
        for (i, t), c in z_col.items() if xv[c] > 1e-7
    ]

    def total(cols: list[int]) -> float:
        return float(sum(cost[c] * xv[c] for c in cols))

    breakdown = {
        "capex_usd": total(list(buy_col.values())),
        "unit_opex_usd": total(list(n_col.values())),
        "moves_usd": total(list(in_col.values())),
        "cloud_usd": total(list(z_col.values())),
        "site_fixed_usd": total(list(open_col.values())),
    }
    open_sites = tuple((inst.sites[j].id, t) for (j, t), c in open_col.items() if iv(c) == 1)
    return FleetSolution(
        status=status, objective_usd=obj, bound_usd=bound, optimality_gap=gap,
        solve_time_s=elapsed, units=tuple(units), assignments=tuple(assignments),
        cloud=tuple(cloud), cost_breakdown_usd=breakdown, open_sites=open_sites,
        n_variables=len(b.cost), n_integer=int(sum(b.integer)), n_constraints=len(b.rlo),
    )
