"""Names used by the validation data sets resolve to the right catalog records."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from flatbed.catalog import builtin_catalog

VALIDATION = Path(__file__).resolve().parents[1] / "data" / "validation"
SERVING = VALIDATION / "serving_silicon_sample.csv"
MLPERF = VALIDATION / "mlperf_results.csv"

# MLPerf accelerators that are not NVIDIA/AMD data-center parts (edge modules, workstation and
# consumer cards, other vendors): the catalog does not have to cover these.
NOT_DATA_CENTER = {
    "Jetson-AGX-Orin", "Jetson-Orin-NX", "RTX 4000 Ada-PCIe-20GB", "RTX-2000E-Ada-16GB",
    "RTX-4090", "TPU v5e", "UntetherAI speedAI240 Slim",
    "[MAXSUN] MS-Intel Arc Pro B60 Dual 48G Turbo",
}
RETIRED_BENCHMARKS = {"rgat", "rnnt"}  # graph / RNN-T models, not in flatbed's scope



def _column(path: Path, name: str) -> set[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row[name] for row in csv.DictReader(fh)}


EXPECTED_SYSTEMS = {
    "h100_sxm": "H100-SXM", "h200_sxm": "H200-SXM", "b200_sxm": "B200", "b300_sxm": "B300",
    "gb200": "GB200", "gb300": "GB300",
}


def test_every_serving_sample_system_resolves() -> None:
    table = builtin_catalog().tables["accelerators"]
    systems = _column(SERVING, "system")
    assert systems == set(EXPECTED_SYSTEMS)
    for system in systems:
        assert table.resolve(system) == EXPECTED_SYSTEMS[system]


def test_every_data_center_mlperf_accelerator_resolves() -> None:
    table = builtin_catalog().tables["accelerators"]
    names = _column(MLPERF, "accelerator") - NOT_DATA_CENTER
    assert len(names) >= 12
    missing = sorted(n for n in names if table.resolve(n) is None)
    assert not missing, f"unresolved MLPerf accelerators: {missing}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("H100-SXM-80GB", "H100-SXM"), ("H200-SXM-141GB-CTS", "H200-SXM"),
        ("A100-SXM-80GB-CTS", "A100-SXM"), ("A100-PCIe-80GB", "A100-PCIe"),
        ("H100-NVL-94GB", "H100-NVL"), ("H100-PCIe-80GB", "H100-PCIe"),
        ("B200-SXM-180GB", "B200"), ("GH200-144GB", "GH200-144GB"), ("GH200-96GB", "GH200-96GB"),
        ("MI300X-192GB", "MI300X"), ("MI325X-256GB", "MI325X"), ("MI355X", "MI355X"),
        ("RTX-PRO-6000-Blackwell-Server", "RTX-PRO-6000-Server"), ("L40", "L40"),
        ("NVIDIA L40S", "L40S"), ("l4", "L4"), ("nvidia h100 80gb hbm3", "H100-SXM"),
    ],
)
def test_known_names_map_to_the_right_part(name: str, expected: str) -> None:
    assert builtin_catalog().tables["accelerators"].resolve(name) == expected


def test_brief_accelerator_list_is_covered() -> None:
    ids = {r.id for r in builtin_catalog().all("accelerators")}
    assert {
        "A100-PCIe", "A100-SXM", "H100-SXM", "H100-PCIe", "H100-NVL", "H200-SXM", "H200-NVL",
        "GH200-96GB", "GH200-144GB", "B200", "B300", "GB200", "GB300", "L40", "L40S", "L4",
        "RTX-PRO-6000-Server", "MI300X", "MI325X", "MI355X",
    } <= ids


def test_every_serving_sample_model_path_resolves() -> None:
    table = builtin_catalog().tables["models"]
    for path in _column(SERVING, "model_path"):
        assert table.resolve(path) is not None, path
    # quantised re-publications map to the base architecture
    assert table.resolve("nvidia/DeepSeek-R1-NVFP4") == "DeepSeek-R1"
    assert table.resolve("nvidia/Llama-3.1-8B-Instruct-FP8") == "Llama-3.1-8B"
    assert table.resolve("Qwen/Qwen3-235B-A22B-FP8") == "Qwen3-235B-A22B"


def test_every_mlperf_benchmark_resolves_to_a_model() -> None:
    cat = builtin_catalog()
    for bench in _column(MLPERF, "benchmark") - RETIRED_BENCHMARKS:
        assert cat.has("models", bench) or cat.has("vision_models", bench), bench


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("models", "llama2-70b-99", "Llama-2-70B"), ("models", "llama2-70b-99.9", "Llama-2-70B"),
        ("models", "llama3.1-405b", "Llama-3.1-405B"), ("models", "mixtral-8x7b", "Mixtral-8x7B"),
        ("models", "gptj-99", "GPT-J-6B"), ("models", "deepseek-r1", "DeepSeek-R1"),
        ("models", "llama3.1-8b", "Llama-3.1-8B"), ("models", "meta-llama/Llama-3.1-8B-Instruct",
                                                      "Llama-3.1-8B"),
        ("vision_models", "resnet50", "ResNet-50"), ("vision_models", "retinanet", "RetinaNet"),
        ("vision_models", "bert-99.9", "BERT-Large"),
        ("vision_models", "stable-diffusion-xl", "SDXL"),
        ("vision_models", "3d-unet-99.9", "3D-UNet"), ("vision_models", "dlrm-v2-99", "DLRM-v2"),
        ("vision_models", "whisper", "Whisper-large-v3"), ("vision_models", "dlrm-99", "DLRM-v1"),
    ],
)
def test_benchmark_names_map_to_the_right_model(kind: str, name: str, expected: str) -> None:
    assert builtin_catalog().tables[kind].resolve(name) == expected


def test_cross_references_resolve() -> None:
    cat = builtin_catalog()
    for s in cat.all("servers"):
        assert cat.has("accelerators", s.accelerator), s.id  # type: ignore[attr-defined]
    for o in cat.all("cloud_gpu_offers"):
        assert cat.has("accelerators", o.accelerator), o.id  # type: ignore[attr-defined]
    for a in cat.all("api_prices"):
        model = a.model  # type: ignore[attr-defined]
        if model:
            kind = "models" if a.kind == "llm" else "vision_models"  # type: ignore[attr-defined]
            assert cat.has(kind, model), a.id
    cooling = {c.id for c in cat.all("cooling")}
    assert cooling == {"air-containment", "rdhx-active", "direct-liquid", "dx-chiller"}
    for m in cat.all("modules"):
        assert set(m.max_it_kw_by_cooling) == cooling, m.id  # type: ignore[attr-defined]


def test_required_climates_present() -> None:
    ids = {c.id for c in builtin_catalog().all("climates")}
    assert {"phoenix", "oslo", "dubai", "singapore", "houston", "chicago", "denver", "frankfurt",
            "madrid", "mumbai", "sydney", "fairbanks", "quito", "nairobi", "greensboro",
            "sand-point"} <= ids
