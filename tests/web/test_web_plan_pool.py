"""The default planner runs in worker processes: real plans, concurrently, through the API."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import httpx

from flatbed.web.app import create_app

SCENARIO = textwrap.dedent("""\
    name: pool check
    sites:
      - id: depot
        country: US
        latitude: 41.9
        longitude: -87.6
        climate: chicago
        grid_kw: 50
    workloads:
      - id: cams
        kind: vision
        model: ResNet-50
        streams: {streams}
        fps: 15
        resolution: [224, 224]
        deadline_p99_ms: 60
        accelerators: [L4]
    constraints:
      cooling: [air-containment]
      modules: [iso-20ft]
      power_caps: [1.0]
    """)


def test_concurrent_plans_in_worker_processes(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'pool.db'}", plan_workers=2)

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with (httpx.AsyncClient(transport=transport, base_url="http://t") as client,
                    app.router.lifespan_context(app)):
            return await asyncio.gather(*(
                client.post("/api/plan", content=SCENARIO.format(streams=n),
                            headers={"content-type": "application/yaml"}, timeout=300)
                for n in (20, 40)))

    small, large = asyncio.run(go())
    assert small.status_code == 200 and large.status_code == 200, (small.text, large.text)
    gpus = [r.json()["sites"][0]["gpus"] for r in (small, large)]
    # each request got its own plan: twice the streams never needs fewer GPUs
    assert 1 <= gpus[0] <= gpus[1]
    assert small.json()["scenario"] == "pool check"
