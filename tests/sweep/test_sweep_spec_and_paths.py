"""Sweep specs expand to the right variants; dotted paths set the right scenario fields."""

from __future__ import annotations

import pytest

from flatbed.errors import InputError
from flatbed.scenario import Scenario
from flatbed.sweep.paths import apply_overrides, parse_path
from flatbed.sweep.spec import load_sweep_spec, parse_sweep_spec, variants


def base_scenario() -> Scenario:
    return Scenario.model_validate({
        "name": "two-sites",
        "sites": [
            {"id": "denver", "country": "US", "latitude": 39.74, "longitude": -104.99,
             "climate": "denver", "grid_kw": 500, "grid_usd_per_kwh": 0.10},
            {"id": "oslo", "country": "NO", "latitude": 59.91, "longitude": 10.75,
             "climate": "oslo", "grid_usd_per_kwh": 0.08},
        ],
        "workloads": [
            {"kind": "llm", "id": "chat", "site": "denver", "model": "llama-3.1-8b",
             "peak_requests_per_s": 10, "ttft_p99_ms": 800, "tpot_p99_ms": 60},
            {"kind": "vision", "id": "cams", "site": "oslo", "model": "yolov8m", "streams": 16,
             "fps": 15, "deadline_p99_ms": 60},
        ],
    })


def test_grid_is_the_cartesian_product_in_order() -> None:
    spec = parse_sweep_spec({"mode": "grid", "parameters": {
        "prices.discount_rate": [0.05, 0.1],
        "sites[0].climate": {"choices": ["denver", "phoenix", "oslo"]},
        "workloads[0].peak_requests_per_s": {"low": 1, "high": 100, "steps": 3, "log": True},
    }})
    v = variants(spec)
    assert spec.size() == len(v) == 2 * 3 * 3
    assert v[0] == {"prices.discount_rate": 0.05, "sites[0].climate": "denver",
                    "workloads[0].peak_requests_per_s": pytest.approx(1.0)}
    # last parameter varies fastest; log spacing 1, 10, 100
    assert [x["workloads[0].peak_requests_per_s"] for x in v[:3]] == pytest.approx([1, 10, 100])
    assert v[3]["sites[0].climate"] == "phoenix"
    assert len({tuple(sorted(x.items())) for x in v}) == len(v)


def test_random_is_seeded_and_within_bounds() -> None:
    raw = {"mode": "random", "samples": 200, "seed": 42, "parameters": {
        "sites[0].grid_usd_per_kwh": {"low": 0.05, "high": 0.3},
        "sites[1].pads": {"low": 1, "high": 4, "integer": True},
        "sites[0].climate": ["denver", "phoenix"],
    }}
    a, b = variants(parse_sweep_spec(raw)), variants(parse_sweep_spec(raw))
    assert a == b
    c = variants(parse_sweep_spec({**raw, "seed": 43}))
    assert a != c
    prices = [float(x["sites[0].grid_usd_per_kwh"]) for x in a]
    assert all(0.05 <= p <= 0.3 for p in prices)
    # uniform on [0.05, 0.3]: mean 0.175, sd of the mean 0.072/sqrt(200) ≈ 0.005
    assert sum(prices) / len(prices) == pytest.approx(0.175, abs=0.02)
    assert {x["sites[1].pads"] for x in a} == {1, 2, 3, 4}
    assert {x["sites[0].climate"] for x in a} == {"denver", "phoenix"}


@pytest.mark.parametrize(("raw", "msg"), [
    ({"mode": "random", "parameters": {"a": [1]}}, "samples"),
    ({"mode": "grid", "parameters": {"a": {"low": 0, "high": 1}}}, "steps"),
    ({"mode": "grid", "parameters": {"a": {"low": 2, "high": 1, "steps": 2}}}, "below low"),
    ({"mode": "grid", "parameters": {}}, "parameters"),
    ({"mode": "sideways", "parameters": {"a": [1]}}, "mode"),
    ([1, 2], "mapping"),
])
def test_bad_specs_are_input_errors(raw: object, msg: str) -> None:
    with pytest.raises(InputError, match=msg):
        parse_sweep_spec(raw)


