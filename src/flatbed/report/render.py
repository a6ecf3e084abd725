"""Render a :class:`~flatbed.plan.result.Plan` as one self-contained HTML file.

The file opens offline: CSS and JavaScript are inlined, Plotly's JavaScript comes from the
installed ``plotly`` package (:func:`plotly.offline.get_plotlyjs`) and is included once, SVG is
drawn by hand, and no font, image or script is fetched from anywhere. Every user-written string
goes through Jinja2's autoescape (HTML) or :func:`flatbed.report.charts.label` (Plotly labels),
and chart data is embedded as JSON with ``<``, ``>`` and ``&`` escaped.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from flatbed.plan.result import Alternative, Plan, SitePlan
from flatbed.report import charts
from flatbed.report.svg import MapPoint, fleet_map_svg, modules_svg

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "toImageButtonOptions": {"format": "svg"},
}
"""Plotly options: no logo/link to plotly's servers; image export stays local."""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """Plotly's bundled JavaScript from the installed package, safe inside a ``<script>``.

    Plotly's source names URLs only in licence comments and string constants (SVG namespace
    URIs, help links); none is fetched. ``://`` is written ``:\\/\\/`` — the same string in
    JavaScript, a no-op in comments, and raw ``//`` cannot occur inside a regex literal — so the
    file holds no ``http(s)://`` text at all and an air-gapped reviewer's grep comes back empty.
    """
    from plotly.offline import get_plotlyjs

    js = str(get_plotlyjs()).replace("</script", "<\\/script")
    return js.replace("://", ":\\/\\/")


def json_for_script(obj: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">`` (no tag can close it)."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=_json_default)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _json_default(o: Any) -> Any:
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def _clean(obj: Any) -> Any:
    """Replace NaN/inf by None so the figure JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def usd(v: float | None) -> str:
    """Money for people: $1.23 M, $456 k, $789."""
    if v is None or not math.isfinite(v):
        return "—"
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f} B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f} M"
    if a >= 1e4:
        return f"{sign}${a / 1e3:.0f} k"
    return f"{sign}${a:,.0f}"


def num(v: float | None, digits: int = 1) -> str:
    """A number with thousands separators, or a dash."""
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:,.{digits}f}"


@dataclass
class Verdict:
    """The one-line answer for a site: build at the edge or not, and why."""

    tone: str  # "good", "warn" or "bad"
    headline: str
    detail: str
    best_cloud: Alternative | None = None


def verdict(site: SitePlan) -> Verdict:
    """Read the site's plan as a verdict (presentation of figures already in the plan)."""
    allowed = [a for a in site.alternatives if a.allowed]
    best = min(allowed, key=lambda a: a.tco_usd) if allowed else None
    missed = [w.id for w in site.workloads if not w.meets_slo]
    if not site.feasible:
        why = "; ".join(site.violations) or site.binding_constraint or "a constraint is violated"
        return Verdict("bad", "Not feasible as planned", why, best)
    if missed:
        return Verdict("warn", "Misses latency targets", "SLO missed by: " + ", ".join(missed),
                       best)
    if best is None:
        return Verdict("good", "Build at the edge",
                       "no cloud option is allowed for this data", None)
    diff = best.tco_usd - site.tco_usd
    be = f"; break-even in month {best.breakeven_month}" if best.breakeven_month else ""
    if diff >= 0:
        return Verdict("good", "Build at the edge",
                       f"{usd(diff)} cheaper than {best.name} over the horizon{be}", best)
    return Verdict("warn", "The cloud is cheaper",
                   f"{best.name} costs {usd(-diff)} less over the horizon{be}", best)


@dataclass
class ChartSpec:
    """One Plotly chart: its element id and figure."""

    id: str
    figure: dict[str, Any]


@dataclass
class SiteView:
    """Everything the template shows for one site."""

    plan: SitePlan
    verdict: Verdict
    modules_svg: Markup
    charts: dict[str, ChartSpec] = field(default_factory=dict)
    has_latency: bool = False


