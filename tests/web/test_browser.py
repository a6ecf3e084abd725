"""End-to-end tests in a real headless Chromium (Debian's package, driven by Playwright).

Never downloads a browser: Playwright launches ``/usr/bin/chromium``. When it is missing these
tests FAIL (CI installs it with ``apt-get install -y chromium``); run ``pytest -m "not browser"``
to leave them out on purpose.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect

from flatbed.report.render import write_report
from flatbed.web.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DATA = Path(__file__).parent / "data"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, stub_planner: Any) -> Iterator[str]:
    """The app on a free loopback port in a thread, with the test catalog and stand-in planner."""
    old = os.environ.get("FLATBED_CATALOG_PATH")
    os.environ["FLATBED_CATALOG_PATH"] = str(DATA / "catalog")
    db = tmp_path_factory.mktemp("db") / "browser.db"
    port = _free_port()
    config = uvicorn.Config(create_app(f"sqlite:///{db}", planner=stub_planner), host="127.0.0.1",
                            port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    if old is None:
        os.environ.pop("FLATBED_CATALOG_PATH", None)
    else:
        os.environ["FLATBED_CATALOG_PATH"] = old


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's package "
                    "(apt-get install -y chromium). The browser tests never download a browser; "
                    "deselect them with -m 'not browser'.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    problems: list[str] = []

    def on_dialog(d: Any) -> None:
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("dialog", on_dialog)
    yield pg
    ctx.close()
    assert problems == []


def _load_and_run(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.set_input_files("#file", str(DATA / "scenario_small.yaml"))
    page.wait_for_selector("#status.ok", timeout=15000)
    assert "valid: clinic-edge" in page.inner_text("#status")
    page.click("#run")
    page.wait_for_selector("#summary article.site", timeout=20000)


def test_load_scenario_run_plan_summary_and_chart(page: Any, server: str) -> None:
    _load_and_run(page, server)
    summary = page.inner_text("#summary")
    assert "clinic-edge" in summary and "Riverside Clinic (clinic)" in summary
    assert "$2.90 M" in summary  # the plan's TCO
    assert "The cloud is cheaper" in summary  # 2.1 M allowed API option < 2.9 M edge
    # Plotly drew the TCO chart: its SVG exists with one bar per option
    page.wait_for_selector("#tco-chart .main-svg", timeout=10000)
    assert page.locator("#tco-chart g.point").count() == 4  # edge + 3 alternatives
    assert page.locator("#progress").is_hidden()
    # user-written strings are shown as text, never as markup (the page would raise a dialog)
    text = (DATA / "scenario_small.yaml").read_text("utf-8").replace(
        "name: Riverside Clinic", "name: '<img src=x onerror=alert(1)>'")
    page.fill("#scenario", text)
    page.wait_for_selector("#status.ok", timeout=15000)
    page.click("#run")
    expect(page.locator("#summary h4")).to_contain_text("<img src=x onerror=alert(1)>",
                                                         timeout=20000)
    assert page.locator("#summary img").count() == 0


def test_invalid_scenario_shows_inline_error(page: Any, server: str) -> None:
    page.goto(server + "/")
    bad = (DATA / "scenario_small.yaml").read_text("utf-8").replace("climate: test-temperate",
                                                                    "climat: test-temperate")
    page.fill("#scenario", bad)
    page.wait_for_selector("#errors li", timeout=15000)
    errors = page.inner_text("#errors")
    assert "line 10: sites[0].climat: unknown field 'climat' — did you mean 'climate'?" in errors
    assert page.locator('#gutter [data-error-line="10"]').count() == 1
    assert "invalid" in page.inner_text("#status")
    # running the plan shows the same inline errors and no summary
    page.click("#run")
    page.wait_for_selector("#run:not([disabled])")
    assert page.locator("#summary article").count() == 0
    assert "did you mean 'climate'" in page.inner_text("#errors")
    # clicking an error selects its line in the editor
    page.locator("#errors li", has_text="line 10").click()
    sel = page.evaluate("(() => { const t = document.getElementById('scenario');"
                        " return t.value.slice(t.selectionStart, t.selectionEnd); })()")
    assert sel.strip() == "climat: test-temperate"


def test_save_plans_compare_and_open_report(page: Any, server: str) -> None:
    _load_and_run(page, server)
    page.fill("#scenario-name", "first")
    page.click("#save-plan")
    page.wait_for_selector("#saved-plans li", timeout=10000)
    page.click("#save-scenario")
    page.wait_for_selector("#saved-scenarios li", timeout=10000)
    page.fill("#scenario-name", "second")
    page.click("#run")
    page.wait_for_selector("#run:not([disabled])")
    page.click("#save-plan")
    expect(page.locator("#saved-plans li")).to_have_count(2, timeout=10000)
    boxes = page.locator("#saved-plans input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#compare")
    page.wait_for_selector("#compare-table", timeout=10000)
    table = page.inner_text("#compare-table")
    assert "TCO [USD]" in table and "first" in table and "second" in table
    # the saved plan's report opens and draws its charts without any network request
    expect(page.locator("#saved-plans li").first).to_contain_text("second")
    with page.context.expect_page() as popup:
        page.locator("#saved-plans li a", has_text="report").first.click()
    rep = popup.value
    rep.wait_for_selector(".chart .main-svg", timeout=20000)  # (the report's CSP forbids eval)
    assert rep.evaluate("window.flatbedChartsDrawn") > 0
    assert rep.locator(".chart .main-svg").count() > 0


def test_report_file_renders_offline(browser: Any, tmp_path: Path, samples: Any) -> None:
    """The report file opens with every network request refused and draws all its charts."""
    path = write_report(samples.sample_plan(3), tmp_path / "report.html",
                        fleet={"sites": [{"id": "plant-a", "latitude": 41.9, "longitude": -87.6},
                                         {"id": "depot-1", "latitude": 52.5, "longitude": 13.4}]})
    ctx = browser.new_context(offline=True)
    requests: list[str] = []

    def only_files(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    ctx.route("**/*", only_files)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri())
    pg.wait_for_function("window.flatbedChartsDrawn >= 12", timeout=20000)
    n_divs = pg.locator("div.chart").count()
    assert pg.evaluate("window.flatbedChartsTotal") == n_divs >= 12
    pg.evaluate("window.flatbedDrawAll()")  # the rest draw lazily near the viewport
    assert pg.evaluate("window.flatbedChartsDrawn") == n_divs
    assert pg.locator("div.chart .main-svg").count() >= n_divs
    assert pg.locator("svg.fleet-map circle").count() == 2
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == []
    # printable: the print stylesheet hides navigation
    pg.emulate_media(media="print")
    assert pg.locator("nav").is_hidden()
    ctx.close()
