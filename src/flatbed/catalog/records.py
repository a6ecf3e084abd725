"""Typed catalog records: the parameter objects every model function is fed from.

Each record carries ``source`` (document or URL and access date) that covers every numeric field,
plus ``field_sources`` for fields whose value comes from a different document, and
``estimates`` for fields that are labelled, documented estimates (the note says how they were
derived). Money fields carry ``currency_year``. ``tests/catalog/test_sources.py`` enforces that no
numeric value is left unsourced.

Units are in the field names (see ``docs/design.md``): ``_w``, ``_kw``, ``_kg``, ``_m``, ``_c``,
``_usd``, ``_gb`` (gigabytes, 1e9 bytes), ``_tb_per_s`` and ``_gb_per_s`` (bytes per second),
``_tflops`` (1e12 operations per second, dense, no sparsity).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"]


class Record(BaseModel):
    """Base of every catalog record: identity, aliases and provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Canonical id, e.g. 'H100-SXM'.")
    name: str = Field(default="", description="Human-readable name.")
    aliases: tuple[str, ...] = Field(
        default=(), description="Other names tools use for this entry (case-insensitive)."
    )
    source: str = Field(description="Document or URL (with access date) for every number here.")
    field_sources: dict[str, str] = Field(
        default_factory=dict, description="Per-field sources where they differ from `source`."
    )
    estimates: dict[str, str] = Field(
        default_factory=dict,
        description="Fields that are labelled estimates, each with how it was derived.",
    )
    notes: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> Record:
        if not self.source.strip():
            raise ValueError("every catalog record needs a non-empty `source`")
        unknown = (set(self.field_sources) | set(self.estimates)) - set(type(self).model_fields)
        if unknown:
            raise ValueError(f"field_sources/estimates name unknown fields: {sorted(unknown)}")
        return self


class Priced(Record):
    """A record with a price: `currency_year` is required whenever a `*_usd*` field is set."""

    currency_year: int | None = Field(default=None, ge=1990, le=2100)

    @model_validator(mode="after")
    def _dated(self) -> Priced:
        money = [
            k for k, v in self.__dict__.items() if "usd" in k and v is not None
        ]
        if money and self.currency_year is None:
            raise ValueError(f"{money} are money fields: `currency_year` is required")
        return self


class Accelerator(Priced):
    """One accelerator (GPU) from its datasheet."""

    vendor: Literal["nvidia", "amd", "intel", "other"]
    family: str = Field(description="Architecture family, e.g. 'hopper', 'blackwell', 'cdna3'.")
    form_factor: Literal["sxm", "pcie", "oam", "superchip", "nvl72"]
    year: int = Field(description="Year first shipped.")
    peak_dense_tflops: dict[Precision, float] = Field(
        description="Peak dense tensor throughput per precision [TFLOP/s or TOP/s]."
    )
    memory_gb: float = Field(gt=0, description="Device memory [GB].")
    memory_bandwidth_tb_per_s: float = Field(gt=0, description="Memory bandwidth [TB/s].")
    tdp_w: float = Field(gt=0, description="Board/module power limit [W].")
    min_power_cap_w: float | None = Field(
        default=None, gt=0, description="Lowest settable power limit [W]."
    )
    interconnect: str = Field(description="Scale-up link, e.g. 'NVLink4', 'PCIe Gen5'.")
    interconnect_gb_per_s: float = Field(
        gt=0, description="Scale-up bandwidth per GPU, bidirectional as datasheets state [GB/s]."
    )
    nvlink_domain: int = Field(
        default=1, ge=1, description="GPUs reachable over the scale-up link (8 for HGX, 72 NVL72)."
    )
    price_usd: float | None = Field(default=None, gt=0, description="Unit price [USD].")


class Server(Priced):
    """A GPU server (or rack-scale system) as bought."""

    accelerator: str = Field(description="Accelerator id.")
    accelerator_count: int = Field(ge=1)
    rack_units: int = Field(ge=1, description="Height [U]; a whole rack-scale system uses 48.")
    max_power_kw: float = Field(gt=0, description="Nameplate maximum power [kW].")
    idle_power_kw: float = Field(gt=0, description="Power with GPUs idle [kW].")
    weight_kg: float = Field(gt=0)
    inlet_min_c: float
    inlet_max_c: float
    airflow_cfm: float | None = Field(default=None, gt=0, description="Airflow at max load [CFM].")
    liquid_cooled: bool = False
    price_usd: float = Field(gt=0, description="System price including GPUs [USD].")