@dataclass
class FleetView:
    """Fleet map and tables (several sites or an optimizer result)."""

    map_svg: Markup
    units: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    cloud: list[dict[str, Any]]
    objective_usd: float | None
    optimality_gap: float | None


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("flatbed.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _cached_env() -> Environment:
    env = _env()
    env.filters["usd"] = usd
    env.filters["num"] = num
    env.filters["cite"] = cite
    return env


_SCHEME = re.compile(r"\bhttps?://", re.IGNORECASE)


def cite(text: str) -> str:
    """A citation as plain text: the URL without its scheme (``amd.com/...``). The report is
    read offline, so citations are never links and the file holds no ``http(s)://`` at all."""
    return _SCHEME.sub("", text)


def _fleet_view(plan: Plan, fleet: dict[str, Any] | None,
                coords: dict[str, tuple[float, float]]) -> FleetView | None:
    if fleet is None and len(plan.sites) < 2:
        return None
    fleet = fleet or {}
    for s in fleet.get("sites", []) or []:
        if isinstance(s, dict) and "id" in s:
            lat = s.get("latitude", s.get("lat"))
            lon = s.get("longitude", s.get("lon"))
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                coords[str(s["id"])] = (float(lat), float(lon))
    units = [u for u in fleet.get("units", []) or [] if isinstance(u, dict)]
    assignments = [a for a in fleet.get("assignments", []) or [] if isinstance(a, dict)]
    cloud = [c for c in fleet.get("cloud", []) or [] if isinstance(c, dict)]
    if not units:  # the plan's own sites are the units
        units = [{"site": s.site, "gpus": s.gpus, "modules": sum(m.count for m in s.modules),
                  "tco_usd": round(s.tco_usd), "feasible": s.feasible} for s in plan.sites]
    if not assignments:
        assignments = [{"workload": w.id, "site": s.site, "accelerator": w.accelerator,
                        "gpus": w.gpus, "meets_slo": w.meets_slo}
                       for s in plan.sites for w in s.workloads]
    count: dict[str, float] = {}
    for u in units:
        sid = str(u.get("site", ""))
        n = u.get("count", u.get("units", u.get("modules", 1)))
        count[sid] = count.get(sid, 0.0) + (float(n) if isinstance(n, int | float) else 1.0)
    names = {s.site: s.name for s in plan.sites}
    points = [MapPoint(id=sid, latitude=lat, longitude=lon, label=names.get(sid, sid),
                       units=count.get(sid, 0.0)) for sid, (lat, lon) in coords.items()]
    links: list[tuple[str, str]] = []
    for a in assignments:
        src = a.get("from", a.get("origin", a.get("workload_site")))
        dst = a.get("to", a.get("site", a.get("serving_site")))
        if src is not None and dst is not None:
            links.append((str(src), str(dst)))
    obj = fleet.get("objective_usd")
    gap = fleet.get("optimality_gap")
    return FleetView(
        map_svg=fleet_map_svg(points, links),
        units=units, assignments=assignments, cloud=cloud,
        objective_usd=float(obj) if isinstance(obj, int | float) else None,
        optimality_gap=float(gap) if isinstance(gap, int | float) else None,
    )


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return num(v, 2) if abs(v) < 100 else num(v, 0)
    if isinstance(v, dict | list):
        return json.dumps(v)
    return str(v)


def render_report(plan: Plan, fleet: dict[str, Any] | None = None,
                  scenario: Any | None = None) -> str:
    """The plan as one self-contained, offline HTML document.

    Parameters
    ----------
    plan : Plan
        The plan to present.
    fleet : dict, optional
        A fleet optimizer result (``{"units", "assignments", "cloud", "objective_usd",
        "optimality_gap"}``) with an optional ``"sites": [{"id", "latitude", "longitude"}]``
        list giving coordinates for the map. Shown when given or when the plan has several sites.
    scenario : flatbed.scenario.Scenario, optional
        Source of the sites' coordinates for the fleet map.

    Returns
    -------
    str
        The HTML text (about 5 MB, most of it Plotly's JavaScript).
    """
    coords: dict[str, tuple[float, float]] = {}
    for s in getattr(scenario, "sites", None) or []:
        coords[str(s.id)] = (float(s.latitude), float(s.longitude))
    all_charts: list[ChartSpec] = []
    views: list[SiteView] = []
    for i, s in enumerate(plan.sites):
        view = SiteView(plan=s, verdict=verdict(s), modules_svg=modules_svg(s))
        figs: dict[str, dict[str, Any] | None] = {
            "latency": charts.latency_figure(s),
            "tco": charts.tco_comparison_figure(s, plan.horizon_years),
            "costs": charts.cost_breakdown_figure(s),
            "tornado": charts.tornado_figure(s),
            "pareto": charts.pareto_figure(s),
        }
        if s.hourly is not None and len(s.hourly.ambient_c) >= 24 * 7:
            figs["heat_facility"] = charts.heatmap_figure(s.hourly, "facility_kw")
            figs["heat_ambient"] = charts.heatmap_figure(s.hourly, "ambient_c")
            figs["week"] = charts.hottest_week_figure(s.hourly)
        for key, fig in figs.items():
            if fig is not None:
                spec = ChartSpec(id=f"chart-{i}-{key}", figure=_clean(fig))
                view.charts[key] = spec
                all_charts.append(spec)
        view.has_latency = "latency" in view.charts
        views.append(view)
    bands = charts.bands_figure(plan)
    bands_spec = ChartSpec(id="chart-bands", figure=_clean(bands)) if bands else None
    if bands_spec:
        all_charts.append(bands_spec)
    fleet_view = _fleet_view(plan, fleet, coords)
    warnings = list(plan.warnings)
    for s in plan.sites:
        warnings += [f"{s.site}: {w}" for w in s.warnings]
        warnings += [f"{s.site}: constraint violated: {v}" for v in s.violations]
        if s.hourly is not None and s.hourly.synthesized_weather:
            warnings.append(f"{s.site}: weather synthesized ({s.hourly.weather_source}), "
                            "not a measured year")
    totals = {
        "capex_usd": sum(s.capex_usd for s in plan.sites),
        "opex_usd_per_year": sum(s.opex_usd_per_year for s in plan.sites),
        "tco_usd": sum(s.tco_usd for s in plan.sites),
        "gpus": sum(s.gpus for s in plan.sites),
        "modules": sum(m.count for s in plan.sites for m in s.modules),
        "trucks": sum(s.trucks for s in plan.sites),
        "facility_kw_peak": sum(s.facility_kw_peak for s in plan.sites),
    }
    template = _cached_env().get_template("report.html.j2")
    return template.render(
        plan=plan, sites=views, totals=totals, fleet=fleet_view, bands=bands_spec,
        warnings=warnings, columns=_columns, cell=_cell,
        charts_json=json_for_script([{"id": c.id, "figure": c.figure} for c in all_charts]),
        config_json=json_for_script(PLOTLY_CONFIG),
        plotly_js=Markup(plotly_js()),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
    )


@lru_cache(maxsize=4)
def _asset(name: str) -> str:
    from importlib import resources

    return (resources.files("flatbed.report") / "templates" / name).read_text("utf-8")


def write_report(plan: Plan, path: str | Path, fleet: dict[str, Any] | None = None,
                 scenario: Any | None = None) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); returns the path."""
    p = Path(path)
    p.write_text(render_report(plan, fleet=fleet, scenario=scenario), encoding="utf-8")
    return p
