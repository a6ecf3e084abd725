"""Measure GPU board power and SM clock in compute-bound and memory-bound phases.

Run on the device machine: ``python3 benchmarks/device/measure_phase_power.py OUT.json``.
Reads (never sets) the power limit; samples board power and clocks through NVML every 50 ms while
each phase runs for ``SECONDS`` and reports the medians of the last two thirds of each phase:

* ``idle`` — nothing running;
* ``bf16_gemm``, ``fp8_gemm`` — 8192³ matrix products back to back (compute-bound, prefill-like);
* ``hbm_copy`` — 2 GiB device-to-device copies (memory-bound);
* ``decode_gemv`` — 16 token rows × eight different 8192×8192 BF16 weights in turn (1 GiB, larger
  than L2: the weight streaming of a decode step).

``flatbed.perf.power`` uses the ratio of a memory-bound phase's power above idle to a
compute-bound phase's as ``PHASE_ACTIVITY["memory"]`` (0.7, from Splitwise) and takes
compute-bound work to run at the board limit with the clock near its maximum.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable

SECONDS = 12.0


def main() -> None:
    out: dict[str, object] = {}
    import pynvml
    import torch

    pynvml.nvmlInit()
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    out["device"] = torch.cuda.get_device_name(0)
    out["torch"] = torch.__version__
    out["power_limit_w"] = pynvml.nvmlDeviceGetEnforcedPowerLimit(h) / 1e3
    out["max_sm_clock_mhz"] = pynvml.nvmlDeviceGetMaxClockInfo(h, pynvml.NVML_CLOCK_SM)
    dev = torch.device("cuda")

    samples: list[tuple[float, float, float]] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            samples.append((time.perf_counter(),
                            pynvml.nvmlDeviceGetPowerUsage(h) / 1e3,
                            float(pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_SM))))
            time.sleep(0.05)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()

    def phase(name: str, step: Callable[[], None] | None, work: float = 0.0,
              unit: str = "") -> None:
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < SECONDS:
            if step is None:
                time.sleep(0.05)
            else:
                for _ in range(10):
                    step()
                torch.cuda.synchronize()
                n += 10
        t1 = time.perf_counter()
        keep = [s for s in samples if t0 + (t1 - t0) / 3 <= s[0] <= t1]
        res: dict[str, float] = {
            "power_w": statistics.median(s[1] for s in keep),
            "sm_clock_mhz": statistics.median(s[2] for s in keep),
            "samples": float(len(keep)),
        }
        if step is not None and work:
            res[unit] = work * n / (t1 - t0)
        out[name] = res
        print(name, res, flush=True)

    phase("idle", None)
    a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    phase("bf16_gemm", lambda: a @ b, 2 * 8192**3 / 1e12, "tflops")
    one = torch.tensor(1.0, device=dev)
    a8 = a.to(torch.float8_e4m3fn)
    b8 = b.to(torch.float8_e4m3fn).t()
    phase("fp8_gemm", lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one,
                                               out_dtype=torch.bfloat16),
          2 * 8192**3 / 1e12, "tflops")
    src = torch.empty(2 * 1024**3, device=dev, dtype=torch.uint8)
    dst = torch.empty_like(src)
    phase("hbm_copy", lambda: dst.copy_(src), 2 * src.numel() / 1e12, "tb_per_s")
    ws = [torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16) for _ in range(8)]
    x = torch.randn(16, 8192, device=dev, dtype=torch.bfloat16)

    def gemv() -> None:
        for w in ws:
            x @ w

    phase("decode_gemv", gemv, 8 * 8192 * 8192 * 2 / 1e12, "weight_tb_per_s")
    stop.set()
    th.join()
    idle = out["idle"]["power_w"]  # type: ignore[index]
    comp = out["bf16_gemm"]["power_w"]  # type: ignore[index]
    for mem in ("hbm_copy", "decode_gemv"):
        out[f"{mem}_activity_vs_bf16_gemm"] = (
            (out[mem]["power_w"] - idle) / (comp - idle))  # type: ignore[index]
    print(json.dumps(out, indent=1))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
