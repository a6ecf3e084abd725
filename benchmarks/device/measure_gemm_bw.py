"""Measure achieved dense GEMM TFLOP/s (BF16, FP8) and HBM copy bandwidth on one GPU.

Run on the device machine: ``python benchmarks/device/measure_gemm_bw.py OUT.json``. Prints and
writes a JSON object; compare with the fitted ``eta_gemm``/``eta_mem`` in docs/performance_model.md.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    out: dict[str, object] = {}
    try:
        import torch
    except ImportError as exc:
        out["error"] = f"torch not installed: {exc}"
        print(json.dumps(out))
        return
    dev = torch.device("cuda")
    out["device"] = torch.cuda.get_device_name(0)
    out["torch"] = torch.__version__

    def timed(fn, iters: int) -> float:  # type: ignore[no-untyped-def]
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        torch.cuda.synchronize()
        return (time.perf_counter() - t0) / iters

    for n in (4096, 8192, 16384):
        a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
        b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
        t = timed(lambda a=a, b=b: a @ b, 20)
        out[f"bf16_gemm_{n}_tflops"] = 2 * n**3 / t / 1e12
    try:
        one = torch.tensor(1.0, device=dev)
        for n in (8192, 16384):
            a8 = torch.randn(n, n, device=dev).to(torch.float8_e4m3fn)
            b8 = torch.randn(n, n, device=dev).to(torch.float8_e4m3fn).t()
            t = timed(lambda a8=a8, b8=b8: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one,
                                                              out_dtype=torch.bfloat16), 20)
            out[f"fp8_gemm_{n}_tflops"] = 2 * n**3 / t / 1e12
    except Exception as exc:  # noqa: BLE001 - report whatever the FP8 path lacks
        out["fp8_error"] = repr(exc)[:300]
    # decode-like skinny GEMM: M tokens × (8192×8192) weight, memory-bound for small M
    w = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    for m in (1, 16, 64, 256, 1024):
        x = torch.randn(m, 8192, device=dev, dtype=torch.bfloat16)
        t = timed(lambda x=x: x @ w, 50)
        out[f"bf16_gemv_m{m}_weight_tb_per_s"] = w.numel() * 2 / t / 1e12
        out[f"bf16_gemv_m{m}_tflops"] = 2 * m * 8192 * 8192 / t / 1e12
    src = torch.empty(2 * 1024**3, device=dev, dtype=torch.uint8)
    dst = torch.empty_like(src)
    t = timed(lambda: dst.copy_(src), 20)
    out["hbm_copy_tb_per_s"] = 2 * src.numel() / t / 1e12  # read + write
    print(json.dumps(out, indent=1))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
