"""Sensitivity (tornado) and Monte Carlo over the TCO inputs, vectorized.

Both evaluate :func:`flatbed.economics.tco.tco_usd` once on arrays of inputs: the tornado on
``2 n`` one-at-a-time cases, the Monte Carlo on all samples at once. Cloud options are evaluated
with :func:`flatbed.economics.cloud.cloud_tco_usd` on the same samples of the shared inputs
(discount rate and load), so ``P(edge cheaper)`` compares like with like.

Plausible ranges (:func:`default_ranges`; each is a multiplier on the site's base value or an
absolute range, always widened to contain the base value):

==============================  ==============  ================================================
input                           range           source / derivation
==============================  ==============  ================================================
server and network price        x0.80 – x1.20   H100 street $25–30k vs $30k MSRP (catalog §1,
                                                R1/R7/R8) and price moves between quotes [est]
module, cooling, power capex    x0.75 – x1.35   Duos $3.4–4.3k/kW vs ECL $7M/MW per MW of IT
                                                (modular_dc_products.md §2) [est spread]
one-time (transport, site,      x0.70 – x1.50   estimates in CapexAssumptions; wide [est]
install)
load vs plan (utilization)      x0.50 – x1.20   demand forecasts for new inference services
                                                miss by tens of percent [est]
energy and fuel price           x0.80 – x1.50   US industrial $0.082–0.093/kWh vs EU €0.19
                                                (catalog §6e, R55/R56); diesel $3.43–3.66/gal
                                                (R58)
hardware life                   3 – 7 yr        Amazon 5 yr, Microsoft/Alphabet 6 yr (10-Ks);
                                                3 yr for fast-moving GPU generations [est]
discount rate                   4 – 12 %/yr     corporate real WACC spread [est]
maintenance share               2 – 8 %/yr      of equipment capex [est]
staff, connectivity, lease      x0.50 – x1.50   remote-hands contracts vary by region [est]
insurance share                 0.5 – 2 %/yr    of equipment capex [est]
facility life                   10 – 20 yr      UPS/chiller service lives (opex.py) [est]
cloud price                     x0.70 – x1.10   AWS cut P5 on-demand up to 45 % in June 2025
                                                (catalog R74); prices trend down [est]
throughput vs performance       by workload     delivered ÷ predicted throughput, P10–P90 of
model                           mix (below)     rows the model was not fitted on
GPU power in LLM decode         by decode       decode at 0.36 of the GPU's idle-to-TDP range
                                energy share    (served, H200) up to the TDP the facility stage
                                (below)         counts; lowers energy only
==============================  ==============  ================================================

The throughput input is the performance model's own error (:func:`throughput_range`): the
hardware a workload needs scales with ``1 / (delivered ÷ predicted throughput)``, so it scales
the edge equipment, energy and support (:func:`scale_edge`) and the GPU hours of cloud GPU
rentals, which are sized with the same model; per-token API prices are unaffected.

The facility stage counts a busy GPU at its TDP in every phase, an upper bound for memory-bound
LLM decode (:func:`decode_power_range`): the site's energy and fuel scale by
``1 − D·(1 − a)`` for the share ``D`` of its energy that is LLM decode on the GPUs, with
``a`` from :data:`DECODE_POWER_ACTIVITY_LOW` up to 1.

Monte Carlo distributions are triangular (low, mode = base, high), independent, sampled with
``numpy.random.default_rng(seed)`` so a seed reproduces the result exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from flatbed.economics.cloud import CloudOption, cloud_tco_usd
from flatbed.economics.finance import FloatArray, Num
from flatbed.economics.tco import TcoInputs, tco_usd

__all__ = [
    "InputRange",
    "MonteCarloResult",
    "decode_power_range",
    "default_ranges",
    "monte_carlo",
    "scale_edge",
    "throughput_range",
    "tornado",
]

CLOUD_PRICE = "cloud_price_scale"
THROUGHPUT = "throughput_vs_model"
"""Pseudo-field of the input "throughput vs performance model" (delivered ÷ predicted)."""

LLM_THROUGHPUT_P10_P90 = (0.77, 1.55)
"""Delivered ÷ predicted output throughput of LLM serving, P10 and P90 over the Hopper rows of the
serving sample when each model family is held out of the coefficient fit in turn
(``benchmarks/bench_perf_generalization.py``, ``benchmarks/RESULTS.md``, 2026-11-26)."""
VISION_THROUGHPUT_P10_P90 = (0.79, 1.53)
"""Measured ÷ predicted MLPerf Offline throughput of the non-LLM benchmarks, P10 and P90 over
398 rows (``benchmarks/bench_perf_generalization.py``, which runs ``flatbed validate`` on
``mlperf_results.csv``; 2026-11-26, after the fitted clock-power exponent; in-sample for the
Hopper task coefficients, so if anything narrow)."""


DECODE_POWER_ACTIVITY_LOW = 0.36
"""Lowest GPU power in LLM decode, as a fraction of the idle-to-TDP range [-]: whole served
decode steps on an H200 drew 137–300 W of 700 W across four attention architectures (Ma, Afzal,
Eitzinger & Wellein, "The Illusion of Power Capping in LLM Decode", arXiv:2605.11999, 2026);
300 W is (300 − 79)/(700 − 79) = 0.36 with the 79 W idle measured on an H200
(``benchmarks/device/h200_phase_power_2026-11-26.json``). Splitwise (Patel et al., ISCA 2024,
Fig. 7) measured 60–75 % of TDP for the token phase on DGX-H100 at larger batches, inside the
range."""


def decode_power_range(decode_energy_share: float) -> InputRange | None:
    """GPU power in LLM decode as an uncertain input, for a site where ``decode_energy_share``
    of the energy is LLM decode drawn at TDP by the facility stage [-]. The energy, fuel and gas
    scale from ``1 − D·(1 − a_low)`` up to 1 (the base); ``None`` when there is no decode."""
    d = float(np.clip(decode_energy_share, 0.0, 1.0))
    if d <= 0.0:
        return None
    lo = 1.0 - d * (1.0 - DECODE_POWER_ACTIVITY_LOW)
    return InputRange("GPU power in LLM decode",
                      ("energy_kwh_per_year", "fuel_l_per_year", "gas_m3_per_year"), lo, 1.0,
                      "scale", "served decode 137–300 W of 700 W on H200 (Ma et al. 2026) up "
                      "to TDP; see flatbed.economics.uncertainty")


def throughput_range(llm_share: float, vision_share: float) -> InputRange:
    """The performance model's error as an uncertain input, for a site whose edge GPUs go
    ``llm_share`` to LLM and ``vision_share`` to vision workloads (shares of the GPUs, summing to
    1 or less; the rest is taken as certain). The low and high ends are share-weighted P10 and
    P90 of :data:`LLM_THROUGHPUT_P10_P90` and :data:`VISION_THROUGHPUT_P10_P90`."""
    lo = 1.0 - llm_share * (1.0 - LLM_THROUGHPUT_P10_P90[0]) \
        - vision_share * (1.0 - VISION_THROUGHPUT_P10_P90[0])
    hi = 1.0 + llm_share * (LLM_THROUGHPUT_P10_P90[1] - 1.0) \
        + vision_share * (VISION_THROUGHPUT_P10_P90[1] - 1.0)
    return InputRange("throughput vs performance model", (THROUGHPUT,), lo, hi, "scale",
                      "held-out serving-sample and MLPerf rows (benchmarks/RESULTS.md)")


@dataclass(frozen=True)
class InputRange:
    """One uncertain input: which TcoInputs fields it moves, and its low/high."""

    name: str
    fields: tuple[str, ...]
    """TcoInputs fields (or ``cloud_price_scale``) it sets or scales together."""
    low: float
    high: float
    mode: Literal["scale", "absolute"] = "scale"
    source: str = ""


def default_ranges(base: TcoInputs) -> list[InputRange]:
    """The documented plausible ranges (module docstring), widened to contain ``base``."""

    def absolute(name: str, fld: str, lo: float, hi: float, src: str) -> InputRange:
        b = float(np.asarray(getattr(base, fld)))
        return InputRange(name, (fld,), min(lo, b), max(hi, b), "absolute", src)

    return [
        InputRange("server and network price", ("it_capex_usd",), 0.80, 1.20, "scale",
                   "H100 street vs MSRP (catalog R1/R7/R8) [est]"),
        InputRange("module, cooling and power capex", ("facility_capex_usd",), 0.75, 1.35,
                   "scale", "Duos vs ECL per-kW anchors [est]"),
        InputRange("transport, site prep, installation", ("one_time_capex_usd",), 0.70, 1.50,
                   "scale", "CapexAssumptions estimates [est]"),
        InputRange("load vs plan (utilization)", ("load_scale",), 0.50, 1.20, "scale",
                   "demand forecast error [est]"),
        InputRange("energy and fuel price", ("usd_per_kwh", "usd_per_l", "usd_per_m3"), 0.80,
                   1.50, "scale", "EIA/Eurostat electricity, EIA diesel (catalog R55, R56, R58)"),
        absolute("hardware life [yr]", "hardware_life_years", 3.0, 7.0,
                 "Amazon/Microsoft/Alphabet 10-K useful lives [est range]"),
        absolute("discount rate [1/yr]", "discount_rate", 0.04, 0.12, "real WACC spread [est]"),
        absolute("maintenance share [1/yr]", "maintenance_fraction", 0.02, 0.08,
                 "share of equipment capex [est]"),
        InputRange("staff, connectivity, site lease", ("fixed_usd_per_year",), 0.50, 1.50,
                   "scale", "regional spread [est]"),
        absolute("insurance share [1/yr]", "insurance_fraction", 0.005, 0.02,
                 "share of equipment capex [est]"),
        absolute("facility life [yr]", "facility_life_years", 10.0, 20.0,
                 "UPS/chiller service lives [est]"),
    ]


def _apply(base: TcoInputs, values: Mapping[InputRange, FloatArray]) -> TcoInputs:
    changes: dict[str, object] = {}
    for rng, v in values.items():
        for f in rng.fields:
            if f in (CLOUD_PRICE, THROUGHPUT):
                continue
            b = np.asarray(getattr(base, f), dtype=np.float64)
            changes[f] = b * v if rng.mode == "scale" else v
    return base.with_(**changes)


def scale_edge(x: TcoInputs, share: Num) -> TcoInputs:
    """The edge unit cut to ``share`` of its GPUs: equipment, energy and fuel scale; one-time
    items and site-fixed costs (staff, connectivity, lease) stay whole (labelled approximation
    for the hybrid option)."""
    return x.with_(
        it_capex_usd=np.asarray(x.it_capex_usd) * share,
        facility_capex_usd=np.asarray(x.facility_capex_usd) * share,
        energy_kwh_per_year=np.asarray(x.energy_kwh_per_year) * share,
        fuel_l_per_year=np.asarray(x.fuel_l_per_year) * share,
        gas_m3_per_year=np.asarray(x.gas_m3_per_year) * share,
        support_usd_per_year=np.asarray(x.support_usd_per_year) * share,
    )


def tornado(
    base: TcoInputs, ranges: Sequence[InputRange] | None = None, top: int = 8,
) -> list[dict[str, float | str]]:
    """The ``top`` inputs that move the edge TCO most, one at a time across their ranges.

    Returns ``[{input, low_usd, high_usd, low_value, high_value}]`` sorted by swing, where
    ``low_usd``/``high_usd`` are the TCO at the input's low/high value (not deltas).
    """
    given = list(ranges if ranges is not None else default_ranges(base))
    rs = [r for r in given if CLOUD_PRICE not in r.fields and THROUGHPUT not in r.fields]
    extra: list[dict[str, float | str]] = []
    for r in given:
        if THROUGHPUT in r.fields:
            # less throughput than predicted needs more hardware: 1/low at the low end
            extra.append({"input": r.name,
                          "low_usd": float(tco_usd(scale_edge(base, 1.0 / r.low))),
                          "high_usd": float(tco_usd(scale_edge(base, 1.0 / r.high))),
                          "low_value": r.low, "high_value": r.high})
    if not rs:
        extra.sort(key=lambda b: -abs(float(b["high_usd"]) - float(b["low_usd"])))
        return extra[:top]
    n = len(rs)
    # one vectorized call: case 2k = range k at low, 2k+1 = at high, all others at base
    changes: dict[str, object] = {}
    for j, r in enumerate(rs):
        for f in r.fields:
            b = np.broadcast_to(np.asarray(getattr(base, f), dtype=np.float64), (2 * n,)).copy()
            arr = np.asarray(changes.get(f, b), dtype=np.float64)
            lo = b[2 * j] * r.low if r.mode == "scale" else r.low
            hi = b[2 * j + 1] * r.high if r.mode == "scale" else r.high
            arr[2 * j], arr[2 * j + 1] = lo, hi
            changes[f] = arr
    vals = np.asarray(tco_usd(base.with_(**changes)), dtype=np.float64)
    vals = np.broadcast_to(vals, (2 * n,))
    bars: list[dict[str, float | str]] = []
    for j, r in enumerate(rs):
        b0 = float(np.asarray(getattr(base, r.fields[0])))
        lo_v = b0 * r.low if r.mode == "scale" else r.low
        hi_v = b0 * r.high if r.mode == "scale" else r.high
        bars.append({"input": r.name, "low_usd": float(vals[2 * j]),
                     "high_usd": float(vals[2 * j + 1]), "low_value": float(lo_v),
                     "high_value": float(hi_v)})
    bars += extra
    bars.sort(key=lambda b: -abs(float(b["high_usd"]) - float(b["low_usd"])))
    return bars[:top]


@dataclass(frozen=True)
class MonteCarloResult:
    """Monte Carlo TCO percentiles and P(edge cheaper) per cloud option."""

    tco_p10_usd: float
    tco_p50_usd: float
    tco_p90_usd: float
    p_edge_cheaper: dict[str, float]
    samples: int
    seed: int
    edge_tco_usd: FloatArray


def _triangular(rng: np.random.Generator, lo: float, mode: FloatArray, hi: float,
                n: int) -> FloatArray:
    m = np.clip(np.asarray(mode, dtype=np.float64), lo, hi)
    if hi <= lo:
        return np.full(n, float(lo))
    if np.ndim(m) == 0:
        return rng.triangular(lo, float(m), hi, size=n)
    return np.asarray([rng.triangular(lo, float(mm), hi) for mm in m], dtype=np.float64)


def monte_carlo(
    base: TcoInputs,
    cloud_options: Sequence[CloudOption] = (),
    samples: int = 10_000,
    seed: int = 0,
    ranges: Sequence[InputRange] | None = None,
    cloud_price: InputRange | None = None,
) -> MonteCarloResult:
    """P10/P50/P90 of the edge TCO and P(edge TCO < option TCO) for each cloud option.

    Scale inputs are triangular(low, 1, high) multipliers; absolute inputs triangular(low,
    base, high). Cloud prices get one shared multiplier (default 0.7–1.1, mode 1). The load and
    the discount rate are shared between the edge and the cloud options, and so is the
    performance model's error (an input of ``THROUGHPUT``, when given) between the edge and the
    cloud GPU rentals. Hybrid options add the TCO of the scaled-down edge unit on the same
    samples. Reproducible: same seed, same result.
    """
    if samples < 1:
        raise ValueError("samples must be >= 1")
    rng = np.random.default_rng(seed)
    rs = list(ranges if ranges is not None else default_ranges(base))
    cp = cloud_price or InputRange("cloud price", (CLOUD_PRICE,), 0.70, 1.10, "scale",
                                   "AWS P5 price cut June 2025 (catalog R74) [est]")
    draws: dict[InputRange, FloatArray] = {}
    for r in rs:
        mode = 1.0 if r.mode == "scale" else float(np.asarray(getattr(base, r.fields[0])))
        draws[r] = _triangular(rng, r.low, np.asarray(mode), r.high, samples)
    price = _triangular(rng, cp.low, np.asarray(1.0), cp.high, samples)
    x = _apply(base, draws)
    need: FloatArray | float = 1.0  # hardware needed relative to the plan
    for r, v in draws.items():
        if THROUGHPUT in r.fields:
            need = 1.0 / v
            x = scale_edge(x, need)
    edge = np.broadcast_to(np.asarray(tco_usd(x), dtype=np.float64), (samples,))
    p10, p50, p90 = (float(v) for v in np.percentile(edge, [10, 50, 90]))
    rate = np.broadcast_to(np.asarray(x.discount_rate, dtype=np.float64), (samples,))
    load = np.broadcast_to(np.asarray(x.load_scale, dtype=np.float64), (samples,))
    p_cheaper: dict[str, float] = {}
    for opt in cloud_options:
        # GPU rentals are sized with the same performance model: its error moves their hours
        scale = price * need if opt.kind == "gpu_rental" else price
        cloud = np.asarray(cloud_tco_usd(opt, rate, load, scale), dtype=np.float64)
        if opt.edge_share > 0:
            cloud = cloud + np.asarray(tco_usd(scale_edge(x, opt.edge_share)))
        p_cheaper[opt.name] = float(np.mean(edge < cloud))
    return MonteCarloResult(p10, p50, p90, p_cheaper, samples, seed, np.array(edge))
