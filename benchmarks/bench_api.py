"""Benchmark: N concurrent ``POST /api/plan`` requests on loopback all succeed.

Starts ``uvicorn`` on 127.0.0.1 in a child process (so the server does not share the client's
GIL), sends N requests at once from an ``httpx.AsyncClient`` and prints the success count and the
latency distribution. Bounded: N requests (default 200) and a wall-clock limit (default 300 s).

Planner:
  --planner chain  the real chain (flatbed.plan.chain.plan_scenario) on a packaged example
  --planner stub   a CPU-bound stand-in (numpy work of about --stub-ms per plan, then the report
                   tests' sample Plan), for when the chain is not available or to measure the
                   web layer alone
  --planner auto   chain if it plans the example, else stub (default)

    .venv/bin/python benchmarks/bench_api.py [--n 200] [--planner auto] [--example builtin]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _samples() -> Any:
    spec = importlib.util.spec_from_file_location(
        "flatbed_test_plan_samples", ROOT / "tests" / "report" / "plan_samples.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stub_planner(stub_ms: float) -> Any:
    import numpy as np

    plan = _samples().sample_plan(1, hourly=False)
    rng = np.random.default_rng(0)
    a = rng.random((200, 200))

    def plan_fn(scenario: Any) -> Any:
        t0 = time.perf_counter()
        while (time.perf_counter() - t0) * 1000 < stub_ms:
            a @ a  # noqa: B018 — CPU work standing in for the planning chain
        return plan.model_copy(update={"scenario": scenario.name})

    return plan_fn


def chain_works(example_text: str) -> bool:
    try:
        from flatbed.plan.chain import plan_scenario
        from flatbed.scenario import parse_scenario

        plan_scenario(parse_scenario(example_text))
        return True
    except Exception as exc:
        print(f"chain planner unavailable ({type(exc).__name__}: {exc}); using the stub",
              file=sys.stderr)
        return False


def serve(port: int, planner: str, stub_ms: float) -> None:
    import uvicorn

    from flatbed.web.app import create_app

    db = Path(os.environ.get("BENCH_DB", "/tmp/flatbed-bench-api.db"))
    db.unlink(missing_ok=True)
    plan_fn = stub_planner(stub_ms) if planner == "stub" else None
    app = create_app(f"sqlite:///{db}", planner=plan_fn)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=2048)


async def load(url: str, body: str, n: int, limit_s: float) -> tuple[list[int], list[float]]:
    import httpx

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=limit_s) as client:

        async def one() -> tuple[int, float]:
            t0 = time.perf_counter()
            try:
                r = await client.post("/api/plan", content=body,
                                      headers={"Content-Type": "application/yaml"})
                ok = r.status_code == 200 and "sites" in r.json()
                return (r.status_code if ok else -r.status_code), time.perf_counter() - t0
            except httpx.HTTPError:
                return 0, time.perf_counter() - t0

        res = await asyncio.wait_for(asyncio.gather(*[one() for _ in range(n)]), limit_s)
    return [c for c, _ in res], [t for _, t in res]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--planner", choices=["auto", "chain", "stub"], default="auto")
    ap.add_argument("--example", default="builtin")
    ap.add_argument("--stub-ms", type=float, default=50.0)
    ap.add_argument("--limit-s", type=float, default=300.0)
    ap.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.planner, args.stub_ms)
        return
    example = ROOT / "src" / "flatbed" / "examples" / f"{args.example}.yaml"
    body = example.read_text("utf-8")
    planner = args.planner
    if planner == "auto":
        planner = "chain" if chain_works(body) else "stub"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--planner", planner,
                             "--stub-ms", str(args.stub_ms)], cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        import httpx

        while True:
            try:
                if httpx.get(url + "/api/examples", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        # one warm-up request (imports, catalog load), then the burst
        t0 = time.perf_counter()
        warm = httpx.post(url + "/api/plan", content=body, timeout=args.limit_s,
                          headers={"Content-Type": "application/yaml"})
        single_s = time.perf_counter() - t0
        if warm.status_code != 200:
            raise SystemExit(f"warm-up plan failed: {warm.status_code} {warm.text[:300]}")
        t0 = time.perf_counter()
        codes, lat = asyncio.run(load(url, body, args.n, args.limit_s))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    ok = sum(1 for c in codes if c == 200)
    q = statistics.quantiles(lat, n=100)
    print(f"planner: {planner}" + (f" ({args.stub_ms:.0f} ms CPU per plan)"
                                   if planner == "stub" else f" (example {args.example})"))
    print(f"single plan (warm): {single_s * 1000:.0f} ms")
    print(f"concurrent requests: {args.n}; succeeded: {ok}/{args.n}; wall {wall:.2f} s; "
          f"{args.n / wall:.1f} plans/s")
    print(f"latency: p50 {q[49]:.2f} s, p90 {q[89]:.2f} s, p99 {q[98]:.2f} s, "
          f"max {max(lat):.2f} s")
    failed = sorted({c for c in codes if c != 200})
    if failed:
        print(f"failure codes: {failed} (0 = connection error, negative = HTTP status)")
    sys.exit(0 if ok == args.n else 1)


if __name__ == "__main__":
    main()
