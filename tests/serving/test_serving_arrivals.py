"""Traffic generators: rates, shapes, dispersion, token lengths and trace reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flatbed.errors import InputError
from flatbed.scenario import DAILY_PROFILES, TokenDist
from flatbed.serving.arrivals import (
    mmpp_arrivals_s,
    mmpp_stationary,
    poisson_arrivals_s,
    profile_arrivals_s,
    read_trace,
    sample_tokens,
    stream_arrivals_s,
)


def test_poisson_rate_and_exponential_gaps() -> None:
    rng = np.random.default_rng(0)
    t = poisson_arrivals_s(50.0, 2000.0, rng)
    assert t.size == pytest.approx(100_000, rel=0.01)
    gaps = np.diff(t)
    assert gaps.mean() == pytest.approx(0.02, rel=0.01)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.02)  # exponential: CV = 1
    assert np.all(gaps >= 0) and t.min() >= 0 and t.max() < 2000.0


def test_daily_profile_hourly_counts_follow_multipliers() -> None:
    rng = np.random.default_rng(1)
    prof = DAILY_PROFILES["office_hours"]
    t = profile_arrivals_s(2.0, prof, 86400.0, rng)
    counts = np.bincount((t // 3600).astype(int), minlength=24)
    expect = 2.0 * 3600.0 * np.asarray(prof)
    # Poisson counts: within 5 standard deviations each, and the total within 1%
    assert np.all(np.abs(counts - expect) < 5 * np.sqrt(expect) + 1)
    assert counts.sum() == pytest.approx(expect.sum(), rel=0.01)


def test_profile_wraps_midnight_with_start_hour() -> None:
    rng = np.random.default_rng(2)
    prof = [0.0] * 23 + [1.0]  # only 23:00–24:00 has traffic
    t = profile_arrivals_s(10.0, prof, 7200.0, rng, start_hour=22.0)
    assert t.size > 0 and np.all((t >= 3600.0) & (t < 7200.0))


def test_mmpp_mean_rate_and_burstiness() -> None:
    rng = np.random.default_rng(3)
    rates = [5.0, 50.0]
    q = [[0.0, 0.1], [0.5, 0.0]]
    pi = mmpp_stationary(np.asarray(q))
    np.testing.assert_allclose(pi, [0.5 / 0.6, 0.1 / 0.6], rtol=1e-9)
    dur = 20_000.0
    t = mmpp_arrivals_s(rates, q, dur, rng)
    mean_rate = float(np.dot(pi, rates))
    assert t.size / dur == pytest.approx(mean_rate, rel=0.05)
    counts = np.bincount((t // 1.0).astype(int), minlength=int(dur))
    assert counts.var() / counts.mean() > 3.0  # Poisson would give 1
    assert np.all(np.diff(t) >= 0)


def test_streams_are_periodic_per_camera() -> None:
    rng = np.random.default_rng(4)
    t, sid = stream_arrivals_s(12, 30.0, 10.0, rng)
    assert t.size == pytest.approx(12 * 30 * 10, abs=12)
    for s in range(12):
        np.testing.assert_allclose(np.diff(t[sid == s]), 1 / 30.0, rtol=1e-9)
    assert np.all(np.diff(t) >= 0)


@pytest.mark.parametrize("dist", ["lognormal", "exponential", "uniform", "fixed"])
def test_token_lengths_have_the_requested_mean(dist: str) -> None:
    rng = np.random.default_rng(5)
    x = sample_tokens(TokenDist(mean=800, dist=dist, sigma=0.6), 200_000, rng)
    assert x.min() >= 1
    assert x.mean() == pytest.approx(800, rel=0.01)
    capped = sample_tokens(TokenDist(mean=800, dist=dist, max=900), 10_000, rng)
    assert capped.max() <= 900


def test_read_trace_sorts_and_reads(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("arrival_s,input_tokens,output_tokens\n2.5,100,20\n0.5,300,10\n\n1,7,1\n")
    r = read_trace(p)
    np.testing.assert_array_equal(r.arrival_s, [0.5, 1.0, 2.5])
    np.testing.assert_array_equal(r.input_tokens, [300, 7, 100])
    np.testing.assert_array_equal(r.output_tokens, [10, 1, 20])


@pytest.mark.parametrize("body,needle", [
    ("arrival_s,input_tokens,output_tokens\n0.1,abc,5\n", "line 2: input_tokens"),
    ("arrival_s,input_tokens,output_tokens\n0.1,5,5\n-1,5,5\n", "line 3: arrival_s"),
    ("arrival_s,input_tokens,output_tokens\n0.1,5,0\n", "line 2: output_tokens"),
    ("arrival_s,input_tokens,output_tokens\n0.1,5.5,3\n", "line 2: input_tokens"),
    ("arrival_s,input_tokens,output_tokens\n0.1,5\n", "line 2: expected 3 fields"),
    ("time,input_tokens,output_tokens\n0.1,5,5\n", "line 1: header lacks arrival_s"),
    ("", "empty"),
    ("arrival_s,input_tokens,output_tokens\n", "no requests"),
])
def test_read_trace_bad_input_names_file_line_field(tmp_path: Path, body: str,
                                                    needle: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(body)
    with pytest.raises(InputError) as exc:
        read_trace(p)
    assert str(p) in str(exc.value) and needle in str(exc.value)


def test_read_trace_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such trace"):
        read_trace(tmp_path / "nope.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(InputError):
        read_trace(p)
