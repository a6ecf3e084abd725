"""Hand-written SVG for the report: modules with racks, and a lat/lon fleet map without tiles.

Every string that reaches the SVG goes through :func:`html.escape` (site names and ids are
user-written). No ``xmlns`` or any other URL is written: the SVG is inline in HTML, where the
namespace is implied, so the report holds no ``http://`` reference of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from flatbed.plan.result import SitePlan

RACK_KW_SCALE_MAX = 80.0
"""Top of the rack-power colour scale [kW/rack]. Chosen to span air-cooled racks (≤ ~20 kW)
through rear-door/direct-liquid racks (40–80 kW; see research/catalog_facts.md, cooling table);
racks above it are drawn in the top colour."""

# Colour ramp for rack power, low → high (a perceptually ordered blue-yellow-red ramp; the stops
# are the ColorBrewer "RdYlBu" 5-class scheme reversed, colorbrewer2.org, accessed 2026-11).
_RAMP: tuple[tuple[int, int, int], ...] = (
    (44, 123, 182), (171, 217, 233), (255, 255, 191), (253, 174, 97), (215, 25, 28),
)
EMPTY_RACK = "#e5e7eb"


def rack_color(kw: float, kw_max: float = RACK_KW_SCALE_MAX) -> str:
    """Hex colour for a rack drawing ``kw`` [kW] on a 0..``kw_max`` [kW] ramp (clamped)."""
    if not math.isfinite(kw) or kw <= 0:
        return EMPTY_RACK
    x = min(kw / kw_max, 1.0) * (len(_RAMP) - 1)
    i = min(int(x), len(_RAMP) - 2)
    f = x - i
    a, b = _RAMP[i], _RAMP[i + 1]
    r, g, bl = (round(a[k] + (b[k] - a[k]) * f) for k in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


def rack_kw_by_position(site: SitePlan) -> list[list[float]]:
    """IT power of each rack position, module by module [kW].

    The plan gives the site's IT power and its populated rack count, not a per-rack split, so each
    populated rack is shown at the site average ``it_kw / racks``; positions past ``racks`` are
    empty (0). Modules are filled in order.
    """
    avg_kw = site.it_kw / site.racks if site.racks > 0 else 0.0
    left = site.racks
    out: list[list[float]] = []
    for m in site.modules:
        for _ in range(m.count):
            row = []
            for _ in range(m.racks_per_module):
                row.append(avg_kw if left > 0 else 0.0)
                left -= 1
            out.append(row)
    return out


def modules_svg(site: SitePlan, max_modules: int = 12) -> Markup:
    """Plan view of the site's modules, each with its rack positions coloured by kW."""
    racks = rack_kw_by_position(site)
    labels: list[str] = []
    for m in site.modules:
        labels += [f"{m.type} · {m.cooling}"] * m.count
    shown = racks[:max_modules]
    rack_w, rack_h, gap, pad = 34.0, 46.0, 6.0, 14.0
    widest = max((len(r) for r in shown), default=1)
    label_w = 7.0 * max((len(x) for x in labels[:max_modules]), default=0) + 90.0
    mod_w = max(pad * 2 + widest * rack_w + (widest - 1) * gap, label_w)
    mod_h = rack_h + 2 * pad + 18.0
    legend_h = 44.0
    width = max(mod_w + 20.0, 640.0)
    height = len(shown) * (mod_h + 12.0) + legend_h + 10.0
    parts = [
        f'<svg class="modules" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="Modules and racks at '
        f'{escape(site.name or site.site)}">'
    ]
    y = 6.0
    for k, row in enumerate(shown):
        parts.append(
            f'<g class="module"><rect x="10" y="{y:.1f}" width="{mod_w:.1f}" height="{mod_h:.1f}" '
            f'rx="3" fill="#f8fafc" stroke="#334155" stroke-width="2"/>'
            f'<text x="{10 + pad:.1f}" y="{y + 14:.1f}" class="svg-label">Module {k + 1}: '
            f"{escape(labels[k])}</text>"
        )
        for j, kw in enumerate(row):
            x = 10 + pad + j * (rack_w + gap)
            ry = y + pad + 10
            title = f"rack {j + 1}: {kw:.1f} kW" if kw > 0 else f"rack {j + 1}: empty"
            parts.append(
                f'<rect class="rack" x="{x:.1f}" y="{ry:.1f}" width="{rack_w:.1f}" '
                f'height="{rack_h:.1f}" fill="{rack_color(kw)}" stroke="#475569">'
                f"<title>{escape(title)}</title></rect>"
            )
            if kw > 0:
                parts.append(
                    f'<text x="{x + rack_w / 2:.1f}" y="{ry + rack_h / 2 + 4:.1f}" '
                    f'text-anchor="middle" class="svg-small">{kw:.0f}</text>'
                )
        parts.append("</g>")
        y += mod_h + 12.0
    if len(racks) > len(shown):
        parts.append(
            f'<text x="12" y="{y + 4:.1f}" class="svg-label">+ {len(racks) - len(shown)} more '
            "identical modules not drawn</text>"
        )
        y += 12.0
    # colour legend
    steps = 8
    for i in range(steps):
        kw = RACK_KW_SCALE_MAX * (i + 0.5) / steps
        parts.append(
            f'<rect x="{12 + i * 30}" y="{y + 6:.1f}" width="30" height="12" '
            f'fill="{rack_color(kw)}"/>'
        )
    parts.append(
        f'<text x="12" y="{y + 32:.1f}" class="svg-small">0</text>'
        f'<text x="{12 + steps * 30:.0f}" y="{y + 32:.1f}" text-anchor="end" class="svg-small">'
        f"{RACK_KW_SCALE_MAX:.0f} kW/rack</text>"
        f'<text x="{20 + steps * 30:.0f}" y="{y + 16:.1f}" class="svg-small">'
        "IT kW per rack (site average over populated racks; grey = empty)</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class MapPoint:
    """A site on the fleet map."""

    id: str
    latitude: float
    longitude: float
    label: str = ""
    units: float = 0.0


def fleet_map_svg(points: Sequence[MapPoint], links: Sequence[tuple[str, str]] = (),
                  width: float = 900.0, height: float = 460.0) -> Markup:
    """Equirectangular lat/lon scatter of sites with a graticule (no map tiles, no coastline).

    Axes are plain longitude (x) and latitude (y) in degrees, zoomed to the sites with a margin.
    ``links`` are (from_site, to_site) pairs drawn as straight lines (e.g. a workload served
    away from its own site). Marker area grows with ``units``.
    """
    pts = [p for p in points if math.isfinite(p.latitude) and math.isfinite(p.longitude)]
    if not pts:
        return Markup("")
    lon0 = min(p.longitude for p in pts)
    lon1 = max(p.longitude for p in pts)
    lat0 = min(p.latitude for p in pts)
    lat1 = max(p.latitude for p in pts)
    span = max(lon1 - lon0, (lat1 - lat0) * 1.6, 4.0)
    cx, cy = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    half_x = span * 0.6
    half_y = half_x * (height / width)
    x0, x1 = max(cx - half_x, -180.0), min(cx + half_x, 180.0)
    y0, y1 = max(cy - half_y, -90.0), min(cy + half_y, 90.0)
    ml, mb, mt, mr = 48.0, 30.0, 10.0, 110.0  # room on the right for labels
    pw, ph = width - ml - mr, height - mt - mb

    def px(lon: float) -> float:
        return ml + (lon - x0) / (x1 - x0) * pw

    def py(lat: float) -> float:
        return mt + (y1 - lat) / (y1 - y0) * ph

    parts = [
        f'<svg class="fleet-map" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="Fleet map (longitude, latitude)">'
        f'<rect x="{ml}" y="{mt}" width="{pw:.1f}" height="{ph:.1f}" fill="#f1f5f9" '
        'stroke="#94a3b8"/>'
    ]
    step = _nice_step((x1 - x0) / 6)
    g = math.ceil(x0 / step) * step
    while g <= x1 + 1e-9:
        parts.append(
            f'<line x1="{px(g):.1f}" y1="{mt}" x2="{px(g):.1f}" y2="{mt + ph:.1f}" '
            f'stroke="#cbd5e1"/><text x="{px(g):.1f}" y="{height - 10:.0f}" '
            f'text-anchor="middle" class="svg-small">{g:g}°</text>'
        )
        g += step
    step_y = _nice_step((y1 - y0) / 5)
    g = math.ceil(y0 / step_y) * step_y
    while g <= y1 + 1e-9:
        parts.append(
            f'<line x1="{ml}" y1="{py(g):.1f}" x2="{ml + pw:.1f}" y2="{py(g):.1f}" '
            f'stroke="#cbd5e1"/><text x="{ml - 4:.0f}" y="{py(g) + 4:.1f}" text-anchor="end" '
            f'class="svg-small">{g:g}°</text>'
        )
        g += step_y
    by_id = {p.id: p for p in pts}
    for a, b in links:
        if a in by_id and b in by_id and a != b:
            pa, pb = by_id[a], by_id[b]
            parts.append(
                f'<line class="link" x1="{px(pa.longitude):.1f}" y1="{py(pa.latitude):.1f}" '
                f'x2="{px(pb.longitude):.1f}" y2="{py(pb.latitude):.1f}" stroke="#f97316" '
                'stroke-width="1.5" stroke-dasharray="4 3"/>'
            )
    placed: list[tuple[float, float, float, float]] = []  # label boxes already drawn
    for p in sorted(pts, key=lambda q: -q.units):
        r = 4.0 + 3.0 * math.sqrt(max(p.units, 0.0))
        fill = "#2563eb" if p.units > 0 else "#94a3b8"
        label = p.label or p.id
        x, y = px(p.longitude), py(p.latitude)
        parts.append(
            f'<g class="site"><circle cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{r:.1f}" fill="{fill}" fill-opacity="0.75" stroke="#1e3a8a">'
            f"<title>{escape(label)} ({p.latitude:.2f}°, {p.longitude:.2f}°), "
            f"{p.units:g} units</title></circle>"
        )
        # label unless it would overlap one already drawn (hover shows every site's name)
        box = (x + r + 2, y - 7, x + r + 2 + 5.6 * len(p.id), y + 5)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                   for b in placed):
            placed.append(box)
            parts.append(f'<text x="{box[0]:.1f}" y="{y + 4:.1f}" '
                         f'class="svg-small">{escape(p.id)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(raw: float) -> float:
    """1, 2 or 5 × 10^k not below ``raw`` (axis tick spacing)."""
    if raw <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * mag >= raw:
            return m * mag
    return 10.0 * mag