def test_load_spec_file(tmp_path: object) -> None:
    import pathlib

    p = pathlib.Path(str(tmp_path)) / "s.yaml"
    p.write_text("mode: random\nsamples: 3\nseed: 1\nparameters:\n  prices.discount_rate:\n"
                 "    low: 0.01\n    high: 0.2\n")
    assert len(variants(load_sweep_spec(p))) == 3
    with pytest.raises(InputError, match="no such file"):
        load_sweep_spec(p.with_name("missing.yaml"))


def test_parse_path_tokens() -> None:
    assert parse_path("sites[0].grid_usd_per_kwh") == ["sites", 0, "grid_usd_per_kwh"]
    assert parse_path("sites[oslo].climate") == ["sites", ("id", "oslo"), "climate"]
    assert parse_path("prices.accelerator_usd.H100-SXM") == [
        "prices", "accelerator_usd", "H100-SXM"]
    for bad in ("", "a..b", "a.", "a[]"):
        with pytest.raises(InputError):
            parse_path(bad)


def test_apply_overrides_sets_fields_and_revalidates() -> None:
    base = base_scenario()
    s = apply_overrides(base, {
        "sites[0].grid_usd_per_kwh": 0.21, "sites[oslo].climate": "frankfurt",
        "workloads[chat].peak_requests_per_s": 33, "prices.discount_rate": 0.11,
        "prices.accelerator_usd.H100-SXM": 25000.0, "workloads[1].data.where": "on_site",
    })
    assert s.sites[0].grid_usd_per_kwh == 0.21 and s.sites[1].climate == "frankfurt"
    assert s.workloads[0].peak_requests_per_s == 33  # type: ignore[union-attr]
    assert s.prices.discount_rate == 0.11 and s.prices.accelerator_usd == {"H100-SXM": 25000.0}
    assert s.workloads[1].data.where == "on_site"
    # the base is untouched
    assert base.sites[0].grid_usd_per_kwh == 0.10 and base.prices.accelerator_usd == {}


@pytest.mark.parametrize(("ov", "msg"), [
    ({"sites[5].pads": 2}, "out of range"),
    ({"sites[osloo].pads": 2}, "did you mean 'oslo'"),
    ({"sites[0].grid_usd_per_kwhh": 0.1}, "did you mean 'grid_usd_per_kwh'"),
    ({"sites[0].grid_usd_per_kwh": -1.0}, "greater than or equal to 0"),
    ({"prices[0]": 1}, "not a list"),
])
def test_bad_overrides_are_input_errors(ov: dict[str, object], msg: str) -> None:
    with pytest.raises(InputError, match=msg):
        apply_overrides(base_scenario(), ov)


def test_grid_is_the_default_mode_and_choices_count() -> None:
    spec = parse_sweep_spec({"parameters": {"a": [1, 2, 3], "b": {"choices": ["x", "y"]}}})
    assert spec.mode == "grid" and spec.size() == 6
    assert variants(spec)[-1] == {"a": 3, "b": "y"}


def test_unknown_catalog_ids_fail_before_the_sweep(tmp_path: object) -> None:
    import pathlib

    from flatbed.sweep.evaluators import scenario_summary
    from flatbed.sweep.run import run_sweep

    spec = parse_sweep_spec({"parameters": {"sites[1].climate": ["oslo", "phoenx"]}})
    out = pathlib.Path(str(tmp_path)) / "x.parquet"
    with pytest.raises(InputError, match="variant 1.*unknown climate 'phoenx'.*phoenix"):
        run_sweep(base_scenario(), spec, scenario_summary, out=out, progress=False)
    assert not out.exists()
