"""The FIFO queue against closed-form queueing theory (references computed here, independently).

- M/M/c mean wait: Erlang-C, W_q = C(c, a) / (cμ − λ) (Kleinrock, Queueing Systems I, eq. 3.40).
- M/D/1 mean wait: Pollaczek–Khinchine, W_q = λ E[S²] / (2(1 − ρ)) = ρ S / (2(1 − ρ)).

Sample sizes are chosen so the statistical standard error is ≈1% (3% is ≥ 2σ even in the
noisiest case, c = 16 at ρ = 0.5 where waiting is rare); seeds are fixed, so the test is
deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from flatbed.serving.engine import fifo_queue, service_times_s
from flatbed.serving.metrics import littles_law


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    rho = a / c
    tail = a**c / math.factorial(c) / (1.0 - rho)
    p_wait = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    return p_wait / (c * mu - lam)


def test_erlang_c_reference_textbook_value() -> None:
    # M/M/1: W_q = ρ / (μ − λ); at ρ = 0.8, μ = 1: 4.0
    assert erlang_c_wait(0.8, 1.0, 1) == pytest.approx(4.0)
    # M/M/2, λ = 1, μ = 1 (a = 1): C = 1/3, W_q = (1/3)/(2 − 1) = 1/3
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1.0 / 3.0)


@pytest.mark.parametrize("c", [1, 4, 16])
@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_mmc_mean_wait_matches_erlang_c(c: int, rho: float) -> None:
    n = 8_000_000 if (c == 16 and rho == 0.5) else 2_000_000
    rng = np.random.default_rng(1000 * c + int(rho * 10))
    lam = rho * c
    arrival = np.cumsum(rng.exponential(1.0 / lam, n))
    service = service_times_s("exponential", 1.0, n, rng)
    start = fifo_queue(arrival, service, c)
    wait = float(np.mean(start - arrival))
    assert wait == pytest.approx(erlang_c_wait(lam, 1.0, c), rel=0.03)
    # FIFO and work-conserving: no one starts before arriving, starts are in arrival order
    assert np.all(start >= arrival)
    assert np.all(np.diff(start) >= 0)


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_md1_mean_wait_matches_pollaczek_khinchine(rho: float) -> None:
    n = 4_000_000
    rng = np.random.default_rng(7 + int(rho * 10))
    s = 0.01
    lam = rho / s
    arrival = np.cumsum(rng.exponential(1.0 / lam, n))
    service = service_times_s("deterministic", s, n, rng)
    wait = float(np.mean(fifo_queue(arrival, service, 1) - arrival))
    pk = lam * s * s / (2.0 * (1.0 - rho))
    assert wait == pytest.approx(pk, rel=0.03)


def test_single_server_closed_form_equals_event_loop() -> None:
    # the vectorized Lindley solution and the heap loop are two independent implementations
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.exponential(1.0, 5000))
    s = rng.exponential(0.9, 5000)
    lindley = fifo_queue(a, s, 1)
    free = 0.0
    loop = []
    for ai, si in zip(a, s, strict=True):
        st = max(ai, free)
        loop.append(st)
        free = st + si
    np.testing.assert_allclose(lindley, loop, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("c", [1, 4])
def test_littles_law_fifo(c: int) -> None:
    rng = np.random.default_rng(11)
    n = 200_000
    a = np.cumsum(rng.exponential(1.0 / (0.8 * c), n))
    s = rng.exponential(1.0, n)
    d = fifo_queue(a, s, c) + s
    chk = littles_law(a, d, a[n // 10], a[-n // 10])
    assert chk.rel_error < 0.01
