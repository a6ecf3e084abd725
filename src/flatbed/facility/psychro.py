"""Moist-air psychrometrics and the standard atmosphere (vectorized, SI units).

Equations are from ASHRAE Handbook—Fundamentals (2017), chapter 1 "Psychrometrics" (equation
numbers below), except the saturation pressure, which uses the Magnus form with the coefficients of
Alduchov & Eskridge (1996), "Improved Magnus form approximation of saturation vapor pressure",
J. Appl. Meteor. 35, 601–609 (error < 0.4 % over −40…50 °C against Wexler).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

SEA_LEVEL_PRESSURE_PA = 101_325.0
"""Standard atmosphere at sea level [Pa] (ASHRAE Fundamentals 2017 ch. 1, Table 1)."""

R_DRY_AIR_J_PER_KG_K = 287.042
"""Gas constant of dry air [J/(kg·K)] (ASHRAE Fundamentals 2017 ch. 1, eq. 1 notes)."""

_MAGNUS_A_PA = 610.94
_MAGNUS_B = 17.625
_MAGNUS_C_C = 243.04


def pressure_pa_at_elevation(elevation_m: ArrayLike) -> FloatArray:
    """Standard-atmosphere barometric pressure [Pa] at ``elevation_m`` [m].

    ASHRAE Fundamentals 2017 ch. 1 eq. (3): p = 101.325 (1 − 2.25577e−5 Z)^5.2559 kPa.
    """
    z = np.asarray(elevation_m, dtype=np.float64)
    return SEA_LEVEL_PRESSURE_PA * np.power(1.0 - 2.25577e-5 * z, 5.2559)


def density_ratio_at_elevation(elevation_m: ArrayLike) -> FloatArray:
    """Air density at ``elevation_m`` relative to sea level at the same temperature [-].

    For an ideal gas at equal temperature the density ratio is the pressure ratio (eq. 3 above).
    Matches the altitude table of Inres "Data Heat Load" (0.93 at 2,000 ft … 0.69 at 10,000 ft;
    research notes §3c).
    """
    return pressure_pa_at_elevation(elevation_m) / SEA_LEVEL_PRESSURE_PA


def air_density_kg_per_m3(pressure_pa: ArrayLike, dry_bulb_c: ArrayLike) -> FloatArray:
    """Dry-air density [kg/m³] from the ideal-gas law ρ = p / (R_da · T) (ASHRAE eq. 28, W = 0)."""
    p = np.asarray(pressure_pa, dtype=np.float64)
    t = np.asarray(dry_bulb_c, dtype=np.float64)
    return p / (R_DRY_AIR_J_PER_KG_K * (t + 273.15))


def saturation_vapor_pressure_pa(temp_c: ArrayLike) -> FloatArray:
    """Saturation vapour pressure over water [Pa] (Magnus, Alduchov & Eskridge 1996)."""
    t = np.asarray(temp_c, dtype=np.float64)
    return _MAGNUS_A_PA * np.exp(_MAGNUS_B * t / (t + _MAGNUS_C_C))


def dew_point_c(dry_bulb_c: ArrayLike, rh_pct: ArrayLike) -> FloatArray:
    """Dew point [°C] from dry-bulb [°C] and relative humidity [%] (inverse Magnus form)."""
    t = np.asarray(dry_bulb_c, dtype=np.float64)
    rh = np.clip(np.asarray(rh_pct, dtype=np.float64), 0.1, 100.0)
    g = np.log(rh / 100.0) + _MAGNUS_B * t / (_MAGNUS_C_C + t)
    return _MAGNUS_C_C * g / (_MAGNUS_B - g)


def relative_humidity_pct(dry_bulb_c: ArrayLike, dew_point_c: ArrayLike) -> FloatArray:
    """Relative humidity [%] from dry-bulb and dew point [°C] (ratio of Magnus pressures)."""
    rh = 100.0 * saturation_vapor_pressure_pa(dew_point_c) / saturation_vapor_pressure_pa(
        dry_bulb_c)
    return np.clip(rh, 0.0, 100.0)


def humidity_ratio(vapor_pressure_pa: ArrayLike, pressure_pa: ArrayLike) -> FloatArray:
    """Humidity ratio W [kg water / kg dry air] (ASHRAE Fundamentals 2017 ch. 1 eq. 20)."""
    pw = np.asarray(vapor_pressure_pa, dtype=np.float64)
    p = np.asarray(pressure_pa, dtype=np.float64)
    return 0.621945 * pw / (p - pw)


def wet_bulb_c(
    dry_bulb_c: ArrayLike, dew_point_c: ArrayLike, pressure_pa: ArrayLike, iterations: int = 40
) -> FloatArray:
    """Thermodynamic wet-bulb temperature [°C], solved by vectorized bisection.

    Solves ASHRAE Fundamentals 2017 ch. 1 eq. (33) for t* such that the humidity ratio of the air
    equals W(t, t*), bracketed between the dew point and the dry bulb. Below 0 °C the same
    (liquid-water) equation is used rather than the ice form, eq. (35), so that the result is
    continuous; the difference is a few tenths of a kelvin and irrelevant to cooling.
    ``iterations`` bisection steps narrow the bracket to 2^-iterations of the wet-bulb depression
    (40 steps: far below 1e-6 K).
    """
    t = np.asarray(dry_bulb_c, dtype=np.float64)
    td = np.minimum(np.asarray(dew_point_c, dtype=np.float64), t)
    p = np.broadcast_to(np.asarray(pressure_pa, dtype=np.float64), np.broadcast(t, td).shape)
    t, td = np.broadcast_arrays(t, td)
    w = humidity_ratio(saturation_vapor_pressure_pa(td), p)
    lo = td.copy()
    hi = t.copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        ws = humidity_ratio(saturation_vapor_pressure_pa(mid), p)
        w_mid = ((2501.0 - 2.326 * mid) * ws - 1.006 * (t - mid)) / (
            2501.0 + 1.86 * t - 4.186 * mid)
        # W(t*) increases with t*: too high a guess gives more water than the air holds.
        too_high = w_mid > w
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)


def wet_bulb_stull_c(dry_bulb_c: ArrayLike, rh_pct: ArrayLike) -> FloatArray:
    """Stull (2011) empirical wet-bulb [°C] at sea-level pressure, for cross-checks only.

    R. Stull, "Wet-bulb temperature from relative humidity and air temperature", J. Appl. Meteor.
    Climatol. 50, 2267–2269 (2011); within about ±1 K for RH 5–99 %, −20…50 °C.
    """
    t = np.asarray(dry_bulb_c, dtype=np.float64)
    rh = np.asarray(rh_pct, dtype=np.float64)
    return np.asarray(
        t * np.arctan(0.151977 * np.sqrt(rh + 8.313659))
        + np.arctan(t + rh)
        - np.arctan(rh - 1.676331)
        + 0.00391838 * rh**1.5 * np.arctan(0.023101 * rh)
        - 4.686035,
        dtype=np.float64,
    )
