"""Every packaged single-site example plans end to end, and its plan JSON has the keys the issues
promise; the built-in example goes through the CLI and writes both output files."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flatbed.cli import app
from flatbed.plan.chain import plan_scenario
from flatbed.scenario import load_scenario

SINGLE_SITE = ["builtin.yaml", "hot_factory_vision.yaml", "hospital_hipaa.yaml",
               "forward_base_itar.yaml"]

SITE_KEYS = {
    "site", "accelerators", "gpus", "servers", "racks", "modules", "it_kw", "facility_kw",
    "capex_usd", "opex_usd_per_year", "tco_usd", "feasible", "violations", "workloads",
    "alternatives", "pue_annual", "facility_kw_peak", "throttled_hours", "fuel_l_per_year",
    "energy_kwh_per_year", "trucks", "usd_per_million_tokens", "usd_per_thousand_frames",
    "tco_p10_usd", "tco_p50_usd", "tco_p90_usd", "tornado", "rejected", "pareto",
}


def _plan(name: str) -> dict:  # type: ignore[type-arg]
    path = resources.files("flatbed") / "examples" / name
    return plan_scenario(load_scenario(str(path)), mc_samples=2000).model_dump(mode="json")


@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:  # type: ignore[type-arg]
    return {n: _plan(n) for n in SINGLE_SITE}


def test_plan_json_has_every_promised_key(plans: dict[str, dict]) -> None:  # type: ignore[type-arg]
    for name, doc in plans.items():
        for s in doc["sites"]:
            assert set(s) >= SITE_KEYS, (name, SITE_KEYS - set(s))
            for m in s["modules"]:
                assert {"type", "count", "cooling", "gross_mass_kg"} <= set(m)
            for w in s["workloads"]:
                assert {"id", "accelerator", "gpus", "meets_slo"} <= set(w)
                lat = w["latency"]
                assert {"edge_p50_ms", "edge_p99_ms", "cloud_p50_ms", "cloud_p99_ms"} <= set(lat)
                assert lat["edge_p50_ms"] <= lat["edge_p99_ms"]
                if w["kind"] == "llm":
                    assert lat["ttft_p99_ms"] > 0 and lat["tpot_p99_ms"] > 0
            for a in s["alternatives"]:
                assert {"name", "tco_usd", "allowed", "reason", "breakeven_month",
                        "p_edge_cheaper"} <= set(a)
                assert a["reason"]
            for t in s["tornado"]:
                assert {"input", "low_usd", "high_usd"} <= set(t)
            for r in s["rejected"]:
                assert {"option", "constraint", "detail"} <= set(r) and r["detail"]
            for p in s["pareto"]:
                assert {"tco_usd", "p99_ms", "facility_kw"} <= set(p)
            assert s["tco_p10_usd"] <= s["tco_p50_usd"] <= s["tco_p90_usd"]


def test_each_example_is_feasible_and_meets_its_slos(plans: dict[str, dict]) -> None:  # type: ignore[type-arg]
    for name, doc in plans.items():
        for s in doc["sites"]:
            assert s["feasible"], (name, s["violations"])
            assert all(w["meets_slo"] for w in s["workloads"]), name
            # energy balance at the plan level: the facility draws more than its IT load
            assert s["facility_kw_peak"] >= s["it_kw"] > 0
            assert s["pue_annual"] > 1.0


def test_examples_exercise_different_binding_constraints(plans: dict[str, dict]) -> None:  # type: ignore[type-arg]
    rejected = {n: {r["constraint"] for s in d["sites"] for r in s["rejected"]}
                for n, d in plans.items()}
    # the hot factory rules air cooling out, the hospital's grid rules options out
    assert "cooling" in rejected["hot_factory_vision.yaml"]
    assert "power" in rejected["hospital_hipaa.yaml"]
    # the ITAR forward base: no cloud option is allowed, each says why
    alts = plans["forward_base_itar.yaml"]["sites"][0]["alternatives"]
    assert alts and not any(a["allowed"] for a in alts)
    assert all("ITAR" in a["reason"] for a in alts)
    # and it runs on generators, burning fuel
    fb = plans["forward_base_itar.yaml"]["sites"][0]
    assert fb["power_source"] == "generator" and fb["fuel_l_per_year"] > 0


def test_builtin_reports_costs_per_token_and_frame(plans: dict[str, dict]) -> None:  # type: ignore[type-arg]
    s = plans["builtin.yaml"]["sites"][0]
    assert s["usd_per_million_tokens"] > 0 and s["usd_per_thousand_frames"] > 0
    assert any(a["allowed"] for a in s["alternatives"])
    assert len(s["tornado"]) == 8


def test_cli_plan_builtin_writes_both_files(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["plan", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["sites"][0]["site"] == "baytown"
    html = (tmp_path / "report.html").read_text()
    assert not re.search(r"https?://", html)
