"""The flatbed web app and JSON API (FastAPI).

``POST /api/plan`` takes a scenario as YAML (``Content-Type: application/yaml``) or JSON and returns
the plan JSON, the same document ``flatbed plan --json`` prints (``plan.model_dump(mode="json")``).
Scenario text goes through :func:`flatbed.scenario.parse_scenario` in every case, so a malformed
scenario gets status 422 with the message the CLI prints. Bodies over ``max_body_bytes`` get 413
(checked on ``Content-Length`` and on the bytes actually streamed). Planning is CPU-bound: the
default planner runs in a pool of worker processes (one per CPU unless told), so concurrent
plans use every core instead of taking turns on Python's GIL; a planner passed in (tests,
benchmarks) runs in the threadpool. Static assets, Plotly included, are served from package
data; no CDN.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from flatbed.errors import InputError
from flatbed.plan.result import Plan
from flatbed.registry import load_plugins
from flatbed.scenario import Scenario, parse_scenario
from flatbed.web.storage import Storage

log = logging.getLogger("flatbed.web")

MAX_BODY_BYTES = 1_000_000
"""Default request-body limit [bytes]; a scenario is a few kB, a 1,000-site fleet about 1 MB."""

DEFAULT_ORIGIN = "<scenario>"
"""Name used for a scenario sent in a request body (messages read ``<scenario>: line N: …``)."""

Planner = Callable[[Scenario], Plan]

APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; connect-src 'self'; frame-src 'self' blob:; "
           "object-src 'none'; base-uri 'none'; form-action 'self'")
REPORT_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'")
"""The report is self-contained: its CSP forbids every network fetch."""


PLAN_BODY_FACTOR = 16
"""Plan documents (``POST /api/plans``, ``/api/report``) may be this many times the scenario
limit: their hourly series make them about 0.3 MB per site."""

PLAN_DOCUMENT_PATHS = ("/api/plans", "/api/report")


def body_limit(path: str, max_bytes: int) -> int:
    """The body limit for a request path [bytes]."""
    return max_bytes * PLAN_BODY_FACTOR if path in PLAN_DOCUMENT_PATHS else max_bytes


class ContentLengthLimit:
    """ASGI middleware: 413 for any request whose ``Content-Length`` exceeds its path's limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = body_limit(scope.get("path", ""), self.max_bytes)
            for k, v in scope.get("headers", []):
                if k == b"content-length":
                    try:
                        n = int(v)
                    except ValueError:
                        n = -1
                    if n < 0 or n > limit:
                        status = 413 if n > limit else 400
                        msg = (_too_large(limit) if status == 413
                               else "invalid Content-Length")
                        resp = JSONResponse({"detail": msg}, status_code=status,
                                            headers={"Connection": "close"})
                        await resp(scope, receive, send)
                        return
        await self.app(scope, receive, send)


def _too_large(limit: int) -> str:
    return (f"request body larger than {limit:,} bytes; a scenario is a few kilobytes of YAML "
            "(for very large fleets start the server with a larger --max-body-bytes)")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as more than ``limit`` bytes have streamed in."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=_too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def split_errors(message: str, origin: str) -> list[dict[str, Any]]:
    """Split an :class:`InputError` message into ``[{"line": int | None, "message": str}]``."""
    pat = re.compile(re.escape(origin) + r": (?:line (\d+)(?:, column \d+)?: )?")
    starts = list(pat.finditer(message))
    if not starts:
        return [{"line": None, "message": message}]
    out: list[dict[str, Any]] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(message)
        text = message[m.end():end].strip().removesuffix(";").strip()
        out.append({"line": int(m.group(1)) if m.group(1) else None, "message": text})
    return out


