"""The sourced catalog: hardware, facility equipment, prices, models and climates."""

from flatbed.catalog.loader import Catalog, builtin_catalog, load_catalog, model_from_hf_config
from flatbed.catalog.records import (
    KINDS,
    Accelerator,
    ApiPrice,
    Climate,
    CloudGpuOffer,
    CoolingSystem,
    Genset,
    ModelArch,
    Module,
    RoadLimit,
    Server,
    VisionModel,
)

__all__ = [
    "KINDS", "Accelerator", "ApiPrice", "Catalog", "Climate", "CloudGpuOffer", "CoolingSystem",
    "Genset", "ModelArch", "Module", "RoadLimit", "Server", "VisionModel", "builtin_catalog",
    "load_catalog", "model_from_hf_config",
]
