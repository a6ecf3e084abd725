"""The HTML report: self-contained, escaped, every applicable section, correct reshaping."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from flatbed.plan.result import Plan
from flatbed.report import charts
from flatbed.report.render import json_for_script, render_report, usd, verdict, write_report
from flatbed.report.svg import RACK_KW_SCALE_MAX, rack_color, rack_kw_by_position

samples = sys.modules["flatbed_test_plan_samples"]

XSS = "<script>alert(1)</script>"


class _Collect(HTMLParser):
    """Every tag with its attributes, and every <script> body."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append((self._in, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            a, body = self.scripts[-1]
            self.scripts[-1] = (a, body + data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def html_one() -> str:
    return render_report(samples.sample_plan(1))


@pytest.fixture(scope="module")
def html_fleet() -> str:
    return render_report(samples.sample_plan(3))


def test_no_external_resource(html_one: str) -> None:
    doc = parse(html_one)
    for tag, attrs in doc.tags:
        for name in ("src", "href", "action", "poster", "data", "srcset"):
            v = attrs.get(name)
            if v is not None:
                assert v.startswith("#") or v == "", f"<{tag} {name}={v!r}> is a resource link"
        assert not (tag == "link" and attrs.get("rel") == "stylesheet")
        assert tag not in ("iframe", "img", "object", "embed", "base")
    # the whole file, Plotly's bundle included, names no http(s):// URL at all, and has no CSS
    # url(), @import or web font
    assert "http://" not in html_one and "https://" not in html_one
    assert "@import" not in html_one and "@font-face" not in html_one


def test_plotly_inlined_exactly_once(html_one: str) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert html_one.count(js[:200]) == 1
    assert html_one.count("plotly.js v") == 1
    # sane size: Plotly plus well under 1.5 MB of report
    assert len(html_one) - len(js) < 1_500_000


def test_site_name_script_is_escaped() -> None:
    html = render_report(samples.sample_plan(1, site_name=XSS))
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the only <script> elements are the report's own four
    doc = parse(html)
    assert len(doc.scripts) == 4
    assert all("alert(1)" not in body for _, body in doc.scripts)


def test_user_strings_in_chart_json_cannot_close_the_script() -> None:
    plan = samples.sample_plan(1)
    evil = "x</script><img src=x onerror=alert(2)>"
    wl = plan.sites[0].workloads[0].model_copy(update={"id": evil})
    site = plan.sites[0].model_copy(
        update={"workloads": [wl, *plan.sites[0].workloads[1:]],
                "warnings": [evil], "binding_constraint": evil})
    alt = site.alternatives[0].model_copy(update={"name": evil, "reason": evil})
    site = site.model_copy(update={"alternatives": [alt, *site.alternatives[1:]]})
    html = render_report(plan.model_copy(update={"sites": [site], "scenario": evil}))
    assert "</script><img" not in html
    assert "<img src=x" not in html
    doc = parse(html)
    assert not any(tag == "img" for tag, _ in doc.tags)
    payload = next(body for a, body in doc.scripts if a.get("id") == "flatbed-charts")
    figs = json.loads(payload)
    lat = next(f for f in figs if f["id"].endswith("-latency"))
    # Plotly reads the label as text: it shows the entities as the original characters
    assert lat["figure"]["data"][0]["x"][0] == "x&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"


def test_json_for_script_escapes_markup() -> None:
    s = str(json_for_script({"a": "</script><!--&\u2028"}))
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s
    assert json.loads(s) == {"a": "</script><!--&\u2028"}


SECTIONS = ["summary", "bom", "modules", "latency", "year", "tco", "uncertainty", "assumptions",
            "warnings"]


def test_every_applicable_section_single_site(html_one: str) -> None:
    for sec in SECTIONS:
        assert f'<section id="{sec}"' in html_one, sec
    assert '<section id="fleet"' not in html_one
    for key in ("latency", "heat_facility", "heat_ambient", "week", "tco", "costs", "tornado",
                "pareto"):
        assert f'id="chart-0-{key}"' in html_one, key
    assert 'id="chart-bands"' in html_one
    assert "Executive summary" in html_one and "Binding constraint" in html_one
    assert '<svg class="modules"' in html_one


def test_sections_that_do_not_apply_are_left_out() -> None:
    plan = samples.sample_plan(1, hourly=False)
    site = plan.sites[0]
    wls = [w.model_copy(update={"latency": None}) for w in site.workloads]
    site = site.model_copy(update={"workloads": wls, "tornado": [], "tco_p10_usd": None,
                                   "tco_p90_usd": None, "warnings": []})
    html = render_report(plan.model_copy(update={"sites": [site], "warnings": []}))
    for sec in ("latency", "year", "uncertainty", "warnings", "fleet"):
        assert f'<section id="{sec}"' not in html, sec
    for sec in ("summary", "bom", "modules", "tco", "assumptions"):
        assert f'<section id="{sec}"' in html, sec


def test_several_sites_summary_is_one_table(html_fleet: str) -> None:
    summary = html_fleet[html_fleet.index('<section id="summary"'):]
    summary = summary[:summary.index("</section>")]
    assert summary.count('<a href="#site-') == 3
    assert "<article" not in summary  # the per-site detail moved to the Sites section
    assert "2 sites: cloud cheaper or SLO missed" in summary  # plant-a and depot-2
    assert "1 site: not feasible" in summary  # depot-1
    sites = html_fleet[html_fleet.index('<section id="sites"'):]
    assert all(f'id="site-{i}"' in sites for i in range(3))


def test_fleet_section_with_several_sites(html_fleet: str) -> None:
    assert '<section id="fleet"' in html_fleet
    # without coordinates there is no map, but the per-site assignments are listed
    assert "No site coordinates" in html_fleet
    assert html_fleet.count("<td>depot-2</td>") >= 2


def test_fleet_map_from_fleet_result() -> None:
    plan = samples.sample_plan(3)
    fleet = {
        "sites": [{"id": "plant-a", "latitude": 41.9, "longitude": -87.6},
                  {"id": "depot-1", "latitude": 52.5, "longitude": 13.4},
                  {"id": "depot-2", "lat": 59.9, "lon": 10.7}],
        "units": [{"site": "plant-a", "unit_type": "h100-20ft", "count": 2},
                  {"site": "depot-1", "unit_type": "l40s-10ft", "count": 1}],
        "assignments": [{"workload": "chat", "from": "depot-2", "to": "depot-1", "share": 1.0},
                        {"workload": "<b>x</b>", "from": "plant-a", "to": "plant-a"}],
        "cloud": [{"workload": "batch", "share": 0.4}],
        "objective_usd": 12_345_678.0, "optimality_gap": 0.004,
    }
    html = render_report(plan, fleet=fleet)
    assert '<svg class="fleet-map"' in html
    svg = html[html.index('<svg class="fleet-map"'):]
    svg = svg[:svg.index("</svg>")]
    assert svg.count("<circle") == 3
    assert svg.count('class="link"') == 1  # the self-assignment draws no line
    # markers sit inside the plot area and keep the geographic order (x by lon, y by lat)
    found = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)".*?class="svg-small">([\w-]+)</text>',
                       svg)
    cx = {t: (float(a), float(b)) for a, b, t in found}
    assert cx["plant-a"][0] < cx["depot-2"][0] < cx["depot-1"][0]  # -87.6 < 10.7 < 13.4
    assert cx["depot-2"][1] < cx["depot-1"][1] < cx["plant-a"][1]  # 59.9 > 52.5 > 41.9 (y down)
    assert "$12.35 M" in html and "0.40%" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "http" not in svg