def _decode(body: bytes, origin: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(f"{origin}: line {line}: not UTF-8 text (byte 0x{body[exc.start]:02x} "
                         f"at offset {exc.start}); send the scenario as UTF-8") from None


def scenario_from_body(body: bytes, content_type: str, origin: str = DEFAULT_ORIGIN) -> Scenario:
    """Parse a request body (YAML or JSON) into a Scenario; :class:`InputError` on any problem.

    JSON is parsed by the same YAML path (JSON is YAML), so line numbers refer to the text the
    user sent; a JSON syntax error is reported with its line and column.
    """
    text = _decode(body, origin)
    raw: Any = None
    if "json" in content_type.lower():
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{origin}: line {exc.lineno}, column {exc.colno}: not valid JSON: "
                             f"{exc.msg}") from None
    else:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError:
            raw = None  # parse_scenario reports it with its line
    if isinstance(raw, dict) and raw.get("catalog_paths"):
        raise InputError(
            f"{origin}: catalog_paths: not accepted by the web API (the server does not read "
            "files a request names); put your catalog files on the server's "
            "FLATBED_CATALOG_PATH instead")
    try:
        return parse_scenario(text, origin)
    except InputError as exc:
        if "json" in content_type.lower() and "not valid YAML" in str(exc):
            # a JSON construct PyYAML does not read (e.g. "\/"): validate the parsed document
            return parse_scenario(yaml.safe_dump(raw, sort_keys=False), origin)
        raise


def _input_error(exc: InputError, origin: str) -> JSONResponse:
    msg = str(exc)
    return JSONResponse({"detail": msg, "errors": split_errors(msg, origin)}, status_code=422)


def _default_planner(scenario: Scenario) -> Plan:
    from flatbed.plan.chain import plan_scenario  # the lead's chain; imported when first used

    result: Plan = plan_scenario(scenario)
    return result


@lru_cache(maxsize=1)
def _plotly_min_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs()).encode("utf-8")


def _static_text(name: str) -> str:
    return (resources.files("flatbed.web") / "static" / name).read_text("utf-8")


def example_names() -> list[str]:
    """Packaged example scenarios (``flatbed/examples/*.yaml``), without the suffix."""
    folder = resources.files("flatbed") / "examples"
    try:
        names = [p.name for p in folder.iterdir() if p.name.endswith(".yaml")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n.removesuffix(".yaml") for n in names)


def _origin(request: Request) -> str:
    name = request.query_params.get("filename", "")
    return name[:200] if name and re.fullmatch(r"[\w.\- /]+", name) else DEFAULT_ORIGIN


