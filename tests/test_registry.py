"""Replaceable stages (``flatbed.registry``): registries, the scenario's ``stages:``, plug-ins,
and that the chain really calls what the scenario picks."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from flatbed.cli import app
from flatbed.errors import InputError
from flatbed.facility.cooling import COOLING_POWER, CoolingPower, cooling_power_kw
from flatbed.plan.chain import plan_scenario
from flatbed.plan.choose import OBJECTIVES
from flatbed.registry import BUILTIN, Registry, load_plugins
from flatbed.scenario import load_scenario, parse_scenario
from flatbed.serving.sizing import LLM_SIZING, SizingResult, size_llm_replicas

SMALL_LLM = """\
name: one LLM on one accelerator
sites:
  - id: plant
    country: US
    latitude: 35.0
    longitude: -80.0
    climate: greensboro
workloads:
  - id: chat
    kind: llm
    model: Llama-3.1-8B
    precision: fp8
    peak_requests_per_s: 4
    ttft_p99_ms: 2000
    tpot_p99_ms: 100
    accelerators: [H100-SXM]
constraints:
  power_caps: [1.0]
  cooling: [rdhx-active]
"""


@pytest.fixture
def scratch_names() -> Iterator[list[tuple[Registry[Any], str]]]:
    """Names a test registers, removed afterwards (the registries are process-wide)."""
    names: list[tuple[Registry[Any], str]] = []
    yield names
    for reg, name in names:
        reg.unregister(name)


def test_registry_register_get_and_refuse_shadowing() -> None:
    reg: Registry[Any] = Registry("demo", "fn() -> int")
    reg.register(BUILTIN)(lambda: 1)
    reg.register("other")(lambda: 2)
    assert reg.get("other")() == 2 and reg.names() == [BUILTIN, "other"]
    with pytest.raises(ValueError, match="already registered"):
        reg.register("other")(lambda: 3)
    reg.register("other", replace=True)(lambda: 3)
    assert reg.get("other")() == 3
    with pytest.raises(ValueError, match="letters, digits"):
        reg.register("has space")
    with pytest.raises(ValueError, match="cannot be removed"):
        reg.unregister(BUILTIN)
    with pytest.raises(InputError, match=r"unknown demo 'othr' — did you mean 'other'\?"):
        reg.get("othr")


def test_unknown_stage_in_a_scenario_names_the_line_and_suggests() -> None:
    text = SMALL_LLM + "stages:\n  llm_sizing: flatbd\n"
    with pytest.raises(InputError) as exc:
        parse_scenario(text, "s.yaml")
    msg = str(exc.value)
    line = text.splitlines().index("  llm_sizing: flatbd") + 1
    assert msg.startswith(f"s.yaml: line {line}: stages.llm_sizing: unknown llm_sizing 'flatbd'")
    assert "did you mean 'flatbed'" in msg
    bad_obj = SMALL_LLM.replace("  power_caps: [1.0]", "  power_caps: [1.0]\n  objective: tc0")
    with pytest.raises(InputError, match=r"constraints.objective: unknown objective 'tc0'"):
        parse_scenario(bad_obj, "s.yaml")


def test_chain_calls_the_llm_sizing_the_scenario_picks(
        scratch_names: list[tuple[Registry[Any], str]]) -> None:
    calls: list[str] = []

    def twice(deployment: Any, workload: Any, seed: int = 0,
              duration_s: float = 300.0) -> SizingResult:
        calls.append(workload.id)
        res = size_llm_replicas(deployment, workload, seed=seed, duration_s=duration_s)
        # a cautious site policy: double what the simulation asks for
        return dataclasses.replace(res, replicas=2 * res.replicas)

    LLM_SIZING.register("twice")(twice)
    scratch_names.append((LLM_SIZING, "twice"))
    base = plan_scenario(parse_scenario(SMALL_LLM), mc_samples=0)
    doubled = plan_scenario(parse_scenario(SMALL_LLM + "stages:\n  llm_sizing: twice\n"),
                            mc_samples=0)
    assert calls and set(calls) == {"chat"}
    assert doubled.sites[0].workloads[0].gpus == 2 * base.sites[0].workloads[0].gpus
    # the plan says which model ran, and warns that it is not the built-in one
    assert base.stages["llm_sizing"] == "flatbed" and not base.warnings
    assert doubled.stages["llm_sizing"] == "twice"
    assert any("plug-in 'twice'" in w for w in doubled.warnings)


def test_chain_uses_the_cooling_power_the_scenario_picks(
        scratch_names: list[tuple[Registry[Any], str]]) -> None:
    def doubled(heat_kw: Any, ambient_c: Any, model: Any) -> CoolingPower:
        cp = cooling_power_kw(heat_kw, ambient_c, model)
        return CoolingPower(*(2.0 * np.asarray(x) for x in cp))

    COOLING_POWER.register("doubled")(doubled)
    scratch_names.append((COOLING_POWER, "doubled"))
    base = plan_scenario(parse_scenario(SMALL_LLM), mc_samples=0).sites[0]
    more = plan_scenario(parse_scenario(SMALL_LLM + "stages:\n  cooling_power: doubled\n"),
                         mc_samples=0).sites[0]
    assert more.gpus == base.gpus  # same hardware, only the cooling draw differs
    assert more.energy_kwh_per_year > base.energy_kwh_per_year
    # PUE − 1 is cooling plus distribution losses; only the cooling part doubles
    assert base.pue_annual - 1.0 < more.pue_annual - 1.0 < 2.0 * (base.pue_annual - 1.0)


def test_a_plugin_objective_picks_the_plan(
        scratch_names: list[tuple[Registry[Any], str]]) -> None:
    OBJECTIVES.register("fewest_days")(
        lambda r: r.facility.deployment_days if r.facility else np.inf)
    scratch_names.append((OBJECTIVES, "fewest_days"))
    text = SMALL_LLM.replace("  power_caps: [1.0]", "  power_caps: [1.0]\n  objective: fewest_days")
    plan = plan_scenario(parse_scenario(text), mc_samples=0)
    assert plan.sites[0].workloads  # planned, and the objective's name shows in rejections
    costs = [r.detail for r in plan.sites[0].rejected if r.constraint == "cost"]
    assert all(d.startswith("fewest_days ") for d in costs)


def test_plugin_file_registers_and_cli_lists_it(
        tmp_path: Path, scratch_names: list[tuple[Registry[Any], str]]) -> None:
    plugin = tmp_path / "site_stages.py"
    plugin.write_text(
        "from flatbed.serving.sizing import LLM_SIZING, size_llm_replicas\n"
        "LLM_SIZING.register('site_policy')(size_llm_replicas)\n", encoding="utf-8")
    scratch_names.append((LLM_SIZING, "site_policy"))
    r = CliRunner().invoke(app, ["stages", "--plugin", str(plugin)])
    assert r.exit_code == 0, r.output
    assert "site_policy" in r.output
    load_plugins([plugin])  # a second load of the same file is a no-op, not a clash
    assert "site_policy" in LLM_SIZING


def test_bad_plugins_exit_2_with_the_plugin_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('needs the vendor SDK')\n", encoding="utf-8")
    for args, expect in (
        ([str(tmp_path / "missing.py")], "missing.py: no such Python file"),
        ([str(broken)], "broken.py failed on import: RuntimeError: needs the vendor SDK"),
        (["no_such_module_xyz"], "no module 'no_such_module_xyz'"),
    ):
        r = CliRunner().invoke(app, ["plan", "--plugin", *args])
        assert r.exit_code == 2, r.output
        assert expect in " ".join(r.output.split())
        assert "Traceback" not in r.output


def test_cli_plan_reads_catalog_paths_relative_to_the_scenario(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the loader resolved a scenario's ``catalog_paths`` against the scenario
    file but ``flatbed plan`` (and sweeps) against the working folder, so a plan run from
    elsewhere failed with "catalog path does not exist"; weather files likewise."""
    from flatbed.catalog import builtin_catalog

    sub = tmp_path / "project"
    (sub / "catalog").mkdir(parents=True)
    mine = builtin_catalog().get("models", "Llama-3.1-8B").model_dump(
        mode="json", exclude={"aliases"})
    mine["id"] = "our-llama"
    (sub / "catalog" / "models.yaml").write_text(
        yaml.safe_dump({"kind": "models", "entries": [mine]}), encoding="utf-8")
    epw = Path(str(resources.files("flatbed") / "facility" / "data" / "greensboro.epw.gz"))
    (sub / "weather").mkdir()
    (sub / "weather" / "site.epw").write_bytes(gzip.decompress(epw.read_bytes()))
    text = SMALL_LLM.replace("model: Llama-3.1-8B", "model: our-llama").replace(
        "    climate: greensboro", "    climate: greensboro\n    weather_file: weather/site.epw")
    (sub / "scen.yaml").write_text("catalog_paths: [catalog/]\n" + text, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = CliRunner().invoke(app, ["plan", str(sub / "scen.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["sites"][0]["workloads"][0]["model"] == "our-llama"
    # the loader hands every later stage (and sweep workers) absolute paths
    scen = load_scenario(Path("..") / "project" / "scen.yaml")
    assert Path(scen.catalog_paths[0]) == (sub / "catalog").resolve()
    assert Path(scen.sites[0].weather_file or "") == (sub / "weather" / "site.epw").resolve()


def test_the_example_plugin_adds_one_replica(
        scratch_names: list[tuple[Registry[Any], str]]) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "plugins" / "site_policy.py"
    load_plugins([example])
    scratch_names.append((LLM_SIZING, "spare_replica"))
    base = plan_scenario(parse_scenario(SMALL_LLM), mc_samples=0).sites[0].workloads[0]
    spare = plan_scenario(parse_scenario(SMALL_LLM + "stages:\n  llm_sizing: spare_replica\n"),
                          mc_samples=0).sites[0].workloads[0]
    assert spare.replicas == base.replicas + 1
    assert spare.gpus == base.gpus + base.gpus // base.replicas