def test_every_assumption_listed_with_source(html_one: str) -> None:
    plan = samples.sample_plan(1)
    sec = html_one[html_one.index('<section id="assumptions"'):]
    sec = sec[:sec.index("</section>")]
    for a in plan.assumptions:
        assert f"<td>{a.id}</td><td>{a.field}</td><td>{a.value}</td>" in sec
        assert a.source in sec


def test_warnings_collected(html_one: str) -> None:
    sec = html_one[html_one.index('<section id="warnings"'):]
    assert "prices are list prices" in sec
    assert "plant-a: throttles 3 h/yr" in sec
    assert "weather synthesized" in sec


def test_day_hour_matrix_matches_numpy_reshape() -> None:
    rng = np.random.default_rng(7)
    v = rng.normal(30, 5, 8760).round(2)
    z = np.array(charts.day_hour_matrix(list(v)))
    assert z.shape == (24, 365)
    assert np.allclose(z, v.reshape(365, 24).T)


def test_hottest_week_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(20, 8, 8760)
    start = charts.hottest_week_start(list(v))
    means = [v[d * 24:d * 24 + 168].mean() for d in range(365 - 6)]
    assert start == int(np.argmax(means)) * 24
    # on the fixture's sine year the hottest week is near the sine peak (day 105 + 91 = 196)
    h = samples.synthetic_hourly()
    assert abs(charts.hottest_week_start(h.ambient_c) / 24 - 193) <= 3