class CoolingSystem(Priced):
    """A heat-rejection technology for a module."""

    kind: Literal["air_containment", "rdhx_active", "direct_liquid", "dx_chiller"]
    max_kw_per_rack: float = Field(gt=0, description="Practical rack density limit [kW/rack].")
    max_ambient_c: float = Field(
        description="Ambient above which it cannot hold the servers' inlet limit [°C]."
    )
    liquid_fraction: float = Field(
        default=0.0, ge=0, le=1, description="Share of IT heat taken by liquid (cold plates)."
    )
    fan_power_fraction: float = Field(
        ge=0, description="Fan/pump power per unit of heat rejected, at design point [-]."
    )
    cop_at_35c: float | None = Field(
        default=None, gt=0, description="Compressor coefficient of performance at 35 °C ambient."
    )
    cop_slope_per_c: float | None = Field(
        default=None, description="Relative change of COP per °C of ambient [1/°C]."
    )
    economizer_max_ambient_c: float | None = Field(
        default=None, description="Ambient below which no compressor is needed [°C]."
    )
    capex_usd_per_kw: float = Field(gt=0, description="Installed cost per kW of heat [USD/kW].")


class Module(Priced):
    """A deployable module (ISO container shell, fitted out)."""

    length_m: float = Field(gt=0)
    width_m: float = Field(gt=0)
    height_m: float = Field(gt=0)
    internal_length_m: float = Field(gt=0)
    tare_kg: float = Field(gt=0, description="Empty container shell [kg].")
    fitout_kg: float = Field(
        ge=0, description="Power, cooling and fit-out equipment installed in the module [kg]."
    )
    max_gross_kg: float = Field(gt=0, description="Rated maximum gross mass [kg].")
    racks: int = Field(ge=1, description="Rack positions.")
    max_it_kw_by_cooling: dict[str, float] = Field(
        description="Maximum IT load per cooling technology id [kW]."
    )
    floor_load_kg_per_m: float = Field(gt=0, description="Floor load per running metre [kg/m].")
    price_usd: float = Field(gt=0, description="Module shell price, fitted, without cooling [USD].")


class Genset(Priced):
    """A generator set with its part-load fuel curve."""

    fuel: Literal["diesel", "natural_gas"]
    rating_kw: float = Field(gt=0, description="Prime power rating [kWe].")
    load_fractions: tuple[float, ...] = Field(description="Load points of the fuel curve [-].")
    fuel_per_h: tuple[float, ...] = Field(
        description="Fuel use at those points [L/h diesel, m³/h natural gas]."
    )
    mass_kg: float = Field(gt=0)
    altitude_derate_per_500m_above_1000m: float = Field(ge=0, description="Fractional derate.")
    temp_derate_per_5c_above_40c: float = Field(ge=0, description="Fractional derate.")
    price_usd: float = Field(gt=0)

    @model_validator(mode="after")
    def _curve(self) -> Genset:
        if len(self.load_fractions) != len(self.fuel_per_h) or len(self.load_fractions) < 2:
            raise ValueError("load_fractions and fuel_per_h need the same length (>= 2)")
        if list(self.load_fractions) != sorted(self.load_fractions):
            raise ValueError("load_fractions must increase")
        return self


class RoadLimit(Record):
    """Legal road transport envelope of one jurisdiction."""

    max_gross_vehicle_kg: float = Field(gt=0)
    tractor_trailer_tare_kg: float = Field(gt=0, description="Tractor plus chassis/trailer [kg].")
    max_height_m: float = Field(gt=0)
    max_width_m: float = Field(gt=0)
    max_length_m: float = Field(
        gt=0, description="Longest load a standard trailer carries [m] (not the whole vehicle)."
    )
    max_axle_kg: float | None = Field(default=None, gt=0)


class CloudGpuOffer(Priced):
    """A cloud GPU instance price."""

    provider: str
    instance: str
    accelerator: str = Field(description="Accelerator id.")
    gpus: int = Field(ge=1)
    region: str = ""
    on_demand_usd_per_gpu_hour: float = Field(gt=0)
    reserved_1y_usd_per_gpu_hour: float | None = Field(default=None, gt=0)
    reserved_3y_usd_per_gpu_hour: float | None = Field(default=None, gt=0)
    spot_usd_per_gpu_hour: float | None = Field(default=None, gt=0)
    egress_usd_per_gb: float = Field(default=0.0, ge=0)
    price_date: str = Field(description="When the price was read, YYYY-MM.")


