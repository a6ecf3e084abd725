"""Stand-in catalog records for the economics tests (the shipped catalog data lands separately).

Numbers are the research notes' figures (catalog_facts.md §1, §2, §8) so results are realistic.
"""

from __future__ import annotations

import pytest

from flatbed.catalog.records import (
    ApiPrice,
    CloudGpuOffer,
    CoolingSystem,
    Genset,
    Module,
    Server,
)
from flatbed.economics.capex import ModuleGroup
from flatbed.economics.cloud import CloudGpuDemand, WorkloadDemand
from flatbed.scenario import DataRule

SRC = "test stand-in (catalog_facts.md)"


@pytest.fixture()
def server() -> Server:
    return Server(id="DGX-H100", name="DGX H100", source=SRC, currency_year=2025,
                  accelerator="H100-SXM", accelerator_count=8, rack_units=8, max_power_kw=10.2,
                  idle_power_kw=2.5, weight_kg=130.45, inlet_min_c=5, inlet_max_c=30,
                  price_usd=300_000)


@pytest.fixture()
def module_group() -> ModuleGroup:
    mod = Module(id="ISO40HC", source=SRC, currency_year=2025, length_m=12.192, width_m=2.438,
                 height_m=2.896, internal_length_m=12.032, tare_kg=3940, fitout_kg=6000,
                 max_gross_kg=30480, racks=8, max_it_kw_by_cooling={"rdhx": 320},
                 floor_load_kg_per_m=3000, price_usd=250_000)
    cool = CoolingSystem(id="rdhx", source=SRC, currency_year=2025, kind="rdhx_active",
                         max_kw_per_rack=60, max_ambient_c=45, fan_power_fraction=0.02,
                         cop_at_35c=3.0, capex_usd_per_kw=800)
    return ModuleGroup(module=mod, cooling=cool, count=1, it_kw=82.0)


@pytest.fixture()
def genset() -> Genset:
    return Genset(id="G500", source=SRC, currency_year=2025, fuel="diesel", rating_kw=500,
                  load_fractions=(0.25, 0.5, 0.75, 1.0), fuel_per_h=(41.6, 70.0, 99.9, 135.1),
                  mass_kg=5000, altitude_derate_per_500m_above_1000m=0.03,
                  temp_derate_per_5c_above_40c=0.03, price_usd=150_000)


@pytest.fixture()
def offers() -> list[CloudGpuOffer]:
    return [
        CloudGpuOffer(id="aws-p5", source=SRC, currency_year=2026, provider="AWS",
                      instance="p5.48xlarge", accelerator="H100-SXM", gpus=8,
                      region="us-east-1", on_demand_usd_per_gpu_hour=6.88,
                      reserved_1y_usd_per_gpu_hour=4.50, reserved_3y_usd_per_gpu_hour=3.10,
                      spot_usd_per_gpu_hour=3.30, egress_usd_per_gb=0.09, price_date="2026-11"),
        CloudGpuOffer(id="lambda-h100", source=SRC, currency_year=2026, provider="Lambda",
                      instance="8x H100", accelerator="H100-SXM", gpus=8, region="US",
                      on_demand_usd_per_gpu_hour=3.99, price_date="2026-09"),
    ]


@pytest.fixture()
def api_prices() -> list[ApiPrice]:
    return [
        ApiPrice(id="together-llama70", source=SRC, currency_year=2026, provider="Together",
                 kind="llm", model="llama-3.3-70b", usd_per_million_input_tokens=0.88,
                 usd_per_million_output_tokens=0.88, price_date="2026-05"),
        ApiPrice(id="fireworks-llama70", source=SRC, currency_year=2026, provider="Fireworks",
                 kind="llm", model="llama-3.3-70b", usd_per_million_input_tokens=0.90,
                 usd_per_million_output_tokens=0.90, price_date="2026-10"),
        ApiPrice(id="gcv-label", source=SRC, currency_year=2026, provider="Google",
                 kind="vision", model="", usd_per_thousand_images=1.50, price_date="2026-11"),
    ]


def llm_workload(where: str = "anywhere", regime: str = "none") -> WorkloadDemand:
    # 20 req/s average, 1,024 in / 256 out tokens
    rps = 20.0
    return WorkloadDemand(
        id="assistant", kind="llm", model="llama-3.3-70b",
        data=DataRule(where=where, regime=regime),
        input_tokens_per_year=rps * 1024 * 8760 * 3600,
        output_tokens_per_year=rps * 256 * 8760 * 3600,
        edge_gpus=8,
        cloud_gpus={"H100-SXM": CloudGpuDemand("H100-SXM", 8, 8 * 8760 * 0.7)},
        egress_gb_per_month=50.0,
    )


def vision_workload(where: str = "on_site", regime: str = "ITAR") -> WorkloadDemand:
    return WorkloadDemand(
        id="cameras", kind="vision", model="yolov8m",
        data=DataRule(where=where, regime=regime),
        frames_per_year=64 * 15 * 8760 * 3600, edge_gpus=8,
        cloud_gpus={"H100-SXM": CloudGpuDemand("H100-SXM", 8, 8 * 8760)},
        egress_gb_per_month=5.0,
    )


@pytest.fixture()
def workloads() -> list[WorkloadDemand]:
    return [llm_workload(), vision_workload()]


@pytest.fixture()
def make_llm():  # type: ignore[no-untyped-def]
    """Factory for the stand-in LLM workload (tests cannot import conftest under importlib)."""
    return llm_workload


@pytest.fixture()
def make_vision():  # type: ignore[no-untyped-def]
    return vision_workload
