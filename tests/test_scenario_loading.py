"""The scenario loader: valid input parses; every kind of bad input is an InputError that names
the file, line and field, with suggestions — never another exception."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flatbed.catalog import Accelerator, Catalog, Climate, ModelArch, RoadLimit, VisionModel
from flatbed.errors import InputError
from flatbed.scenario import MAX_SCENARIO_BYTES, Scenario, load_scenario, parse_scenario

SRC = "test fixture"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    c = Catalog()
    c.add("accelerators", Accelerator(
        id="H100-SXM", aliases=("h100_sxm",), source=SRC, vendor="nvidia", family="hopper",
        form_factor="sxm", year=2022, peak_dense_tflops={"bf16": 989}, memory_gb=80,
        memory_bandwidth_tb_per_s=3.35, tdp_w=700, interconnect="NVLink4",
        interconnect_gb_per_s=900))
    c.add("accelerators", Accelerator(
        id="L4", source=SRC, vendor="nvidia", family="ada", form_factor="pcie", year=2023,
        peak_dense_tflops={"fp16": 121}, memory_gb=24, memory_bandwidth_tb_per_s=0.3, tdp_w=72,
        interconnect="PCIe Gen4", interconnect_gb_per_s=64))
    c.add("models", ModelArch(
        id="Llama-3.1-8B", source=SRC, params_b=8.03, active_params_b=8.03, layers=32,
        hidden_size=4096, heads=32, kv_heads=8, head_dim=128, ffn_size=14336, vocab_size=128256,
        max_context_tokens=131072))
    c.add("vision_models", VisionModel(
        id="ResNet-50", source=SRC, task="classification", params_m=25.6, gflops_per_sample=4.1,
        reference_resolution=(224, 224), activation_mb_per_sample=20))
    c.add("climates", Climate(
        id="phoenix", source=SRC, country="US", latitude=33.4, longitude=-112.0,
        elevation_m=337, design_db_004_c=44, design_mcwb_004_c=21, design_heating_996_c=2,
        monthly_mean_max_c=(19,) * 12, monthly_mean_min_c=(8,) * 12, monthly_rh_pct=(30,) * 12))
    c.add("road_limits", RoadLimit(
        id="US", source=SRC, max_gross_vehicle_kg=36287, tractor_trailer_tare_kg=13600,
        max_height_m=4.11, max_width_m=2.59, max_length_m=19.8))
    return c


GOOD = textwrap.dedent("""\
    name: test
    sites:
      - id: plant
        country: us
        latitude: 33.4
        longitude: -112.0
        climate: phoenix
        grid_kw: 500
    workloads:
      - id: chat
        kind: llm
        model: Llama-3.1-8B
        peak_requests_per_s: 2
        ttft_p99_ms: 1000
        tpot_p99_ms: 50
      - id: cams
        kind: vision
        model: ResNet-50
        streams: 100
        fps: 10
        deadline_p99_ms: 100
    constraints:
      objective: tco
    stages:
      llm_sizing: flatbed
      cooling_power: flatbed
    """)


def parse(text: str, cat: Catalog) -> Scenario:
    return parse_scenario(text, "s.yaml", catalog=cat)


def error_of(text: str, cat: Catalog) -> str:
    with pytest.raises(InputError) as info:
        parse(text, cat)
    return str(info.value)


def test_good_scenario_parses_and_links_single_site(cat: Catalog) -> None:
    scen = parse(GOOD, cat)
    assert scen.sites[0].country == "US"
    assert [w.site for w in scen.workloads] == ["plant", "plant"]
    assert max(scen.workloads[0].profile()) == 1.0


def test_unknown_accelerator_suggests_close_match(cat: Catalog) -> None:
    text = GOOD.replace("    tpot_p99_ms: 50\n",
                        "    tpot_p99_ms: 50\n    accelerators: [H10]\n")
    msg = error_of(text, cat)
    assert "unknown accelerator 'H10'" in msg and "did you mean H100-SXM" in msg
    assert "line 16" in msg and "workloads[0].accelerators[0]" in msg


def test_unknown_model_names_line_and_field(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("Llama-3.1-8B", "Llama-3.1-8C"), cat)
    assert "s.yaml: line 12: workloads[0].model: unknown model 'Llama-3.1-8C'" in msg
    assert "Llama-3.1-8B" in msg


def test_wrong_type_names_line_field_and_value(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("grid_kw: 500", "grid_kw: lots"), cat)
    assert "line 8" in msg and "sites[0].grid_kw" in msg and "'lots'" in msg


def test_negative_rate_is_refused(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("peak_requests_per_s: 2", "peak_requests_per_s: -3"), cat)
    assert "workloads[0].peak_requests_per_s" in msg and "greater than 0" in msg


def test_missing_field_is_named(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("    ttft_p99_ms: 1000\n", ""), cat)
    assert "workloads[0].ttft_p99_ms: required field is missing" in msg


def test_unknown_key_suggests_field(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("grid_kw:", "grid_kW:"), cat)
    assert "unknown field 'grid_kW'" in msg and "grid_kw" in msg


def test_bad_yaml_gives_line(cat: Catalog) -> None:
    msg = error_of("sites: [\n  - id: x\n", cat)
    assert "not valid YAML" in msg and "line" in msg


def test_empty_and_non_mapping(cat: Catalog) -> None:
    assert "empty" in error_of("   \n", cat)
    assert "expected a mapping" in error_of("- 1\n- 2\n", cat)


def test_unknown_kind_and_bad_site_link(cat: Catalog) -> None:
    assert "kind" in error_of(GOOD.replace("kind: vision", "kind: audio"), cat)
    two = GOOD.replace("workloads:", textwrap.dedent("""\
          - id: other
            country: NO
            latitude: 60
            longitude: 10
            climate: phoenix
        workloads:"""))
    assert "required when the scenario has several sites" in error_of(two, cat)


def test_duplicate_ids(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("id: cams", "id: chat"), cat)
    assert "duplicate id 'chat'" in msg


def test_files_non_utf8_empty_huge_missing(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="line 1: not UTF-8"):
        load_scenario(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        load_scenario(empty)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as f:
        f.truncate(50_000_000)
    assert huge.stat().st_size > MAX_SCENARIO_BYTES
    with pytest.raises(InputError, match="larger than"):
        load_scenario(huge)
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a folder"):
        load_scenario(tmp_path)


def test_yaml_is_loaded_safely(cat: Catalog) -> None:
    msg = error_of("!!python/object/apply:os.system ['echo hi']\n", cat)
    assert "not valid YAML" in msg


# Fuzzing: arbitrary text, and mutations of a valid scenario, never raise anything but InputError.

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_fuzz_arbitrary_text(cat: Catalog, text: str) -> None:
    try:
        parse(text, cat)
    except InputError as exc:
        assert str(exc).startswith("s.yaml")


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True), st.text(max_size=12),
                    st.lists(st.integers(), max_size=3))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_scenario(cat: Catalog, data: st.DataObject) -> None:
    doc = yaml.safe_load(GOOD)
    # pick a random path into the document and replace, delete or retype the value there
    node = doc
    while True:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            node = child
            continue
        action = data.draw(st.sampled_from(["replace", "delete"]))
        if action == "delete":
            del node[key]
        else:
            node[key] = data.draw(_LEAVES)
        break
    try:
        parse(yaml.safe_dump(doc), cat)
    except InputError as exc:
        assert str(exc).startswith("s.yaml")


def test_norway_is_a_country_not_false(cat: Catalog) -> None:
    scen = parse(GOOD.replace("country: us", "country: NO"), cat)
    assert scen.sites[0].country == "NO"
    assert parse(GOOD.replace("grid_kw: 500", "grid_kw: 500\n    generators_allowed: false"),
                 cat).sites[0].generators_allowed is False


def test_stage_typos_name_the_line_and_the_match(cat: Catalog) -> None:
    msg = error_of(GOOD.replace("llm_sizing: flatbed", "llm_sizing: flatbd"), cat)
    line = GOOD.splitlines().index("  llm_sizing: flatbed") + 1
    assert msg.startswith(f"s.yaml: line {line}: stages.llm_sizing: unknown llm_sizing 'flatbd'")
    assert "did you mean 'flatbed'" in msg
    # a misspelt stage key is an unknown field, with the field it was probably meant to be
    msg = error_of(GOOD.replace("cooling_power: flatbed", "coolingpower: flatbed"), cat)
    assert "stages.coolingpower" in msg and "cooling_power" in msg
