"""Plotly figure specifications (plain dicts) for the report. Presentation only, no modelling.

Each function returns ``{"data": [...], "layout": {...}}`` ready for ``Plotly.newPlot``. Plotly
renders a small HTML subset inside labels (``<b>``, ``<a href>``…), so every user-written string
placed in a figure goes through :func:`label`, which escapes it to entities Plotly shows as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from flatbed.plan.result import Hourly, Plan, SitePlan

Figure = dict[str, Any]

HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7

EDGE = "#2563eb"
EDGE_LIGHT = "#93c5fd"
CLOUD = "#f97316"
CLOUD_LIGHT = "#fdba74"
GREY = "#9ca3af"


def label(text: str) -> str:
    """A user-written string made safe for a Plotly label (shown literally)."""
    return escape(text, quote=True)


def _layout(title: str, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 44, "b": 48},
        "height": 340,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "legend": {"orientation": "h", "y": -0.18},
    }
    out.update(kw)
    return out


def latency_figure(site: SitePlan) -> Figure | None:
    """Grouped bars of p50/p99 end-to-end latency, edge vs cloud, per workload [ms]."""
    rows = [w for w in site.workloads if w.latency is not None]
    if not rows:
        return None
    ids = [label(w.id) for w in rows]
    series = [
        ("edge p50", [w.latency.edge_p50_ms for w in rows if w.latency], EDGE_LIGHT),
        ("edge p99", [w.latency.edge_p99_ms for w in rows if w.latency], EDGE),
        ("cloud p50", [w.latency.cloud_p50_ms for w in rows if w.latency], CLOUD_LIGHT),
        ("cloud p99", [w.latency.cloud_p99_ms for w in rows if w.latency], CLOUD),
    ]
    data = [
        {"type": "bar", "name": n, "x": ids, "y": [round(v, 2) for v in ys],
         "marker": {"color": c}, "hovertemplate": "%{x}: %{y:.1f} ms<extra>" + n + "</extra>"}
        for n, ys, c in series
    ]
    return {"data": data, "layout": _layout(
        "End-to-end latency, edge vs cloud", barmode="group",
        yaxis={"title": {"text": "latency [ms]"}, "type": "log"})}


def day_hour_matrix(values: Sequence[float]) -> list[list[float]]:
    """Reshape an hourly year into ``[hour][day]`` (24 rows × 365 columns), rounded to 0.01."""
    days = len(values) // HOURS_PER_DAY
    return [[round(float(values[d * HOURS_PER_DAY + h]), 2) for d in range(days)]
            for h in range(HOURS_PER_DAY)]


def heatmap_figure(hourly: Hourly, field: str) -> Figure:
    """Day-of-year × hour-of-day heat map of ``field`` ('facility_kw' or 'ambient_c')."""
    values: list[float] = list(getattr(hourly, field))
    unit, title, scale = {
        "facility_kw": ("kW", "Facility power over the year [kW]", "YlOrRd"),
        "ambient_c": ("°C", "Ambient temperature over the year [°C]", "RdBu"),
    }[field]
    z = day_hour_matrix(values)
    trace: dict[str, Any] = {
        "type": "heatmap", "z": z, "x": list(range(1, len(z[0]) + 1)),
        "y": list(range(HOURS_PER_DAY)), "colorscale": scale,
        "colorbar": {"title": {"text": unit}},
        "hovertemplate": "day %{x}, %{y}:00 — %{z} " + unit + "<extra></extra>",
    }
    if field == "ambient_c":
        trace["reversescale"] = True
    return {"data": [trace], "layout": _layout(
        title, xaxis={"title": {"text": "day of year"}},
        yaxis={"title": {"text": "hour of day"}, "dtick": 6}, height=300)}


def hottest_week_start(ambient_c: Sequence[float]) -> int:
    """First hour of the 7-day window (starting at midnight) with the highest mean ambient."""
    days = len(ambient_c) // HOURS_PER_DAY
    daily = [sum(ambient_c[d * 24:(d + 1) * 24]) for d in range(days)]
    if days <= DAYS_PER_WEEK:
        return 0
    best_d, best = 0, float("-inf")
    window = sum(daily[:DAYS_PER_WEEK])
    for d in range(days - DAYS_PER_WEEK + 1):
        if d > 0:
            window += daily[d + DAYS_PER_WEEK - 1] - daily[d - 1]
        if window > best:
            best_d, best = d, window
    return best_d * HOURS_PER_DAY


def hottest_week_figure(hourly: Hourly) -> Figure:
    """Ambient, IT, cooling and facility power through the hottest week; throttled hours shaded."""
    h0 = hottest_week_start(hourly.ambient_c)
    span = range(h0, min(h0 + DAYS_PER_WEEK * HOURS_PER_DAY, len(hourly.ambient_c)))
    x = [h / HOURS_PER_DAY + 1 for h in span]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": name, "x": x,
         "y": [round(getattr(hourly, f)[h], 2) for h in span], "line": {"color": c},
         "yaxis": ax}
        for name, f, c, ax in (
            ("facility kW", "facility_kw", "#111827", "y"),
            ("IT kW", "it_kw", EDGE, "y"),
            ("cooling kW", "cooling_kw", "#16a34a", "y"),
            ("ambient °C", "ambient_c", CLOUD, "y2"),
        )
    ]
    shapes = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": h / 24 + 1, "x1": (h + 1) / 24 + 1,
         "y0": 0, "y1": 1, "fillcolor": "rgba(220,38,38,0.18)", "line": {"width": 0}}
        for h in span if hourly.throttled[h]
    ]
    return {"data": data, "layout": _layout(
        f"Hottest week (days {h0 // 24 + 1}–{h0 // 24 + 7}); red = throttled hours",
        shapes=shapes, xaxis={"title": {"text": "day of year"}},
        margin={"l": 60, "r": 60, "t": 44, "b": 48},
        yaxis={"title": {"text": "power [kW]"}},
        yaxis2={"title": {"text": "ambient [°C]"}, "overlaying": "y", "side": "right"})}


MAX_DISALLOWED_BARS = 8
"""Options the data rules forbid are drawn only up to this many (the cheapest); the TCO table
lists every option with its reason."""


def tco_comparison_figure(site: SitePlan, horizon_years: int) -> Figure | None:
    """Edge TCO against the cloud alternatives [USD].

    Allowed options come first (cheapest first), then the cheapest
    :data:`MAX_DISALLOWED_BARS` disallowed ones in grey. Each bar's reason is in its hover.
    """
    if not site.alternatives:
        return None
    allowed = sorted((a for a in site.alternatives if a.allowed), key=lambda a: a.tco_usd)
    banned = sorted((a for a in site.alternatives if not a.allowed), key=lambda a: a.tco_usd)
    shown = allowed + banned[:MAX_DISALLOWED_BARS]
    names = ["edge (this plan)"] + [label(a.name) for a in shown]
    vals = [site.tco_usd] + [a.tco_usd for a in shown]
    colors = [EDGE] + [CLOUD if a.allowed else GREY for a in shown]
    text = ["feasible" if site.feasible else "not feasible"] + [
        ("allowed" if a.allowed else "not allowed")
        + (f"; break-even month {a.breakeven_month}" if a.breakeven_month else "")
        for a in shown
    ]
    hover = [label(site.binding_constraint or "")] + [label(_short(a.reason, 140))
                                                      for a in shown]
    title = f"{horizon_years}-year TCO: edge vs cloud [USD]"
    if len(banned) > MAX_DISALLOWED_BARS:
        title += (f" — {len(banned) - MAX_DISALLOWED_BARS} more disallowed options in the "
                  "table below")
    data = [{"type": "bar", "orientation": "h", "y": names, "x": [round(v) for v in vals],
             "marker": {"color": colors}, "text": text, "textposition": "auto",
             "customdata": hover,
             "hovertemplate": "%{y}: $%{x:,.0f}<br>%{customdata}<extra></extra>"}]
    return {"data": data, "layout": _layout(
        title, xaxis={"title": {"text": "USD"}},
        yaxis={"autorange": "reversed", "automargin": True},
        height=120 + 30 * len(names), showlegend=False)}


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def cost_breakdown_figure(site: SitePlan) -> Figure | None:
    """Capex by item [USD] and opex by item [USD/yr], as two horizontal stacked bars."""
    if not site.capex_breakdown_usd and not site.opex_breakdown_usd_per_year:
        return None
    data: list[dict[str, Any]] = []
    for k, v in site.capex_breakdown_usd.items():
        data.append({"type": "bar", "orientation": "h", "name": label(k), "y": ["capex [USD]"],
                     "x": [round(v)], "legendgroup": "capex",
                     "hovertemplate": label(k) + ": $%{x:,.0f}<extra></extra>"})
    for k, v in site.opex_breakdown_usd_per_year.items():
        data.append({"type": "bar", "orientation": "h", "name": label(k) + " /yr",
                     "y": ["opex [USD/yr]"], "x": [round(v)], "xaxis": "x2", "yaxis": "y2",
                     "legendgroup": "opex",
                     "hovertemplate": label(k) + ": $%{x:,.0f}/yr<extra></extra>"})
    return {"data": data, "layout": _layout(
        "Cost breakdown: capex [USD] and opex [USD/yr]", barmode="stack", height=320,
        xaxis={"domain": [0, 1], "anchor": "y"},
        yaxis={"domain": [0.62, 1.0], "automargin": True},
        xaxis2={"domain": [0, 1], "anchor": "y2"},
        yaxis2={"domain": [0.0, 0.38], "anchor": "x2", "automargin": True},
        legend={"orientation": "v", "x": 1.02, "y": 1.0},
        margin={"l": 20, "r": 20, "t": 44, "b": 30})}


def tornado_figure(site: SitePlan) -> Figure | None:
    """Tornado: TCO at each input's low and high value around the site's TCO [USD]."""
    if not site.tornado:
        return None
    bars = sorted(site.tornado, key=lambda b: abs(b.high_usd - b.low_usd))
    base = site.tco_p50_usd if site.tco_p50_usd is not None else site.tco_usd
    names = [label(b.input) for b in bars]

    def tag(v: float | None) -> str:
        return "" if v is None else f" (at {v:g})"

    data = [
        {"type": "bar", "orientation": "h", "name": "input low", "y": names,
         "x": [round(b.low_usd - base) for b in bars], "base": round(base),
         "marker": {"color": EDGE_LIGHT},
         "text": [tag(b.low_value) for b in bars],
         "hovertemplate": "%{y} low%{text}: TCO $%{x:,.0f}<extra></extra>"},
        {"type": "bar", "orientation": "h", "name": "input high", "y": names,
         "x": [round(b.high_usd - base) for b in bars], "base": round(base),
         "marker": {"color": CLOUD_LIGHT},
         "text": [tag(b.high_value) for b in bars],
         "hovertemplate": "%{y} high%{text}: TCO $%{x:,.0f}<extra></extra>"},
    ]
    return {"data": data, "layout": _layout(
        "Sensitivity of TCO (tornado) [USD]", barmode="overlay",
        xaxis={"title": {"text": "TCO [USD]"}},
        yaxis={"automargin": True}, height=140 + 36 * len(bars),
        shapes=[{"type": "line", "x0": base, "x1": base, "yref": "paper", "y0": 0, "y1": 1,
                 "line": {"color": "#111827", "dash": "dot"}}])}


def bands_figure(plan: Plan) -> Figure | None:
    """P10–P90 TCO band with the P50 per site, and the cheapest allowed cloud option [USD]."""
    sites = [s for s in plan.sites if s.tco_p10_usd is not None and s.tco_p90_usd is not None]
    if not sites:
        return None
    ids = [label(s.site) for s in sites]
    lo = [s.tco_p10_usd or 0.0 for s in sites]
    hi = [s.tco_p90_usd or 0.0 for s in sites]
    p50 = [s.tco_p50_usd if s.tco_p50_usd is not None else s.tco_usd for s in sites]
    data: list[dict[str, Any]] = [
        {"type": "bar", "name": "edge P10–P90", "x": ids, "y": [round(h - lo_) for h, lo_ in
                                                               zip(hi, lo, strict=True)],
         "base": [round(v) for v in lo], "marker": {"color": EDGE_LIGHT},
         "hovertemplate": "%{x}: P10–P90 band<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "edge P50", "x": ids,
         "y": [round(v) for v in p50],
         "marker": {"color": EDGE, "symbol": "line-ew-open",
                    "size": max(8, min(28, 560 // len(ids))), "line": {"width": 3}}},
    ]
    cx, cy, ct = [], [], []
    for s in sites:
        allowed = [a for a in s.alternatives if a.allowed]
        if allowed:  # the cheapest allowed option: the one the edge has to beat
            best = min(allowed, key=lambda a: a.tco_usd)
            cx.append(label(s.site))
            cy.append(round(best.tco_usd))
            ct.append(label(best.name))
    if cx:
        data.append({"type": "scatter", "mode": "markers", "name": "cheapest allowed cloud option",
                     "x": cx, "y": cy, "text": ct, "marker": {"color": CLOUD, "size": 10},
                     "hovertemplate": "%{text}: $%{y:,.0f}<extra></extra>"})
    return {"data": data, "layout": _layout(
        "TCO uncertainty: P10 / P50 / P90 [USD]", yaxis={"title": {"text": "TCO [USD]"}},
        xaxis={"automargin": True}, legend={"orientation": "h", "y": 1.08}, height=380)}


def pareto_figure(site: SitePlan) -> Figure | None:
    """Options considered: TCO against p99 latency, marker size by facility power."""
    if not site.pareto:
        return None
    pts = site.pareto
    data = [{"type": "scatter", "mode": "markers+text", "x": [p.p99_ms for p in pts],
             "y": [round(p.tco_usd) for p in pts], "text": [label(p.option) for p in pts],
             "textposition": "top center", "cliponaxis": False,
             "marker": {"size": [8 + min(p.facility_kw, 400) / 10 for p in pts], "color": EDGE},
             "hovertemplate": "%{text}<br>p99 %{x:.0f} ms, $%{y:,.0f}<extra></extra>"}]
    return {"data": data, "layout": _layout(
        "Options on the cost–latency front", xaxis={"title": {"text": "p99 latency [ms]"}},
        yaxis={"title": {"text": "TCO [USD]"}}, showlegend=False)}
