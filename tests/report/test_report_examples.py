"""Every packaged example's report: self-contained, its sections present, user strings escaped.

Runs the real planning chain (``flatbed.plan.chain.plan_scenario``) on each example; skipped only
while that module cannot be imported. Examples with more than ``MAX_SITES`` sites (the regional
fleet has 23, about 30 s of planning) are cut to their first ``MAX_SITES`` sites and those sites'
workloads, which still exercises the multi-site sections; the report code does not depend on the
site count.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import pytest

from flatbed.plan.result import Plan
from flatbed.report.render import render_report
from flatbed.scenario import Scenario, load_scenario

MAX_SITES = 3

EXAMPLES = sorted(p.name for p in (resources.files("flatbed") / "examples").iterdir()
                  if p.name.endswith(".yaml"))


@cache
def planned(name: str) -> tuple[Scenario, Plan, str]:
    from flatbed.plan.chain import plan_scenario

    path = resources.files("flatbed") / "examples" / name
    scen = load_scenario(str(path))
    if len(scen.sites) > MAX_SITES:
        keep = {s.id for s in scen.sites[:MAX_SITES]}
        scen = scen.model_copy(update={
            "sites": scen.sites[:MAX_SITES],
            "workloads": [w for w in scen.workloads if w.site in keep]})
    plan = plan_scenario(scen)
    return scen, plan, render_report(plan, scenario=scen)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_report_is_self_contained(name: str) -> None:
    from flatbed.report.render import plotly_js

    _, _, html = planned(name)
    rest = html.replace(plotly_js(), "")
    # sources in the assumptions table name URLs as text; nothing may load or link to one
    assert not re.search(r'\s(?:src|href|action|srcset|poster)=(?!["\']?#)', rest)
    assert "url(" not in rest and "@import" not in rest
    # citations are printed without their scheme: no http(s):// anywhere in the file
    assert not re.search(r"https?://", html)
    assert html.count("plotly.js v") == 1


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_report_has_its_sections(name: str) -> None:
    _, plan, html = planned(name)
    for sec in ("summary", "bom", "modules", "tco", "assumptions"):
        assert f'<section id="{sec}"' in html, sec
    if any(w.latency for s in plan.sites for w in s.workloads):
        assert '<section id="latency"' in html
    if any(s.hourly for s in plan.sites):
        assert '<section id="year"' in html and "-heat_facility" in html
    if any(s.tornado for s in plan.sites) or any(s.tco_p10_usd for s in plan.sites):
        assert '<section id="uncertainty"' in html
    if len(plan.sites) > 1:
        assert '<section id="fleet"' in html and '<svg class="fleet-map"' in html
    sec = html[html.index('<section id="assumptions"'):]
    assert sec.count("<tr>") >= len(plan.assumptions) + 1


@pytest.mark.parametrize("name", EXAMPLES[:1])
def test_example_site_name_with_script_is_escaped(name: str) -> None:
    scen, plan, _ = planned(name)
    evil = "<script>alert(1)</script>"
    sites = [s.model_copy(update={"name": evil}) for s in plan.sites]
    html = render_report(plan.model_copy(update={"sites": sites, "scenario": evil}),
                         scenario=scen)
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
