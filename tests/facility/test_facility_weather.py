"""EPW reading/writing and weather-year synthesis."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flatbed.errors import InputError
from flatbed.facility.weather import (
    HOURS_PER_YEAR,
    WeatherYear,
    diurnal_hourly_c,
    read_epw,
    synthesize_year,
    write_epw,
)

sys.path.insert(0, str(Path(__file__).parent))
from standins import OSLO, PHOENIX  # noqa: E402

DATA = Path(__file__).parent / "data"


def _analytic_year() -> WeatherYear:
    h = np.arange(HOURS_PER_YEAR)
    db = 12.0 - 10.0 * np.cos(2 * np.pi * (h - 400) / HOURS_PER_YEAR) + 5.0 * np.sin(
        2 * np.pi * (h % 24 - 9) / 24)
    dp = db - 6.0 - 2.0 * np.sin(2 * np.pi * h / 24)
    return WeatherYear.from_arrays(db, dp, elevation_m=250.0, source="analytic test year",
                                   synthesized=True, latitude=45.5, longitude=-73.6,
                                   name="Testville")


def test_epw_written_by_tests_round_trips(tmp_path: Path) -> None:
    w = _analytic_year()
    f = tmp_path / "testville.epw"
    write_epw(f, w)
    r = read_epw(f)
    assert r.dry_bulb_c.shape == (HOURS_PER_YEAR,)
    assert np.max(np.abs(r.dry_bulb_c - w.dry_bulb_c)) <= 0.05 + 1e-9  # written to 0.1 °C
    assert np.max(np.abs(r.dew_point_c - w.dew_point_c)) <= 0.05 + 1e-9
    assert np.max(np.abs(r.pressure_pa - w.pressure_pa)) <= 0.5 + 1e-9
    assert np.max(np.abs(r.wet_bulb_c - w.wet_bulb_c)) < 0.1
    assert (r.latitude, r.longitude, r.elevation_m) == (45.5, -73.6, 250.0)
    # The analytic year is labelled synthesized; the label survives the round trip.
    assert r.synthesized is True and "testville.epw" in r.source and "analytic" in r.source
    measured = WeatherYear.from_arrays(w.dry_bulb_c, w.dew_point_c, elevation_m=250.0,
                                       source="station", synthesized=False)
    write_epw(f, measured)
    assert read_epw(f).synthesized is False


def test_shipped_fixture_epw_reads(tmp_path: Path) -> None:
    # A small hand-written fixture: 8,760 rows of a constant 21.5 °C / 11.0 °C dew point.
    f = DATA / "constant_year.epw.gz"
    r = read_epw(f)
    assert np.all(r.dry_bulb_c == 21.5) and np.all(r.dew_point_c == 11.0)
    assert r.pressure_pa[0] == 98_000.0
    assert r.rh_pct[0] == pytest.approx(51.1, abs=0.5)


def test_leap_year_and_missing_values(tmp_path: Path) -> None:
    w = _analytic_year()
    f = tmp_path / "a.epw"
    write_epw(f, w)
    lines = f.read_text().splitlines()
    head, rows = lines[:8], lines[8:]
    # Insert 24 rows for 29 February after 28 February (day 59 → rows 1416..1439).
    feb29 = [r.replace(",2,28,", ",2,29,", 1) for r in rows[58 * 24:59 * 24]]
    rows = rows[:59 * 24] + feb29 + rows[59 * 24:]
    fields = rows[100].split(",")
    fields[6] = "99.9"  # missing dry-bulb
    fields[9] = "999999"  # missing pressure
    rows[100] = ",".join(fields)
    f.write_text("\n".join(head + rows) + "\n")
    r = read_epw(f)
    assert r.dry_bulb_c.size == HOURS_PER_YEAR
    assert r.dry_bulb_c[100] == pytest.approx(0.5 * (w.dry_bulb_c[99] + w.dry_bulb_c[101]),
                                              abs=0.1)
    assert r.pressure_pa[100] == pytest.approx(w.pressure_pa[100], abs=1.0)


@pytest.mark.parametrize("mutate,needle", [
    (lambda ls: ["NOT AN EPW"] + ls[1:], "LOCATION"),
    (lambda ls: ls[:-5], "8760 hourly rows"),
    (lambda ls: ls[:20] + [ls[20].replace(ls[20].split(",")[6], "hot", 1)] + ls[21:],
     "line 21"),
])
def test_bad_epw_gives_input_error(tmp_path: Path, mutate: object, needle: str) -> None:
    f = tmp_path / "bad.epw"
    write_epw(f, _analytic_year())
    lines = f.read_text().splitlines()
    f.write_text("\n".join(mutate(lines)) + "\n")  # type: ignore[operator]
    with pytest.raises(InputError, match=needle.replace("8760", "8760")):
        read_epw(f)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such weather file"):
        read_epw(tmp_path / "nope.epw")


@pytest.mark.parametrize("climate", [PHOENIX, OSLO])
def test_synthesized_year_hits_design_and_normals(climate: object) -> None:
    from flatbed.catalog.records import Climate
    assert isinstance(climate, Climate)
    w = synthesize_year(climate, seed=0)
    assert w.synthesized and "synthesized" in w.source
    # The 35th hottest hour (0.4 % of 8,760 h) is the 0.4 % design dry-bulb.
    assert w.design_db_c() == pytest.approx(climate.design_db_004_c, abs=0.05)
    # Monthly mean daily max/min come back within 1.5 K of the normals.
    days = w.dry_bulb_c.reshape(365, 24)
    month = np.repeat(np.arange(12), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31))
    for m in range(12):
        assert days[month == m].max(axis=1).mean() == pytest.approx(
            climate.monthly_mean_max_c[m], abs=1.5)
        assert days[month == m].min(axis=1).mean() == pytest.approx(
            climate.monthly_mean_min_c[m], abs=1.5)
    assert np.all(w.dew_point_c <= w.dry_bulb_c) and np.all(w.wet_bulb_c <= w.dry_bulb_c + 1e-9)


def test_synthesis_is_deterministic_per_seed() -> None:
    a, b, c = synthesize_year(PHOENIX, 0), synthesize_year(PHOENIX, 0), synthesize_year(PHOENIX, 1)
    assert np.array_equal(a.dry_bulb_c, b.dry_bulb_c)
    assert not np.array_equal(a.dry_bulb_c, c.dry_bulb_c)
    assert c.design_db_c() == pytest.approx(PHOENIX.design_db_004_c, abs=0.05)


def test_diurnal_curve_hits_min_and_max_at_their_hours() -> None:
    tmin = np.full(365, 10.0)
    tmax = np.full(365, 20.0)
    h = diurnal_hourly_c(tmin, tmax).reshape(365, 24)
    assert h.min() >= 10.0 - 1e-9 and h.max() <= 20.0 + 1e-9
    assert int(np.argmin(h[100])) in (4, 5) and int(np.argmax(h[100])) in (14, 15)


def test_hottest_week_is_in_summer() -> None:
    w = synthesize_year(PHOENIX)
    start = w.hottest_week_start()
    assert 150 * 24 <= start <= 240 * 24


def test_gzip_epw_round_trips(tmp_path: Path) -> None:
    w = _analytic_year()
    f = tmp_path / "t.epw.gz"
    write_epw(f, w)
    assert f.read_bytes()[:2] == b"\x1f\x8b"
    assert np.max(np.abs(read_epw(f).dry_bulb_c - w.dry_bulb_c)) <= 0.05 + 1e-9


def test_shipped_measured_years_read_and_are_labelled() -> None:
    from flatbed.facility.weather import MEASURED_YEARS, measured_year, weather_for_climate
    for cid in MEASURED_YEARS:
        w = measured_year(cid)
        assert w is not None and not w.synthesized and "TMY3" in w.source
        assert w.dry_bulb_c.shape == (HOURS_PER_YEAR,)
    gso = measured_year("greensboro")
    assert gso is not None
    # Greensboro TMY3: ASHRAE 0.4 % design dry-bulb for GSO is ≈ 33–34 °C; the typical year's
    # 35th hottest hour lands close to it.
    assert 31.0 < gso.design_db_c() < 35.5
    assert gso.elevation_m == 273.0
    assert measured_year("phoenix") is None
    fake = PHOENIX.model_copy(update={"id": "greensboro"})
    assert not weather_for_climate(fake).synthesized
    assert weather_for_climate(fake, prefer_measured=False).synthesized


def test_synthesizer_against_measured_greensboro_year() -> None:
    # Validation of the synthesis method: from the same monthly statistics and design value, the
    # synthesized year must reproduce the measured TMY3 year's warm-hour counts (what drives
    # economizer hours and throttling) within 15 %.
    from flatbed.catalog import builtin_catalog
    from flatbed.catalog.records import Climate
    from flatbed.facility.weather import measured_year
    cat = builtin_catalog()
    assert cat.has("climates", "greensboro")
    measured = measured_year("greensboro")
    assert measured is not None
    synth = synthesize_year(cat.get("climates", "greensboro", Climate))
    assert synth.dry_bulb_c.mean() == pytest.approx(measured.dry_bulb_c.mean(), abs=0.5)
    for threshold in (20.0, 25.0, 27.0):
        n_m = int((measured.dry_bulb_c > threshold).sum())
        n_s = int((synth.dry_bulb_c > threshold).sum())
        assert n_s == pytest.approx(n_m, rel=0.15), threshold
