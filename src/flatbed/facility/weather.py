"""Hourly weather years: an EPW reader/writer and a synthesizer from monthly climate normals.

EPW is the EnergyPlus weather format (EnergyPlus "Auxiliary Programs", ch. 2.9 "EnergyPlus
Weather File (EPW) Data Dictionary"): 8 header lines (LOCATION, DESIGN CONDITIONS,
TYPICAL/EXTREME PERIODS, GROUND TEMPERATURES, HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2,
DATA PERIODS) then one comma-separated row per hour with 35 fields; field 7 is dry-bulb [°C],
8 dew point [°C], 9 relative humidity [%], 10 station pressure [Pa]. Missing values are 99.9
(temperatures), 999 (RH) and 999999 (pressure).

A synthesized year is labelled ``synthesized=True`` and says so in ``source``; reports must show
that label.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from flatbed.catalog.records import Climate
from flatbed.errors import InputError
from flatbed.facility.psychro import (
    FloatArray,
    dew_point_c,
    pressure_pa_at_elevation,
    relative_humidity_pct,
    wet_bulb_c,
)

HOURS_PER_YEAR = 8760
DAYS_PER_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
DESIGN_HOUR_RANK = 35
"""The 0.4 % design dry-bulb is exceeded 0.4 % of 8,760 h = 35 h per year (ASHRAE Fundamentals
2017 ch. 14, "Design conditions"): the 35th hottest hour."""


def _frozen(a: FloatArray) -> FloatArray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class WeatherYear:
    """One hourly year (8,760 values per series, hour 0 = 1 Jan 00:00–01:00 local standard time).

    Attributes
    ----------
    dry_bulb_c, dew_point_c, rh_pct, pressure_pa, wet_bulb_c : ndarray
        Hourly dry-bulb [°C], dew point [°C], relative humidity [%], station pressure [Pa] and
        thermodynamic wet-bulb [°C] (computed, ASHRAE psychrometrics).
    elevation_m, latitude, longitude : float
        Site of the record.
    source : str
        Where the year comes from (file and station, or the normals it was synthesized from).
    synthesized : bool
        True when built from monthly normals rather than measured/typical hourly data.
    """

    dry_bulb_c: FloatArray
    dew_point_c: FloatArray
    rh_pct: FloatArray
    pressure_pa: FloatArray
    wet_bulb_c: FloatArray
    elevation_m: float
    latitude: float
    longitude: float
    source: str
    synthesized: bool
    name: str = ""
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_arrays(
        cls,
        dry_bulb_c: FloatArray,
        dew_point_c: FloatArray,
        *,
        elevation_m: float,
        source: str,
        synthesized: bool,
        pressure_pa: FloatArray | None = None,
        latitude: float = 0.0,
        longitude: float = 0.0,
        name: str = "",
        notes: tuple[str, ...] = (),
    ) -> WeatherYear:
        """Build a year from dry-bulb and dew point; RH and wet-bulb are derived."""
        db = np.asarray(dry_bulb_c, dtype=np.float64)
        if db.shape != (HOURS_PER_YEAR,):
            raise ValueError(f"a weather year needs {HOURS_PER_YEAR} hourly values, got {db.shape}")
        dp = np.minimum(np.asarray(dew_point_c, dtype=np.float64), db)
        p = (np.full(HOURS_PER_YEAR, float(pressure_pa_at_elevation(elevation_m)))
             if pressure_pa is None else np.asarray(pressure_pa, dtype=np.float64))
        return cls(
            dry_bulb_c=_frozen(db),
            dew_point_c=_frozen(dp),
            rh_pct=_frozen(relative_humidity_pct(db, dp)),
            pressure_pa=_frozen(p),
            wet_bulb_c=_frozen(wet_bulb_c(db, dp, p)),
            elevation_m=float(elevation_m),
            latitude=float(latitude),
            longitude=float(longitude),
            source=source,
            synthesized=synthesized,
            name=name,
            notes=notes,
        )

    def design_db_c(self, exceed_hours: int = DESIGN_HOUR_RANK) -> float:
        """Dry-bulb exceeded ``exceed_hours`` hours a year (35 h → the 0.4 % design value)."""
        return float(np.sort(self.dry_bulb_c)[-exceed_hours])

    def hottest_week_start(self) -> int:
        """First hour of the 168-hour window with the highest mean dry-bulb."""
        c = np.concatenate(([0.0], np.cumsum(self.dry_bulb_c)))
        week = c[168:] - c[:-168]
        return int(np.argmax(week))


# ---------------------------------------------------------------------------------------------
# EPW


def _num(text: str, origin: str, line: int, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{origin}: line {line}: {what} is not a number: {text!r}") from None


def _fill_missing(x: FloatArray, missing: np.ndarray) -> FloatArray:
    """Linear interpolation over missing hours (periodic over the year)."""
    if not missing.any():
        return x
    if missing.all():
        return x
    idx = np.arange(x.size)
    good = ~missing
    out = x.copy()
    out[missing] = np.interp(idx[missing], idx[good], x[good], period=x.size)
    return out


def read_epw(path: str | Path) -> WeatherYear:
    """Read an EPW weather file into a :class:`WeatherYear`.

    A ``.gz`` suffix is read as gzip-compressed EPW. Leap-year files (8,784 rows) drop
    29 February. Missing dry-bulb/dew-point/pressure values are interpolated; a missing dew point
    with a present RH is computed from RH. Raises :class:`~flatbed.errors.InputError` naming the
    file and line for any malformed content.
    """
    p = Path(path)
    origin = str(p)
    try:
        raw = p.read_bytes()
        if p.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{origin}: no such weather file") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{origin}: cannot read weather file: {exc}") from None
    lines = text.splitlines()
    if len(lines) < 9 or not lines[0].upper().startswith("LOCATION"):
        raise InputError(
            f"{origin}: not an EPW file: the first line must start with 'LOCATION' and 8 header "
            "lines must precede the hourly data"
        )
    loc = [s.strip() for s in lines[0].split(",")]
    if len(loc) < 10:
        raise InputError(f"{origin}: line 1: LOCATION needs 10 fields (city, state, country, "
                         "source, WMO, latitude, longitude, time zone, elevation)")
    lat = _num(loc[6], origin, 1, "latitude")
    lon = _num(loc[7], origin, 1, "longitude")
    elev = _num(loc[9], origin, 1, "elevation")
    rows = [ln for ln in lines[8:] if ln.strip()]
    if len(rows) not in (HOURS_PER_YEAR, HOURS_PER_YEAR + 24):
        raise InputError(
            f"{origin}: expected {HOURS_PER_YEAR} hourly rows (or 8,784 for a leap year) after the "
            f"8 header lines, found {len(rows)}"
        )
    db = np.empty(len(rows))
    dp = np.empty(len(rows))
    rh = np.empty(len(rows))
    pa = np.empty(len(rows))
    keep = np.ones(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        f = row.split(",")
        ln = i + 9
        if len(f) < 10:
            raise InputError(f"{origin}: line {ln}: expected at least 10 comma-separated fields "
                             f"(year … pressure), found {len(f)}")
        month = _num(f[1], origin, ln, "month")
        day = _num(f[2], origin, ln, "day")
        if month == 2 and day == 29:
            keep[i] = False
        db[i] = _num(f[6], origin, ln, "dry-bulb temperature")
        dp[i] = _num(f[7], origin, ln, "dew point")
        rh[i] = _num(f[8], origin, ln, "relative humidity")
        pa[i] = _num(f[9], origin, ln, "pressure")
    db, dp, rh, pa = db[keep], dp[keep], rh[keep], pa[keep]
    if db.size != HOURS_PER_YEAR:
        raise InputError(f"{origin}: after dropping 29 February, {db.size} rows remain; "
                         f"expected {HOURS_PER_YEAR}")
    miss_db = db >= 99.9
    if miss_db.mean() > 0.1:
        raise InputError(f"{origin}: {int(miss_db.sum())} hours have no dry-bulb temperature "
                         "(99.9); too many to fill")
    db = _fill_missing(db, miss_db)
    miss_dp = dp >= 99.9
    rh_ok = rh <= 100.0
    dp = np.where(miss_dp & rh_ok, dew_point_c(db, np.where(rh_ok, rh, 50.0)), dp)
    dp = _fill_missing(dp, dp >= 99.9)
    if (dp >= 99.9).all():
        raise InputError(f"{origin}: no usable dew point or relative humidity values")
    miss_p = (pa >= 999_999) | (pa <= 0)
    pa = np.where(miss_p.all(), float(pressure_pa_at_elevation(elev)), _fill_missing(pa, miss_p))
    city = loc[1] or p.stem
    src = f"EPW file {p.name}: {city}, {loc[3]} (data source {loc[4] or 'n/a'}, WMO {loc[5]})"
    # Years flatbed synthesized keep their label through an EPW round trip (COMMENTS 2 marker).
    synthesized = lines[6].replace(" ", "").lower().startswith("comments2,synthesized=true")
    if synthesized:
        src = f"{lines[5].partition(',')[2].strip()} (via EPW file {p.name})"
    return WeatherYear.from_arrays(
        db, dp, elevation_m=elev, pressure_pa=pa, source=src, synthesized=synthesized,
        latitude=lat, longitude=lon, name=city,
    )


def write_epw(path: str | Path, weather: WeatherYear, *, year: int = 2023,
              city: str | None = None, country: str = "XXX", data_source: str = "flatbed",
              wmo: str = "000000", time_zone_h: float = 0.0) -> None:
    """Write ``weather`` as a minimal valid EPW file (tests' round trips; shipped data years).

    Fields other than dry-bulb, dew point, RH and pressure are written as EPW "missing" codes; a
    ``.gz`` suffix writes gzip (deterministic: no timestamp).
    """
    name = (city or weather.name or "flatbed").replace(",", " ")
    header = [
        f"LOCATION,{name},-,{country},{data_source},{wmo},{weather.latitude:.3f},"
        f"{weather.longitude:.3f},{time_zone_h:.1f},{weather.elevation_m:.1f}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        f"COMMENTS 1,{weather.source.replace(',', ';')}",
        f"COMMENTS 2,synthesized={weather.synthesized}",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    # Fields 11..35 as EPW missing codes (data dictionary, EnergyPlus Auxiliary Programs 2.9).
    tail = ("9999,9999,9999,9999,9999,9999,999999,999999,999999,9999,999,999,99,99,9999,99999,"
            "9,999999999,999,.999,999,99,999,999,99")
    out = header
    h = 0
    for m, ndays in enumerate(DAYS_PER_MONTH, start=1):
        for d in range(1, ndays + 1):
            for hr in range(1, 25):
                out.append(
                    f"{year},{m},{d},{hr},60,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9,"
                    f"{weather.dry_bulb_c[h]:.1f},{weather.dew_point_c[h]:.1f},"
                    f"{round(float(weather.rh_pct[h]))},{round(float(weather.pressure_pa[h]))},"
                    f"{tail}"
                )
                h += 1
    data = ("\n".join(out) + "\n").encode("utf-8")
    p = Path(path)
    p.write_bytes(gzip.compress(data, mtime=0) if p.suffix == ".gz" else data)


# ---------------------------------------------------------------------------------------------
# Synthesis from monthly normals

T_MIN_HOUR = 5.0
"""Hour of the daily minimum (≈ sunrise); ASHRAE Fundamentals 2017 ch. 14 Table 6 (fraction of
daily range) puts the minimum at 05:00–06:00 and the maximum at 14:00–15:00 solar time."""
T_MAX_HOUR = 15.0
DAY_TO_DAY_LAG1 = 0.7
"""Lag-1 autocorrelation of daily temperature anomalies [-]. Labelled estimate: mid-latitude
day-to-day persistence of daily mean temperature anomalies is typically 0.6–0.8; only the
clustering of hot days depends on it, the 0.4 % level is calibrated regardless."""
MAX_ANOMALY_SD_C = 15.0
"""Upper bound of the search for the daily-anomaly standard deviation that hits a climate's 0.4 %
design dry-bulb [K]: a bisection bound, not a model parameter (fitted values are a few K)."""


def _month_of_day() -> np.ndarray:
    return np.repeat(np.arange(12), DAYS_PER_MONTH)


def _monthly_means(daily: FloatArray) -> FloatArray:
    idx = _month_of_day()
    return np.asarray(np.bincount(idx, weights=daily, minlength=12) / np.asarray(DAYS_PER_MONTH),
                      dtype=np.float64)


def _daily_normals(monthly: tuple[float, ...]) -> FloatArray:
    """365 daily values whose monthly means equal the 12 ``monthly`` means.

    Periodic linear interpolation between mid-month knots; the knots are adjusted by fixed-point
    iteration so that interpolation does not flatten the monthly means (peaks stay peaks).
    """
    target = np.asarray(monthly, dtype=np.float64)
    knots = target.copy()
    for _ in range(30):
        knots = knots + (target - _monthly_means(_interp_knots(knots)))
    return _interp_knots(knots)


def _interp_knots(knots: FloatArray) -> FloatArray:
    starts = np.concatenate(([0], np.cumsum(DAYS_PER_MONTH)[:-1]))
    mids = starts + np.asarray(DAYS_PER_MONTH) / 2.0
    days = np.arange(365) + 0.5
    monthly = knots
    return np.asarray(np.interp(days, mids, np.asarray(monthly, dtype=np.float64), period=365.0),
                      dtype=np.float64)


def diurnal_hourly_c(daily_min_c: FloatArray, daily_max_c: FloatArray) -> FloatArray:
    """Hourly temperature [°C] from daily minima and maxima (365 each) by half-cosine segments.

    The curve rises from each day's minimum at 05:00 to its maximum at 15:00 and falls to the next
    day's minimum, a cosine between knots (a sine-shaped diurnal cycle as in the WAVE model of
    Parton & Logan 1981, with the ASHRAE design-day timing of min and max). Periodic over the year.
    """
    n = daily_min_c.size
    t_min = np.arange(n) * 24.0 + T_MIN_HOUR
    t_max = np.arange(n) * 24.0 + T_MAX_HOUR
    knots_t = np.empty(2 * n + 2)
    knots_v = np.empty(2 * n + 2)
    knots_t[1:-1:2] = t_min
    knots_t[2:-1:2] = t_max
    knots_v[1:-1:2] = daily_min_c
    knots_v[2:-1:2] = daily_max_c
    knots_t[0], knots_v[0] = t_max[-1] - 24.0 * n, daily_max_c[-1]
    knots_t[-1], knots_v[-1] = t_min[0] + 24.0 * n, daily_min_c[0]
    hours = np.arange(n * 24, dtype=np.float64) + 0.5
    i = np.searchsorted(knots_t, hours, side="right") - 1
    frac = (hours - knots_t[i]) / (knots_t[i + 1] - knots_t[i])
    w = 0.5 * (1.0 - np.cos(np.pi * frac))
    return np.asarray(knots_v[i] + (knots_v[i + 1] - knots_v[i]) * w, dtype=np.float64)


def _ar1(n: int, phi: float, rng: np.random.Generator) -> FloatArray:
    e = rng.standard_normal(n)
    a = np.empty(n)
    a[0] = e[0]
    s = math.sqrt(1.0 - phi * phi)
    for k in range(1, n):
        a[k] = phi * a[k - 1] + s * e[k]
    return a


def synthesize_year(climate: Climate, seed: int = 0) -> WeatherYear:
    """An hourly year synthesized from a climate's monthly normals and 0.4 % design dry-bulb.

    Method: daily normal max/min by mean-preserving periodic interpolation of the 12 monthly
    means; a daily anomaly (AR(1), lag-1 correlation :data:`DAY_TO_DAY_LAG1`, zero mean in each
    month, the same shift for the day's max and min) whose standard deviation is found by
    bisection so that the 35th hottest hour (0.4 % of 8,760 h) equals
    ``climate.design_db_004_c``; hourly values by :func:`diurnal_hourly_c`. The dew point follows
    the monthly mean dew point (from monthly mean temperature and RH), held constant through each
    day and capped at the dry-bulb. Pressure is the standard atmosphere at the climate's
    elevation. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    anomaly = _ar1(365, DAY_TO_DAY_LAG1, rng)
    # Zero mean within each month (monthly normals are kept), unit standard deviation overall.
    anomaly = anomaly - _monthly_means(anomaly)[_month_of_day()]
    anomaly = anomaly / anomaly.std()
    nmax = _daily_normals(climate.monthly_mean_max_c)
    nmin = _daily_normals(climate.monthly_mean_min_c)
    nmin = np.minimum(nmin, nmax)
    target = climate.design_db_004_c

    def year(sd: float) -> FloatArray:
        return diurnal_hourly_c(nmin + sd * anomaly, nmax + sd * anomaly)

    def design(sd: float) -> float:
        return float(np.sort(year(sd))[-DESIGN_HOUR_RANK])

    notes: list[str] = []
    lo, hi = 0.0, MAX_ANOMALY_SD_C
    if design(lo) >= target:
        sd = 0.0
        notes.append(
            f"monthly normals alone exceed the 0.4% design dry-bulb ({design(0.0):.1f} vs "
            f"{target:.1f} °C); no day-to-day variation added"
        )
    elif design(hi) <= target:
        sd = hi
        notes.append(f"could not reach the 0.4% design dry-bulb {target:.1f} °C")
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if design(mid) < target:
                lo = mid
            else:
                hi = mid
        sd = 0.5 * (lo + hi)
    db = year(sd)
    tmean = 0.5 * (np.asarray(climate.monthly_mean_max_c) + np.asarray(climate.monthly_mean_min_c))
    td_month = dew_point_c(tmean, np.asarray(climate.monthly_rh_pct))
    td_daily = _daily_normals(tuple(float(x) for x in td_month))
    dp = np.minimum(np.repeat(td_daily, 24), db)
    notes.append(f"day-to-day anomaly standard deviation {sd:.2f} K")
    return WeatherYear.from_arrays(
        db, dp, elevation_m=climate.elevation_m,
        source=(f"synthesized from {climate.name or climate.id} monthly normals and 0.4% design "
                f"dry-bulb {target:.1f} °C (seed {seed}; normals: {climate.source})"),
        synthesized=True, latitude=climate.latitude, longitude=climate.longitude,
        name=climate.name or climate.id, notes=tuple(notes),
    )


MEASURED_YEARS: dict[str, tuple[str, str]] = {
    "greensboro": ("greensboro.epw.gz",
                   "NREL TMY3 station 723170 Greensboro Piedmont Triad Intl, NC (NSRDB 1991–2005 "
                   "update; US DOE/NREL), via pvlib-python 0.16.1 package data"),
    "sand-point": ("sand-point.epw.gz",
                   "NREL TMY3 station 703165 Sand Point, AK (NSRDB 1991–2005 update; US DOE/NREL), "
                   "via pvlib-python 0.16.1 package data"),
}
"""Climate id → shipped measured (typical) year under ``facility/data`` and its attribution."""


def measured_year(climate_id: str) -> WeatherYear | None:
    """The shipped measured hourly year for ``climate_id``, or None when there is none."""
    entry = MEASURED_YEARS.get(climate_id.lower())
    if entry is None:
        return None
    res = resources.files("flatbed.facility") / "data" / entry[0]
    with resources.as_file(res) as path:
        w = read_epw(path)
    return replace(w, source=entry[1])


@lru_cache(maxsize=64)
def _cached_year(climate_json: str, seed: int, prefer_measured: bool) -> WeatherYear:
    climate = Climate.model_validate_json(climate_json)
    if prefer_measured:
        for name in (climate.id, *climate.aliases):
            w = measured_year(name)
            if w is not None:
                return w
    return synthesize_year(climate, seed)


def weather_for_climate(climate: Climate, seed: int = 0, prefer_measured: bool = True
                        ) -> WeatherYear:
    """The built-in hourly year for a reference climate (cached per climate).

    A shipped measured year (:data:`MEASURED_YEARS`) when one exists and ``prefer_measured``;
    otherwise a year synthesized from the climate's normals (labelled ``synthesized``).
    """
    return _cached_year(climate.model_dump_json(), seed, prefer_measured)
