"""The public API of ``docs/design.md``: ``flatbed.load_scenario``, ``plan``, ``simulate`` and
``validate`` do what the CLI commands of the same names do."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import flatbed
from flatbed.cli import app
from flatbed.errors import InputError

EXAMPLE = Path(str(resources.files("flatbed") / "examples" / "hot_factory_vision.yaml"))
SERVING_CSV = Path(__file__).resolve().parent / "data" / "validation" / "serving_silicon_sample.csv"


def test_import_is_light_and_lists_the_api() -> None:
    assert set(flatbed.__all__) >= {"load_scenario", "plan", "simulate", "validate"}
    assert flatbed.load_scenario().name  # the built-in example


def test_plan_matches_the_cli_json() -> None:
    plan = flatbed.plan(EXAMPLE, seed=3)
    r = CliRunner().invoke(app, ["plan", str(EXAMPLE), "--json", "--seed", "3"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.output)
    api = plan.model_dump(mode="json")
    assert api["sites"][0]["gpus"] == cli["sites"][0]["gpus"]
    assert api["sites"][0]["tco_usd"] == pytest.approx(cli["sites"][0]["tco_usd"])
    # a Scenario object plans the same as its file
    again = flatbed.plan(flatbed.load_scenario(EXAMPLE), seed=3)
    assert again.sites[0].tco_usd == pytest.approx(plan.sites[0].tco_usd)


def test_simulate_returns_one_result_per_workload() -> None:
    scen = flatbed.load_scenario(EXAMPLE)
    sims = flatbed.simulate(scen, duration_s=20.0)
    assert [s.workload for s in sims] == [w.id for w in scen.workloads]
    assert all(s.sizing.meets_slo and s.replicas >= 1 for s in sims)


def test_validate_a_few_rows(tmp_path: Path) -> None:
    with SERVING_CSV.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["mode"] == "agg"][:5]
        fields = reader.fieldnames
    assert fields is not None
    small = tmp_path / "five.csv"
    with small.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    rep = flatbed.validate(small)
    assert rep.kind == "serving" and rep.rows_total == 5
    # TTFT and TPOT per row, each against the row's own measurement
    assert sorted((r.row, r.metric) for r in rep.results) == [
        (i, m) for i in range(1, 6) for m in ("tpot_ms", "ttft_ms")]
    first = rows[0]
    ttft = next(r for r in rep.results if r.row == 1 and r.metric == "ttft_ms")
    assert ttft.measured == pytest.approx(float(first["silicon_ttft_ms"]))


def test_bad_input_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.yaml"):
        flatbed.plan(bad)
