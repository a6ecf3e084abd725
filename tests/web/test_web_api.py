"""The JSON API: plan from YAML or JSON, 422 with the CLI's messages, 413, saving, comparing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from flatbed.errors import InputError
from flatbed.plan.result import Plan
from flatbed.scenario import Scenario, parse_scenario
from flatbed.web.app import create_app, split_errors

Planner = Callable[[Scenario], Plan]


@pytest.fixture()
def client(db_url: str, planner: Planner, test_catalog: Path) -> TestClient:
    return TestClient(create_app(db_url, planner=planner))


def cli_message(text: str, origin: str = "<scenario>") -> str:
    with pytest.raises(InputError) as exc:
        parse_scenario(text, origin)
    return str(exc.value)


def test_plan_from_yaml_returns_plan_json(client: TestClient, scenario_text: str,
                                          planner: Planner) -> None:
    r = client.post("/api/plan", content=scenario_text,
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    expected = planner(parse_scenario(scenario_text)).model_dump(mode="json")
    assert r.json() == expected
    assert r.json()["scenario"] == "clinic-edge"
    Plan.model_validate(r.json())


def test_plan_from_json_is_the_same(client: TestClient, scenario_text: str) -> None:
    a = client.post("/api/plan", content=scenario_text,
                    headers={"Content-Type": "application/yaml"}).json()
    doc = yaml.safe_load(scenario_text)
    b = client.post("/api/plan", json=doc)
    assert b.status_code == 200
    assert b.json() == a


BAD_EDITS = [
    ("peak_requests_per_s: 4", "peak_requests_per_s: -4"),
    ("climate: test-temperate", "climate: test-temperat"),
    ("fps: 15", "fps: 15\n    bogus_field: 1"),
    ("grid_kw: 400", "grid_kw: [400"),
    ("kind: vision", "kind: radar"),
]


@pytest.mark.parametrize(("old", "new"), BAD_EDITS)
def test_malformed_yaml_gets_422_with_the_cli_message(client: TestClient, scenario_text: str,
                                                      old: str, new: str) -> None:
    bad = scenario_text.replace(old, new)
    assert bad != scenario_text
    r = client.post("/api/plan", content=bad, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422
    assert r.json()["detail"] == cli_message(bad)
    assert r.json()["errors"][0]["line"] is not None


def test_filename_names_the_origin_like_the_cli(client: TestClient, scenario_text: str) -> None:
    bad = scenario_text.replace("fps: 15", "fps: 0")
    r = client.post("/api/plan?filename=clinic.yaml", content=bad,
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422
    assert r.json()["detail"] == cli_message(bad, "clinic.yaml")
    assert r.json()["detail"].startswith("clinic.yaml: line 25: workloads[1].fps:")


def test_malformed_json_scenario(client: TestClient, scenario_text: str) -> None:
    doc = yaml.safe_load(scenario_text)
    doc["workloads"][1]["fps"] = -1
    text = json.dumps(doc, indent=2)
    r = client.post("/api/plan", content=text, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"] == cli_message(text)  # lines refer to the JSON the user sent
    line = r.json()["errors"][0]["line"]
    assert '"fps": -1' in text.splitlines()[line - 1]
    r = client.post("/api/plan", content='{"sites": [',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("<scenario>: line 1, column 12: not valid JSON")


def test_empty_and_non_utf8_bodies(client: TestClient) -> None:
    r = client.post("/api/plan", content=b"", headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422 and r.json()["detail"] == cli_message("")
    r = client.post("/api/plan", content=b"name: x\n\xff\xfe",
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422 and "line 2: not UTF-8" in r.json()["detail"]


def test_catalog_paths_are_refused(client: TestClient, scenario_text: str) -> None:
    text = "catalog_paths: [/etc]\n" + scenario_text
    r = client.post("/api/plan", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422 and "catalog_paths" in r.json()["detail"]


def test_oversized_body_413_by_content_length(client: TestClient) -> None:
    body = b"#" * 1_000_001
    r = client.post("/api/plan", content=body, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 413
    assert "larger than 1,000,000 bytes" in r.json()["detail"]
    ok = client.post("/api/plan", content=b"#" * 999_000,
                     headers={"Content-Type": "application/yaml"})
    assert ok.status_code == 422  # under the limit: parsed (and empty of content)


def test_oversized_body_413_when_streamed_without_length(db_url: str, planner: Planner,
                                                         test_catalog: Path) -> None:
    client = TestClient(create_app(db_url, planner=planner, max_body_bytes=10_000))

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"#" * 1000

    r = client.post("/api/plan", content=chunks(), headers={"Content-Type": "application/yaml"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 413
    r = client.post("/api/validate", content=chunks())
    assert r.status_code == 413


def test_validate(client: TestClient, scenario_text: str) -> None:
    r = client.post("/api/validate", content=scenario_text)
    assert r.json() == {"valid": True, "name": "clinic-edge", "sites": 1, "workloads": 2,
                        "errors": []}
    bad = scenario_text.replace("climate: test-temperate", "climat: test-temperate")
    r = client.post("/api/validate", content=bad)
    res = r.json()
    assert r.status_code == 200 and res["valid"] is False
    assert res["message"] == cli_message(bad)
    lines = sorted(e["line"] for e in res["errors"])
    assert lines == [5, 10]  # the site entry (missing climate) and the mistyped key
    assert any("did you mean 'climate'" in e["message"] for e in res["errors"])


def test_split_errors() -> None:
    msg = ("<scenario>: line 3: a.b: x; y; <scenario>: c: z; "
           "<scenario>: line 9, column 2: not valid YAML: q")
    assert split_errors(msg, "<scenario>") == [
        {"line": 3, "message": "a.b: x; y"}, {"line": None, "message": "c: z"},
        {"line": 9, "message": "not valid YAML: q"}]
    assert split_errors("oops", "<scenario>") == [{"line": None, "message": "oops"}]


def test_planner_errors(db_url: str, scenario_text: str) -> None:
    def fails_input(s: Scenario) -> Plan:
        raise InputError("<scenario>: no accelerator fits the SLO")

    def crashes(s: Scenario) -> Plan:
        raise ZeroDivisionError("division by zero")

    r = TestClient(create_app(db_url, planner=fails_input)).post("/api/plan",
                                                                 content=scenario_text)
    assert r.status_code == 422 and r.json()["detail"] == "<scenario>: no accelerator fits the SLO"
    r = TestClient(create_app(db_url, planner=crashes)).post("/api/plan", content=scenario_text)
    assert r.status_code == 500
    assert r.json()["detail"] == "planning failed: ZeroDivisionError: division by zero"


def test_save_list_get_plans_and_report(client: TestClient, sample_plan: Callable[..., Plan]
                                        ) -> None:
    p1 = sample_plan(1, site_name="<script>alert(1)</script>")
    r = client.post("/api/plans", json={"name": "first <b>", "plan": p1.model_dump(mode="json")})
    assert r.status_code == 201
    id1 = r.json()["id"]
    r = client.post("/api/plans", json=sample_plan(2, hourly=False).model_dump(mode="json"))
    assert r.status_code == 201
    id2 = r.json()["id"]
    listed = client.get("/api/plans").json()
    assert [p["id"] for p in listed] == [id2, id1]
    assert listed[1]["name"] == "first <b>"  # JSON carries it verbatim; pages escape it
    assert listed[0]["sites"] == 2
    assert listed[0]["tco_usd"] == pytest.approx(sum(s.tco_usd for s in
                                                     sample_plan(2, hourly=False).sites))
    assert client.get(f"/api/plans/{id1}").json() == p1.model_dump(mode="json")
    rep = client.get(f"/api/plans/{id1}/report")
    assert rep.status_code == 200 and rep.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)</script>" not in rep.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rep.text
    csp = rep.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src" not in csp
    assert client.get("/api/plans/999").status_code == 404
    assert client.get("/api/plans/999/report").status_code == 404
    bad = client.post("/api/plans", json={"plan": {"sites": "nope"}})
    assert bad.status_code == 422 and "not a flatbed plan" in bad.json()["detail"]


def test_compare(client: TestClient, sample_plan: Callable[..., Plan]) -> None:
    a = client.post("/api/plans", json=sample_plan(1, hourly=False).model_dump(mode="json"))
    b = client.post("/api/plans", json=sample_plan(3, hourly=False).model_dump(mode="json"))
    c = client.get(f"/api/compare?a={a.json()['id']}&b={b.json()['id']}").json()
    rows = {r["metric"]: r for r in c["rows"]}
    one = sample_plan(1, hourly=False).sites[0]
    assert rows["sites"]["a"] == 1 and rows["sites"]["b"] == 3 and rows["sites"]["delta"] == 2
    assert rows["GPUs"]["delta"] == 2 * one.gpus
    assert rows["TCO"]["a"] == one.tco_usd and rows["TCO"]["b"] == pytest.approx(3 * one.tco_usd)
    assert rows["cheapest allowed cloud"]["a"] == 2_100_000
    assert rows["feasible"]["a"] is True and rows["feasible"]["b"] is False  # depot-1 infeasible
    assert client.get("/api/compare?a=1&b=99").status_code == 404


def test_scenarios_saved_and_listed(client: TestClient, scenario_text: str) -> None:
    r = client.post("/api/scenarios", json={"name": "clinic", "text": scenario_text})
    assert r.status_code == 201
    sid = r.json()["id"]
    r2 = client.post("/api/scenarios?name=raw", content=scenario_text,
                     headers={"Content-Type": "application/yaml"})
    assert r2.status_code == 201 and r2.json()["name"] == "raw"
    assert [s["name"] for s in client.get("/api/scenarios").json()] == ["raw", "clinic"]
    got = client.get(f"/api/scenarios/{sid}").json()
    assert got["text"] == scenario_text and got["name"] == "clinic"
    bad = client.post("/api/scenarios", json={"name": "bad", "text": "sites: []"})
    assert bad.status_code == 422 and bad.json()["detail"] == cli_message("sites: []")
    assert client.get("/api/scenarios/77").status_code == 404


def test_saved_plans_survive_a_restart(db_url: str, planner: Planner, test_catalog: Path,
                                       sample_plan: Callable[..., Plan], scenario_text: str
                                       ) -> None:
    first = TestClient(create_app(db_url, planner=planner))
    pid = first.post("/api/plans", json=sample_plan(1).model_dump(mode="json")).json()["id"]
    sid = first.post("/api/scenarios", json={"name": "s", "text": scenario_text}).json()["id"]
    first.app.state.storage.close()  # type: ignore[attr-defined]
    del first
    second = TestClient(create_app(db_url, planner=planner))
    assert second.get(f"/api/plans/{pid}").json() == sample_plan(1).model_dump(mode="json")
    assert second.get(f"/api/scenarios/{sid}").json()["text"] == scenario_text
    assert [p["id"] for p in second.get("/api/plans").json()] == [pid]


def test_pages_and_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert 'src="/vendor/plotly.min.js"' in page.text
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and js.text.startswith("/**\n* plotly.js")
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "innerHTML" not in client.get("/static/app.js").text


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/plan", "/api/plans", "/api/plans/{plan_id}", "/api/plans/{plan_id}/report",
                 "/api/scenarios", "/api/scenarios/{scenario_id}", "/api/validate"):
        assert path in spec["paths"], path
    content = spec["paths"]["/api/plan"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/yaml", "application/json"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "http://" not in docs.text and "https://" not in docs.text  # no Swagger UI from a CDN
    assert "<code>POST /api/plan</code>" in docs.text
    assert client.get("/redoc").status_code == 404


def test_examples_endpoint_guards_names(client: TestClient) -> None:
    names = client.get("/api/examples").json()
    assert isinstance(names, list)
    assert client.get("/api/examples/..%2Fscenario").status_code == 404
    for n in names[:1]:
        r = client.get(f"/api/examples/{n}")
        assert r.status_code == 200 and "sites" in r.text


def test_200_concurrent_plans_run_in_the_threadpool(db_url: str, scenario_text: str,
                                                    planner: Planner, test_catalog: Path) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(s: Scenario) -> Plan:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.02)  # blocking, like a CPU-bound plan: it must not block the event loop
        with lock:
            state["now"] -= 1
        return planner(s)

    app = create_app(db_url, planner=slow)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            rs = await asyncio.gather(*[
                c.post("/api/plan", content=scenario_text,
                       headers={"Content-Type": "application/yaml"}) for _ in range(200)])
        return [r.status_code for r in rs]

    codes = asyncio.run(run())
    assert codes == [200] * 200
    assert state["max"] > 1  # plans overlapped: they ran in worker threads


def test_large_plan_documents_are_accepted_for_saving(client: TestClient,
                                                      sample_plan: Callable[..., Plan]) -> None:
    plan = sample_plan(1)
    big = plan.model_copy(update={"sites": [plan.sites[0].model_copy(update={"site": f"s{i}"})
                                            for i in range(6)]})
    body = big.model_dump_json()
    assert 1_000_000 < len(body) < 16_000_000
    r = client.post("/api/plans", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201 and r.json()["sites"] == 6
    r = client.post("/api/plan", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413  # the scenario endpoint keeps the 1 MB limit
    r = client.post("/api/plans", content=b" " * 16_000_001,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_default_planner_gives_the_cli_document(db_url: str) -> None:
    """With no stand-in, /api/plan runs the real chain and returns what `plan --json` prints."""

    from importlib import resources

    from flatbed.plan.chain import plan_scenario

    text = (resources.files("flatbed") / "examples" / "hot_factory_vision.yaml").read_text("utf-8")
    r = TestClient(create_app(db_url)).post("/api/plan", content=text,
                                            headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text[:500]
    assert r.json() == plan_scenario(parse_scenario(text)).model_dump(mode="json")


def test_plugins_given_to_the_app_are_loaded_for_scenario_checks(
        db_url: str, planner: Callable[[Scenario], Plan], scenario_text: str,
        tmp_path: Path) -> None:
    from flatbed.serving.sizing import VISION_SIZING, size_vision_replicas

    plugin = tmp_path / "web_stages.py"
    plugin.write_text("from flatbed.serving.sizing import VISION_SIZING, size_vision_replicas\n"
                      "VISION_SIZING.register('web_policy')(size_vision_replicas)\n",
                      encoding="utf-8")
    text = scenario_text + "stages:\n  vision_sizing: web_policy\n"
    try:
        refused = TestClient(create_app(db_url, planner=planner)).post(
            "/api/plan", content=text, headers={"Content-Type": "application/yaml"})
        assert refused.status_code == 422
        assert "unknown vision_sizing 'web_policy'" in refused.json()["detail"]
        c = TestClient(create_app(db_url, planner=planner, plugins=[str(plugin)]))
        r = c.post("/api/plan", content=text, headers={"Content-Type": "application/yaml"})
        assert r.status_code == 200, r.text
        assert VISION_SIZING.get("web_policy") is size_vision_replicas
    finally:
        VISION_SIZING.unregister("web_policy")