def test_hottest_week_figure_shades_throttled_hours() -> None:
    h = samples.synthetic_hourly()
    fig = charts.hottest_week_figure(h)
    h0 = charts.hottest_week_start(h.ambient_c)
    assert len(fig["layout"]["shapes"]) == sum(h.throttled[h0:h0 + 168])
    assert len(fig["data"][0]["y"]) == 168


def test_rack_colours_and_split() -> None:
    assert rack_color(0.0) == "#e5e7eb"
    assert rack_color(1e-6) == "#2c7bb6"  # bottom of the ramp
    assert rack_color(RACK_KW_SCALE_MAX) == rack_color(10 * RACK_KW_SCALE_MAX) == "#d7191c"
    site = samples.site_plan()
    racks = rack_kw_by_position(site)
    flat = [kw for m in racks for kw in m]
    assert len(flat) == sum(m.count * m.racks_per_module for m in site.modules)
    assert sum(1 for kw in flat if kw > 0) == site.racks
    assert sum(flat) == pytest.approx(site.it_kw)


def test_verdicts() -> None:
    s = samples.site_plan()
    v = verdict(s)  # cheapest allowed option is the 2.1 M API < 2.9 M edge
    assert v.tone == "warn" and v.best_cloud is not None and v.best_cloud.tco_usd == 2_100_000
    cheap = s.model_copy(update={"tco_usd": 1_000_000.0})
    assert verdict(cheap).tone == "good" and "$1.10 M cheaper" in verdict(cheap).detail
    none = s.model_copy(update={"alternatives": [a.model_copy(update={"allowed": False})
                                                 for a in s.alternatives]})
    assert verdict(none).best_cloud is None and verdict(none).tone == "good"
    bad = samples.site_plan(feasible=False)
    assert verdict(bad).tone == "bad" and "grid_kw" in verdict(bad).detail


def test_usd_format() -> None:
    assert usd(2_900_000) == "$2.90 M"
    assert usd(-800_000) == "-$800 k"
    assert usd(1234) == "$1,234"
    assert usd(3.2e9) == "$3.20 B"
    assert usd(float("nan")) == "—"


def test_write_report(tmp_path: Path) -> None:
    p = write_report(samples.sample_plan(1), tmp_path / "report.html")
    text = p.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")


def test_plan_round_trip_through_json_renders_the_same() -> None:
    plan = samples.sample_plan(2)
    again = Plan.model_validate_json(plan.model_dump_json())
    assert render_report(again) == render_report(plan)
