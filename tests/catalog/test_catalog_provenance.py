"""Every number in the shipped catalog is covered by a source or a labelled estimate."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from flatbed.catalog import KINDS, builtin_catalog
from flatbed.catalog.loader import _norm, _parse_records
from flatbed.catalog.records import Priced, Record
from flatbed.errors import InputError
from flatbed.yamlio import load_yaml

DATA = resources.files("flatbed.catalog") / "data"

# Minimum counts the brief asks for (a regression guard: records must not silently vanish).
MIN_RECORDS = {
    "accelerators": 19, "servers": 11, "cooling": 4, "modules": 2, "gensets": 4,
    "road_limits": 3, "cloud_gpu_offers": 20, "api_prices": 10, "models": 15,
    "vision_models": 8, "climates": 16,
}
_YEAR = re.compile(r"\b20\d\d\b")
_DOC = re.compile(r"[a-z0-9-]+\.[a-z]{2,}|Handbook|Directive|CFR|User Guide|datasheet|TMY3", re.I)


def _raw(kind: str) -> list[dict[str, Any]]:
    raw = load_yaml((DATA / f"{kind}.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw, list)
    return raw


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _numeric_fields(rec: Record) -> dict[str, Any]:
    """Fields of ``rec`` holding numbers (scalars, tuples or dicts of numbers)."""
    out: dict[str, Any] = {}
    for name, value in rec.__dict__.items():
        if name == "currency_year" or isinstance(value, bool):
            continue
        if isinstance(value, tuple | list):
            values = list(value)
        elif isinstance(value, dict):
            values = list(value.values())
        else:
            values = [value]
        if values and all(_is_number(v) for v in values):
            out[name] = value
    return out


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_a_data_file_with_enough_records(kind: str) -> None:
    assert (DATA / f"{kind}.yaml").is_file()
    assert len(builtin_catalog().all(kind)) >= MIN_RECORDS[kind]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_numeric_field_is_covered(kind: str) -> None:
    """Each record has a real source; every numeric field is covered by it, by a per-field
    source, or by an estimate note that explains the derivation."""
    for rec in builtin_catalog().all(kind):
        assert len(rec.source.strip()) >= 40, f"{kind}/{rec.id}: source too thin"
        assert _YEAR.search(rec.source), f"{kind}/{rec.id}: source lacks a date/year"
        assert _DOC.search(rec.source), f"{kind}/{rec.id}: source names no document or URL"
        numeric = _numeric_fields(rec)
        assert numeric, f"{kind}/{rec.id}: no numbers at all?"
        for field, note in {**rec.field_sources, **rec.estimates}.items():
            assert len(note.strip()) >= 15, f"{kind}/{rec.id}.{field}: note too short"
            assert getattr(rec, field) is not None, f"{kind}/{rec.id}.{field}: note on unset field"
        for field in rec.estimates:
            # Estimates must say how they were derived, not merely that they are guesses.
            note = rec.estimates[field]
            assert re.search(r"\d|midpoint|same|as |equal|taken", note), (
                f"{kind}/{rec.id}.{field}: estimate note does not show its derivation"
            )


@pytest.mark.parametrize("kind", list(KINDS))
def test_money_fields_carry_currency_year(kind: str) -> None:
    for rec in builtin_catalog().all(kind):
        money = {k: v for k, v in rec.__dict__.items() if "usd" in k and v is not None}
        if money:
            assert isinstance(rec, Priced)
            assert rec.currency_year is not None and 2015 <= rec.currency_year <= 2026


@pytest.mark.parametrize("kind", list(KINDS))
def test_ids_and_aliases_are_unambiguous(kind: str) -> None:
    """No normalised name may point at two different records of one kind (the table would
    silently keep the last one)."""
    owner: dict[str, str] = {}
    for item in _raw(kind):
        for name in (item["id"], item.get("name", ""), *item.get("aliases", [])):
            if not name:
                continue
            key = _norm(str(name))
            assert owner.setdefault(key, item["id"]) == item["id"], (
                f"{kind}: {name!r} names both {owner[key]} and {item['id']}"
            )
    table = builtin_catalog().tables[kind]
    for rec in table:
        for name in (rec.id, *rec.aliases):
            assert table.resolve(name) == rec.id


def test_a_record_without_source_is_rejected() -> None:
    entry = {"id": "X", "source": " ", "country": "US", "latitude": 0, "longitude": 0,
             "elevation_m": 0, "design_db_004_c": 30, "design_mcwb_004_c": 20,
             "design_heating_996_c": 0, "monthly_mean_max_c": [1] * 12,
             "monthly_mean_min_c": [0] * 12, "monthly_rh_pct": [50] * 12}
    with pytest.raises(InputError, match="source"):
        _parse_records("climates", [entry], "t.yaml")


def test_a_price_without_currency_year_is_rejected() -> None:
    raw = [dict(_raw("accelerators")[0])]
    del raw[0]["currency_year"]
    with pytest.raises(InputError, match="currency_year"):
        _parse_records("accelerators", raw, "t.yaml")


def test_an_estimate_naming_an_unknown_field_is_rejected() -> None:
    raw = [dict(_raw("road_limits")[0], estimates={"no_such_field": "derived somehow 1"})]
    with pytest.raises(InputError, match="unknown fields"):
        _parse_records("road_limits", raw, "t.yaml")