def _plan_from_json(body: bytes) -> tuple[Plan, str, int | None]:
    """A plan document, or ``{"name", "plan", "scenario_id"}`` wrapping one."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(status_code=422, detail=f"not a JSON document: {exc}") from None
    name, sid = "", None
    if isinstance(doc, dict) and "plan" in doc and "sites" not in doc:
        name = str(doc.get("name") or "")
        raw_sid = doc.get("scenario_id")
        sid = raw_sid if isinstance(raw_sid, int) and not isinstance(raw_sid, bool) else None
        doc = doc["plan"]
    try:
        plan = Plan.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise HTTPException(status_code=422,
                            detail=f"not a flatbed plan: {loc}: {first['msg']}") from None
    return plan, name, sid


def _compare(a: Plan, b: Plan) -> list[dict[str, Any]]:
    """Side-by-side figures of two plans (sums over sites; deltas are b − a)."""

    def tot(p: Plan, f: Callable[[Any], float]) -> float:
        return float(sum(f(s) for s in p.sites))

    metrics: list[tuple[str, str, Callable[[Any], float]]] = [
        ("sites", "", lambda s: 1.0),
        ("GPUs", "", lambda s: s.gpus),
        ("modules", "", lambda s: sum(m.count for m in s.modules)),
        ("trucks", "", lambda s: s.trucks),
        ("IT power", "kW", lambda s: s.it_kw),
        ("facility peak", "kW", lambda s: s.facility_kw_peak),
        ("energy", "kWh/yr", lambda s: s.energy_kwh_per_year),
        ("throttled hours", "h/yr", lambda s: s.throttled_hours),
        ("capex", "USD", lambda s: s.capex_usd),
        ("opex", "USD/yr", lambda s: s.opex_usd_per_year),
        ("TCO", "USD", lambda s: s.tco_usd),
        ("cheapest allowed cloud", "USD", lambda s: min(
            (x.tco_usd for x in s.alternatives if x.allowed), default=0.0)),
    ]
    rows: list[dict[str, Any]] = []
    for name, unit, f in metrics:
        va, vb = tot(a, f), tot(b, f)
        rows.append({"metric": name, "unit": unit, "a": va, "b": vb, "delta": vb - va})
    rows.append({"metric": "feasible", "unit": "", "a": all(s.feasible for s in a.sites),
                 "b": all(s.feasible for s in b.sites), "delta": None})
    rows.append({"metric": "all SLOs met", "unit": "",
                 "a": all(w.meets_slo for s in a.sites for w in s.workloads),
                 "b": all(w.meets_slo for s in b.sites for w in s.workloads), "delta": None})
    return rows


class PlanPool:
    """Worker processes for the default planner, started on first use.

    ``spawn`` start method: each worker imports flatbed afresh instead of forking a process that
    runs the server's threads. A worker that dies (e.g. killed for memory) breaks the pool; the
    request gets a 500 and the next plan starts a new pool.
    """

    def __init__(self, workers: int, plugins: Sequence[str] = ()) -> None:
        self.workers = max(1, workers)
        self.plugins = list(plugins)  # imported by each worker: they register stages
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, scenario: Scenario) -> Plan:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initializer=load_plugins,
                                             initargs=(self.plugins,))
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, _default_planner, scenario)
        except BrokenProcessPool:
            self.shutdown()
            raise RuntimeError("a planning worker process died; try again") from None

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def create_app(db_url: str | None = None, *, max_body_bytes: int = MAX_BODY_BYTES,
               planner: Planner | None = None, plan_workers: int | None = None,
               plugins: Sequence[str] = ()) -> FastAPI:
    """The web app and API.

    Parameters
    ----------
    db_url : str, optional
        SQLAlchemy URL of the store (``sqlite:///path.db``, ``postgresql://…``); default SQLite
        in the user's data folder (:func:`flatbed.web.storage.default_db_url`).
    max_body_bytes : int
        Largest request body accepted [bytes]; larger ones get 413.
    planner : callable, optional
        ``Scenario -> Plan``, run in the threadpool; default :func:`flatbed.plan.chain.
        plan_scenario` in a :class:`PlanPool` of worker processes.
    plan_workers : int, optional
        Worker processes of the default planner (default: the CPU count).
    plugins : sequence of str
        Plug-ins registering stage functions (:func:`flatbed.registry.load_plugins`), loaded
        here (scenario checks) and in every planning worker.
    """
    load_plugins(plugins)
    store = Storage(db_url)
    pool = None if planner is not None else PlanPool(plan_workers or os.cpu_count() or 1,
                                                     plugins)

    async def run_plan(scen: Scenario) -> Plan:
        if pool is None:
            assert planner is not None
            return await run_in_threadpool(planner, scen)
        return await pool.run(scen)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if pool is not None:
            pool.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # their pages load Swagger UI/ReDoc from a CDN
        title="flatbed",
        summary="Plan truck-deployable modular AI data centers against the cloud.",
        version=_version(),
        openapi_tags=[{"name": "plan", "description": "Plan a scenario"},
                      {"name": "saved", "description": "Saved scenarios and plans"}],
    )
    app.state.storage = store
    app.add_middleware(ContentLengthLimit, max_bytes=max_body_bytes)

    @app.middleware("http")
    async def _headers(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.endswith("/report"):
            resp.headers["Content-Security-Policy"] = REPORT_CSP
        else:
            resp.headers.setdefault("Content-Security-Policy", APP_CSP)
        return resp

    app.mount("/static", StaticFiles(packages=[("flatbed.web", "static")]), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_static_text("index.html"))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(openapi_html(app.openapi()))

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly_min_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/schema", tags=["plan"])
    def schema() -> dict[str, Any]:
        """JSON Schema of a scenario."""
        return Scenario.model_json_schema()

    @app.get("/api/examples", tags=["plan"])
    def examples() -> list[str]:
        """Names of the packaged example scenarios."""
        return example_names()

    @app.get("/api/examples/{name}", tags=["plan"])
    def example(name: str) -> Response:
        """One packaged example scenario as YAML text."""
        if name not in example_names():
            raise HTTPException(404, f"no example named {name!r}")
        text = (resources.files("flatbed") / "examples" / f"{name}.yaml").read_text("utf-8")
        return Response(text, media_type="application/yaml")

    @app.post("/api/validate", tags=["plan"])
    async def validate(request: Request) -> dict[str, Any]:
        """Validate a scenario (YAML or JSON); errors come with their line numbers."""
        body = await read_body(request, max_body_bytes)
        origin = _origin(request)
        ctype = request.headers.get("content-type", "application/yaml")
        try:
            scen = await run_in_threadpool(scenario_from_body, body, ctype, origin)
        except InputError as exc:
            return {"valid": False, "message": str(exc), "errors": split_errors(str(exc), origin)}
        return {"valid": True, "name": scen.name, "sites": len(scen.sites),
                "workloads": len(scen.workloads), "errors": []}

    @app.post("/api/plan", tags=["plan"], responses={
        413: {"description": "Body too large"}, 422: {"description": "Malformed scenario"}},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/Scenario"}}}}})
    async def plan(request: Request) -> Any:
        """Plan a scenario; returns the plan JSON (as ``flatbed plan --json`` prints)."""
        body = await read_body(request, max_body_bytes)
        origin = _origin(request)
        ctype = request.headers.get("content-type", "application/yaml")
        try:
            scen = await run_in_threadpool(scenario_from_body, body, ctype, origin)
            result = await run_plan(scen)
        except InputError as exc:
            return _input_error(exc, origin)
        except Exception as exc:  # a bug in a model stage: say so without a traceback
            log.exception("planning failed")
            raise HTTPException(500, f"planning failed: {type(exc).__name__}: {exc}") from None
        return JSONResponse(result.model_dump(mode="json"))

    @app.post("/api/report", tags=["plan"], response_class=HTMLResponse)
    async def report_for(request: Request) -> HTMLResponse:
        """The HTML report of a plan JSON document sent in the body."""
        body = await read_body(request, body_limit("/api/report", max_body_bytes))
        p, _, _ = _plan_from_json(body)
        return HTMLResponse(await run_in_threadpool(_render, p))

    @app.post("/api/scenarios", tags=["saved"], status_code=201)
    async def save_scenario(request: Request) -> Any:
        """Save a valid scenario: JSON ``{"name", "text"}``, or YAML text with ``?name=``."""
        body = await read_body(request, max_body_bytes)
        ctype = request.headers.get("content-type", "")
        name = request.query_params.get("name", "")
        if "json" in ctype:
            try:
                doc = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise HTTPException(422, f"expected JSON {{name, text}}: {exc}") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise HTTPException(422, 'expected JSON {"name": ..., "text": scenario YAML}')
            text, name = doc["text"], str(doc.get("name") or name)
        else:
            text = _decode_or_422(body)
        try:
            scen = await run_in_threadpool(scenario_from_body, text.encode("utf-8"),
                                           "application/yaml", DEFAULT_ORIGIN)
        except InputError as exc:
            return _input_error(exc, DEFAULT_ORIGIN)
        saved = await run_in_threadpool(store.save_scenario, name or scen.name, text)
        return JSONResponse(saved.summary(), status_code=201)

    @app.get("/api/scenarios", tags=["saved"])
    def list_scenarios() -> list[dict[str, Any]]:
        return [s.summary() for s in store.list_scenarios()]

    @app.get("/api/scenarios/{scenario_id}", tags=["saved"])
    def get_scenario(scenario_id: int) -> dict[str, Any]:
        s = store.get_scenario(scenario_id)
        if s is None:
            raise HTTPException(404, f"no saved scenario {scenario_id}")
        return {**s.summary(), "text": s.text}

    @app.post("/api/plans", tags=["saved"], status_code=201)
    async def save_plan(request: Request) -> Any:
        """Save a plan: the plan JSON, or ``{"name", "plan", "scenario_id"}``."""
        body = await read_body(request, body_limit("/api/plans", max_body_bytes))
        p, name, sid = _plan_from_json(body)
        saved = await run_in_threadpool(store.save_plan, p, name, sid)
        return JSONResponse(saved.summary(), status_code=201)

    @app.get("/api/plans", tags=["saved"])
    def list_plans() -> list[dict[str, Any]]:
        return [p.summary() for p in store.list_plans()]

    def _get(plan_id: int) -> Any:
        p = store.get_plan(plan_id)
        if p is None:
            raise HTTPException(404, f"no saved plan {plan_id}")
        return p

    @app.get("/api/plans/{plan_id}", tags=["saved"])
    def get_plan(plan_id: int) -> Any:
        """A saved plan's JSON document."""
        return JSONResponse(_get(plan_id).document())

    @app.get("/api/plans/{plan_id}/report", tags=["saved"], response_class=HTMLResponse)
    def plan_report(plan_id: int) -> HTMLResponse:
        """A saved plan's self-contained HTML report."""
        return HTMLResponse(_render(_get(plan_id).plan()))

    @app.get("/api/compare", tags=["saved"])
    def compare(a: int, b: int) -> dict[str, Any]:
        """Two saved plans side by side (totals over sites; delta = b − a)."""
        pa, pb = _get(a), _get(b)
        return {"a": pa.summary(), "b": pb.summary(), "rows": _compare(pa.plan(), pb.plan())}

    return app


def openapi_html(spec: dict[str, Any]) -> str:
    """A static, offline HTML page documenting an OpenAPI spec (no Swagger UI, no CDN)."""
    from html import escape

    info = spec.get("info", {})
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(str(info.get('title', 'API')))} API</title>",
        "<link rel='stylesheet' href='/static/app.css'></head><body><header><h1>",
        f"{escape(str(info.get('title', '')))} API</h1><span class='tag'>version "
        f"{escape(str(info.get('version', '')))} · machine-readable spec: "
        "<a href='/openapi.json'>/openapi.json</a></span>",
        "<a class='docs' href='/'>app</a></header><main class='apidocs'><div>",
    ]
    if info.get("summary"):
        out.append(f"<p>{escape(str(info['summary']))}</p>")
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            out.append(f"<section class='op'><h3><code>{escape(method.upper())} "
                       f"{escape(path)}</code> — {escape(str(op.get('summary', '')))}</h3>")
            if op.get("description"):
                out.append(f"<p>{escape(str(op['description']))}</p>")
            params = op.get("parameters", [])
            if params:
                out.append("<table><tr><th>Parameter</th><th>In</th><th>Required</th></tr>")
                for prm in params:
                    out.append(f"<tr><td><code>{escape(str(prm.get('name')))}</code></td>"
                               f"<td>{escape(str(prm.get('in')))}</td>"
                               f"<td>{'yes' if prm.get('required') else 'no'}</td></tr>")
                out.append("</table>")
            body = op.get("requestBody", {}).get("content", {})
            if body:
                out.append("<p>Body: " + ", ".join(f"<code>{escape(k)}</code>" for k in body)
                           + "</p>")
            resp = op.get("responses", {})
            if resp:
                out.append("<p>Responses: " + "; ".join(
                    f"<b>{escape(str(code))}</b> {escape(str(r.get('description', '')))}"
                    for code, r in resp.items()) + "</p>")
            out.append("</section>")
    out.append("</div></main></body></html>")
    return "".join(out)


def _decode_or_422(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, "the body is not UTF-8 text") from None


def _render(plan: Plan) -> str:
    from flatbed.report.render import render_report

    return render_report(plan)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("flatbed")
    except Exception:
        return "0"


__all__ = ["MAX_BODY_BYTES", "create_app", "read_body", "scenario_from_body", "split_errors"]
