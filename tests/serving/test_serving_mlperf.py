"""MLPerf Server prediction: the search finds the largest admissible load, and rows are mapped
to the right units/scope."""

from __future__ import annotations

import numpy as np
import pytest

from flatbed.serving.engine import fifo_queue
from flatbed.serving.mlperf import (
    VISION_FRAMES,
    LLMBench,
    max_llm_rate_per_s,
    max_vision_rate_per_s,
    predict_server_row,
)
from flatbed.serving.scheduling import LLMSchedulerConfig


def test_vision_rate_is_the_md1_p99_threshold() -> None:
    # max batch 1, deterministic 2 ms service: the server is M/D/1; check the found rate
    # against an independent FIFO-queue simulation of the same arrivals
    s, bound = 0.002, 0.015
    lam = max_vision_rate_per_s(lambda b: s, [1], bound)
    assert lam is not None and 0.5 / s < lam < 1.0 / s
    rng = np.random.default_rng(0)
    unit = np.cumsum(rng.exponential(1.0, VISION_FRAMES))

    def p99(rate: float) -> float:
        a = unit / rate
        start = fifo_queue(a, np.full(a.size, s), 1)
        return float(np.percentile((start + s - a)[VISION_FRAMES // 10:], 99))

    assert p99(lam) <= bound
    assert p99(lam * 1.01) > bound * 0.97  # within the bisection resolution of the edge


def test_llm_rate_shrinks_with_tighter_bounds() -> None:
    def it(p: float, d: float, c: float) -> float:
        return 0.008 + 5e-5 * p + 4e-5 * d + 2e-8 * c

    b = LLMBench("m", 400.0, 1024, 150.0, 1024, 2.0, 0.2, 0.45, 0.04)
    cfg = LLMSchedulerConfig(max_batched_tokens=2048)
    loose = max_llm_rate_per_s(it, 400_000, cfg, b, 2.0, 0.2, guess_per_s=10.0)
    tight = max_llm_rate_per_s(it, 400_000, cfg, b, 0.45, 0.04, guess_per_s=10.0)
    assert loose is not None and tight is not None
    assert tight < loose
    # at no load a request still needs 8 ms per token: a 5 ms TPOT bound is unreachable
    assert max_llm_rate_per_s(it, 400_000, cfg, b, 2.0, 0.005, guess_per_s=10.0) is None


ROW = {"round": "v5.1", "submitter": "x", "system": "s", "accelerator": "H200-SXM-141GB",
       "accelerator_count": "8", "benchmark": "llama2-70b-99", "scenario": "Server",
       "value": "30000", "units": "tokens/s", "power_w": "", "source": ""}


@pytest.mark.parametrize("change", [
    {"scenario": "Offline"},
    {"units": "ms_p99_TTFT_measured"},
    {"benchmark": "gptj-99", "scenario": "Interactive"},
    {"benchmark": "rnnt"},
    {"accelerator": "Abacus-9000"},
    {"accelerator_count": "0"},
])
def test_out_of_scope_rows_return_none(change: dict[str, str]) -> None:
    assert predict_server_row({**ROW, **change}) is None


def test_llama2_server_row_is_predicted_in_tokens_per_s() -> None:

    p = predict_server_row(ROW)
    assert p is not None
    # published v4.1–v5.1 H200×8 llama2-70b Server results are 29–33k tokens/s
    assert 15_000 < p < 60_000
    inter = predict_server_row({**ROW, "scenario": "Interactive"})
    assert inter is not None and inter < p  # tighter bounds, lower admissible load


def test_dlrm_v1_is_predicted_with_its_own_record_not_dlrm_v2() -> None:

    base = {**ROW, "round": "v3.0", "accelerator": "H100-SXM-80GB", "units": "queries/s"}
    v1 = predict_server_row({**base, "benchmark": "dlrm-99"})
    v2 = predict_server_row({**base, "benchmark": "dlrm-v2-99"})
    assert v1 is not None and v2 is not None
    # DLRM v1 does ~6.7x less work per sample than DLRM-v2 (1.30 vs 8.66 GFLOP): far faster
    assert v1 > 3 * v2
    # published v3.0 DGX-H100 (8x H100-SXM) dlrm-99 Server: 5.78M queries/s. The recommendation
    # coefficients are shared with DLRM-v2, and on H100-SXM DLRM v1 ran 10.6x DLRM-v2's sample
    # rate while doing 6.7x less work, so v1 is under-predicted there (~0.48x; 0.67x median over
    # all dlrm Server rows): a factor-2.5 band, the error reported in docs/performance_model.md
    assert 5.78e6 / 2.5 < v1 < 5.78e6 * 2


def test_gptj_server_row_is_predicted_with_beams_sharing_the_prompt() -> None:

    row = {**ROW, "benchmark": "gptj-99", "accelerator": "H100-NVL-94GB",
           "accelerator_count": "4", "round": "v4.1"}
    p = predict_server_row(row)
    assert p is not None
    # published v4.1 4×H100-NVL GPT-J Server: 6,070–6,338 tokens/s (ASUSTeK ESC4000A-E12)
    assert 3_000 < p < 12_000
    q = predict_server_row({**row, "units": "queries/s"})
    assert q is not None and p == pytest.approx(q * 69.0)  # LoadGen: tokens = queries × 69


def test_gptj_request_cost_is_paid_once_per_query_not_per_beam() -> None:
    """TRT-LLM's per-request host cost (6.7 ms) charged to each of the 4 beams capped one H100
    at ~37 queries/s; charged once per query the prediction is near the published rate
    (v4.1 ESC-N8-E11 8x H100-SXM GPT-J Server 19,226.9 tokens/s = 34.8 queries/s per GPU)."""

    row = {**ROW, "benchmark": "gptj-99", "accelerator": "H100-SXM-80GB",
           "accelerator_count": "8", "round": "v4.1", "units": "tokens/s"}
    p = predict_server_row(row)
    assert p is not None
    assert 0.8 < p / 19226.9 < 1.6


def test_vision_server_rate_stays_below_offline_rate() -> None:
    """Per-sample host cost of a Server run: the predicted Server rate of BERT on one H100-SXM
    stays below the Offline rate (measured Server/Offline ratio 0.81 at the median)."""
    from flatbed.catalog import builtin_catalog
    from flatbed.catalog.records import Accelerator, VisionModel
    from flatbed.perf import vision
    from flatbed.perf.mlperf import OFFLINE_BATCH

    cat = builtin_catalog()
    h100 = cat.get("accelerators", "H100-SXM-80GB", Accelerator)
    bert = cat.get("vision_models", "bert-99", VisionModel)
    for b in (1, 64, 1024):
        assert vision.server_batch_time_s(bert, h100, b) > vision.batch_time_s(bert, h100, b)
    offline = vision.throughput_per_s(bert, h100, OFFLINE_BATCH["encoder"])
    server = predict_server_row({**ROW, "benchmark": "bert-99", "accelerator": "H100-SXM-80GB",
                                 "accelerator_count": "1", "round": "v4.1",
                                 "units": "queries/s"})
    assert server is not None
    assert 0.6 * offline < server < 0.95 * offline