class ApiPrice(Priced):
    """A cloud inference API price."""

    provider: str
    kind: Literal["llm", "vision"]
    model: str = Field(description="Model id in flatbed's catalog this price serves, if any.")
    usd_per_million_input_tokens: float | None = Field(default=None, ge=0)
    usd_per_million_output_tokens: float | None = Field(default=None, ge=0)
    usd_per_thousand_images: float | None = Field(default=None, ge=0)
    price_date: str


class ModelArch(Record):
    """A transformer LLM's architecture (from its Hugging Face config.json)."""

    hf_id: str = ""
    params_b: float = Field(gt=0, description="Total parameters [billions].")
    active_params_b: float = Field(gt=0, description="Parameters used per token [billions].")
    layers: int = Field(ge=1)
    hidden_size: int = Field(ge=1)
    heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    ffn_size: int = Field(ge=1, description="Dense FFN intermediate size.")
    vocab_size: int = Field(ge=1)
    gated_ffn: bool = Field(default=True, description="SwiGLU-style 3-matrix FFN.")
    # Mixture of experts
    experts: int = Field(default=0, ge=0)
    experts_per_token: int = Field(default=0, ge=0)
    shared_experts: int = Field(default=0, ge=0)
    moe_ffn_size: int = Field(default=0, ge=0)
    dense_layers: int = Field(default=0, ge=0, description="Leading layers with a dense FFN.")
    # Multi-head latent attention (DeepSeek)
    kv_lora_rank: int = Field(default=0, ge=0)
    q_lora_rank: int = Field(default=0, ge=0)
    qk_rope_head_dim: int = Field(default=0, ge=0)
    qk_nope_head_dim: int = Field(default=0, ge=0)
    v_head_dim: int = Field(default=0, ge=0)
    sliding_window: int = Field(default=0, ge=0, description="0 = full attention.")
    sliding_layers_fraction: float = Field(default=0.0, ge=0, le=1)
    max_context_tokens: int = Field(ge=1)

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def uses_mla(self) -> bool:
        return self.kv_lora_rank > 0


class VisionModel(Record):
    """A non-LLM model characterised by work per sample."""

    task: Literal[
        "classification", "detection", "segmentation", "encoder", "diffusion", "speech",
        "recommendation",
    ]
    params_m: float = Field(gt=0, description="Parameters [millions].")
    gflops_per_sample: float = Field(
        gt=0, description="Forward FLOPs per sample at the reference resolution [GFLOP]."
    )
    reference_resolution: tuple[int, int] = Field(description="Input (height, width) [px].")
    activation_mb_per_sample: float = Field(
        ge=0, description="Activation traffic per sample at batch 1 [MB]."
    )


class Climate(Record):
    """A reference climate: location, design conditions and monthly normals."""

    country: str = Field(description="ISO 3166-1 alpha-2.")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    elevation_m: float
    design_db_004_c: float = Field(description="0.4% annual cooling design dry-bulb [°C].")
    design_mcwb_004_c: float = Field(description="Mean coincident wet-bulb at 0.4% [°C].")
    design_heating_996_c: float = Field(description="99.6% heating design dry-bulb [°C].")
    monthly_mean_max_c: tuple[float, ...] = Field(description="12 monthly mean daily maxima [°C].")
    monthly_mean_min_c: tuple[float, ...] = Field(description="12 monthly mean daily minima [°C].")
    monthly_rh_pct: tuple[float, ...] = Field(description="12 monthly mean relative humidity [%].")
    cloud_region_rtt_ms: float | None = Field(
        default=None, gt=0, description="Round trip to the nearest major cloud region [ms]."
    )

    @model_validator(mode="after")
    def _twelve(self) -> Climate:
        for name in ("monthly_mean_max_c", "monthly_mean_min_c", "monthly_rh_pct"):
            if len(getattr(self, name)) != 12:
                raise ValueError(f"{name} needs 12 monthly values")
        return self


KINDS: dict[str, type[Record]] = {
    "accelerators": Accelerator,
    "servers": Server,
    "cooling": CoolingSystem,
    "modules": Module,
    "gensets": Genset,
    "road_limits": RoadLimit,
    "cloud_gpu_offers": CloudGpuOffer,
    "api_prices": ApiPrice,
    "models": ModelArch,
    "vision_models": VisionModel,
    "climates": Climate,
}
"""Catalog kind (file stem under ``catalog/data``) → record type."""
