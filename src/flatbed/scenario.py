"""The scenario: what the user wants planned. YAML in, validated and typed out.

Errors name the file, the line, the field path, what was expected and close matches for typos;
:func:`load_scenario` raises :class:`~flatbed.errors.InputError` for every kind of bad input
(bad YAML, wrong types, unknown catalog ids, a non-UTF-8 file, an empty or oversized file).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flatbed.catalog import Catalog, load_catalog
from flatbed.errors import InputError
from flatbed.yamlio import compose_yaml, load_yaml

MAX_SCENARIO_BYTES = 5_000_000
"""Largest scenario file accepted; real scenarios are a few kB, a fleet of 1,000 sites ~1 MB."""

DAILY_PROFILES: dict[str, tuple[float, ...]] = {
    # Hourly multipliers of the peak rate, local time 00..23. Shapes, not measurements: they are
    # labelled presets the user picks or replaces with their own 24 numbers.
    "flat": (1.0,) * 24,
    "factory_24_7": (0.9,) * 6 + (1.0,) * 16 + (0.9,) * 2,
    "office_hours": (0.1,) * 7
    + (0.5, 0.9, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 0.9, 0.6)
    + (0.3, 0.2, 0.15, 0.1, 0.1, 0.1),
    "evening_peak": (
        0.3,
        0.2,
        0.15,
        0.1,
        0.1,
        0.1,
        0.2,
        0.35,
        0.45,
        0.5,
        0.5,
        0.55,
        0.6,
        0.55,
        0.55,
        0.6,
        0.65,
        0.75,
        0.9,
        1.0,
        1.0,
        0.95,
        0.75,
        0.5,
    ),
    "hospital": (0.4,) * 6
    + (0.6, 0.8, 1.0, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 0.9, 0.8)
    + (0.7, 0.6, 0.5, 0.5, 0.45, 0.4),
}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenDist(Model):
    """A token-length distribution."""

    mean: float = Field(gt=0, description="Mean length [tokens].")
    dist: Literal["fixed", "exponential", "lognormal", "uniform"] = "lognormal"
    sigma: float = Field(default=0.5, ge=0, description="Lognormal shape (std of log).")
    max: int | None = Field(default=None, gt=0, description="Truncate at this many tokens.")


class DataRule(Model):
    """Where a workload's data may be processed, and why."""

    where: Literal["on_site", "in_country", "anywhere"] = "anywhere"
    regime: str = Field(
        default="none", description="The rule that requires it, e.g. HIPAA, ITAR, GDPR, CJIS."
    )
    note: str = ""


class WorkloadBase(Model):
    id: str = Field(min_length=1)
    site: str | None = Field(default=None, description="Site id; omit when there is one site.")
    data: DataRule = Field(default_factory=DataRule)
    daily_profile: str | list[float] = Field(
        default="flat",
        description=f"Preset ({', '.join(DAILY_PROFILES)}) or 24 hourly multipliers of the peak.",
    )
    accelerators: list[str] | None = Field(
        default=None, description="Restrict the search to these accelerators."
    )

    @field_validator("daily_profile")
    @classmethod
    def _profile(cls, v: str | list[float]) -> str | list[float]:
        if isinstance(v, str):
            if v not in DAILY_PROFILES:
                hint = difflib.get_close_matches(v, list(DAILY_PROFILES), n=1)
                did = f" — did you mean {hint[0]!r}?" if hint else ""
                raise ValueError(
                    f"unknown daily profile {v!r}{did}; presets: {', '.join(DAILY_PROFILES)}"
                )
        elif len(v) != 24 or min(v) < 0 or max(v) <= 0:
            raise ValueError("a daily profile needs 24 non-negative hourly multipliers")
        return v

    def profile(self) -> tuple[float, ...]:
        """Hourly multipliers normalized so the peak hour is 1."""
        raw = (
            DAILY_PROFILES[self.daily_profile]
            if isinstance(self.daily_profile, str)
            else tuple(self.daily_profile)
        )
        peak = max(raw)
        return tuple(x / peak for x in raw)


class LLMWorkload(WorkloadBase):
    """LLM serving: requests with prompt and output lengths, SLOs at p99."""

    kind: Literal["llm"] = "llm"
    model: str = Field(description="Model id from the catalog (or a user config.json).")
    precision: Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"] = "fp8"
    engine: Literal["vllm", "sglang", "trtllm"] = "vllm"
    peak_requests_per_s: float = Field(gt=0, description="Arrival rate at the peak hour [1/s].")
    input_tokens: TokenDist = Field(default_factory=lambda: TokenDist(mean=1024))
    output_tokens: TokenDist = Field(default_factory=lambda: TokenDist(mean=256))
    ttft_p99_ms: float = Field(gt=0, description="Time-to-first-token SLO at p99 [ms].")
    tpot_p99_ms: float = Field(gt=0, description="Time-per-output-token SLO at p99 [ms].")


class VisionWorkload(WorkloadBase):
    """Real-time vision on camera streams."""

    kind: Literal["vision"] = "vision"
    model: str = Field(description="Vision model id from the catalog.")
    precision: Literal["fp16", "bf16", "fp8", "int8"] = "int8"
    streams: int = Field(gt=0, description="Camera streams.")
    fps: float = Field(gt=0, description="Frames per second per stream.")
    resolution: tuple[int, int] = Field(
        default=(640, 640), description="Model input (height, width) [px]."
    )
    deadline_p99_ms: float = Field(gt=0, description="Frame deadline at p99 [ms].")


Workload = Annotated[LLMWorkload | VisionWorkload, Field(discriminator="kind")]


class Site(Model):
    """A place where modules can be set down."""

    id: str = Field(min_length=1)
    name: str = ""
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    elevation_m: float | None = Field(default=None, ge=-500, le=6000)
    climate: str = Field(description="Reference climate id (`flatbed catalog list climates`).")
    weather_file: str | None = Field(default=None, description="EPW file (overrides climate).")
    grid_kw: float = Field(default=0, ge=0, description="Grid connection ceiling [kW]; 0 = none.")
    grid_usd_per_kwh: float = Field(
        default=0.093, ge=0,
        description="Grid energy price [USD/kWh]; default: US industrial average, EIA Electric "
        "Power Monthly, Jan 2026 ($0.0929).",
    )
    generators_allowed: bool = True
    fuel: Literal["diesel", "natural_gas"] = "diesel"
    diesel_usd_per_l: float = Field(
        default=0.97, ge=0,
        description="Delivered diesel [USD/L]; default: EIA 2025 US on-highway average "
        "$3.66/gal ÷ 3.785 L/gal.",
    )
    gas_usd_per_m3: float = Field(
        default=0.134, ge=0,
        description="Natural gas [USD/m³]; default: Henry Hub H1 2025 $3.66/MMBtu (EIA) × "
        "1.037 MMBtu/Mcf ÷ 28.32 m³/Mcf — commodity only, add delivery for your site.",
    )
    pads: int = Field(default=2, ge=1, description="Module pads available.")
    road: str = Field(default="US", description="Road-limit id for the last leg.")
    cloud_rtt_ms: float | None = Field(
        default=None, gt=0, description="Measured round trip to the cloud region [ms]."
    )
    cloud_distance_km: float | None = Field(
        default=None, gt=0, description="Fibre distance to the cloud region [km]."
    )
    lan_rtt_ms: float = Field(
        default=0.5, ge=0,
        description="On-site client↔module RTT [ms]; default a labelled estimate (a few "
        "switch hops at ≤ 0.1 ms each, research notes §7, plus host stacks).",
    )

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class Prices(Model):
    """User overrides of catalog prices and financial assumptions."""

    accelerator_usd: dict[str, float] = Field(default_factory=dict)
    server_usd: dict[str, float] = Field(default_factory=dict)
    # The defaults below are labelled planning estimates (USD 2025), not quotes: set your own.
    discount_rate: float = Field(
        default=0.08, ge=0, le=1, description="Cost of capital [1/yr] (estimate)."
    )
    maintenance_fraction_per_year: float = Field(
        default=0.05, ge=0, le=1, description="Hardware maintenance, share of capex per year "
        "(estimate)."
    )
    staff_usd_per_year: float = Field(
        default=60_000, ge=0, description="Remote hands per site [USD/yr] (estimate)."
    )
    connectivity_usd_per_year: float = Field(
        default=24_000, ge=0, description="WAN link per site [USD/yr] (estimate)."
    )
    site_lease_usd_per_year: float = Field(
        default=12_000, ge=0, description="Pad lease per site [USD/yr] (estimate)."
    )
    insurance_fraction_per_year: float = Field(
        default=0.01, ge=0, le=1, description="Insurance, share of capex per year (estimate)."
    )
    carbon_kg_per_kwh_grid: float = Field(
        default=0.37, ge=0, description="Grid carbon intensity [kg CO2/kWh]; default: US "
        "average, EIA (2023: 0.81 lb/kWh)."
    )


class Constraints(Model):
    max_throttled_hours: float = Field(
        default=0, ge=0, description="SLO-breaking throttled hours per year tolerated."
    )
    cooling: list[str] | None = Field(default=None, description="Allowed cooling ids.")
    modules: list[str] | None = Field(default=None, description="Allowed module ids.")
    power_source: Literal["auto", "grid", "generator"] = "auto"
    redundancy: Literal["N", "N+1"] = "N+1"
    objective: str = Field(
        default="tco",
        description="What the single-site search minimizes: tco, capex, energy, time_to_live, "
        "or an objective a plug-in registered (flatbed.plan.choose.OBJECTIVES).",
        examples=["tco", "capex", "energy", "time_to_live"],
    )
    power_caps: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=lambda: [1.0, 0.8, 0.6], min_length=1,
        description="GPU power limits the single-site search tries, as fractions of TDP "
        "(one per site, set on every GPU); [1.0] plans uncapped only.",
    )


class Stages(Model):
    """Which registered model runs each replaceable stage of the chain (``flatbed.registry``).

    ``flatbed`` is the built-in one; a plug-in (``flatbed plan --plugin FILE``, or registering
    in Python before planning) adds others."""

    llm_sizing: str = Field(
        default="flatbed", description="LLM replica sizing (flatbed.serving.sizing.LLM_SIZING)."
    )
    vision_sizing: str = Field(
        default="flatbed",
        description="Vision replica sizing (flatbed.serving.sizing.VISION_SIZING).",
    )
    cooling_power: str = Field(
        default="flatbed",
        description="Cooling power model (flatbed.facility.cooling.COOLING_POWER).",
    )


class Scenario(Model):
    """A whole planning question: sites, workloads, horizon, prices and constraints."""

    name: str = "scenario"
    description: str = ""
    horizon_years: int = Field(default=5, ge=1, le=30)
    currency_year: int = Field(default=2025, ge=2000, le=2100)
    finance: Literal["buy", "lease", "finance"] = "buy"
    catalog_paths: list[str] = Field(default_factory=list)
    sites: list[Site] = Field(min_length=1)
    workloads: list[Workload] = Field(min_length=1)
    prices: Prices = Field(default_factory=Prices)
    constraints: Constraints = Field(default_factory=Constraints)
    stages: Stages = Field(default_factory=Stages)

    @model_validator(mode="after")
    def _links(self) -> Scenario:
        site_ids = [s.id for s in self.sites]
        _unique(site_ids, "sites")
        _unique([w.id for w in self.workloads], "workloads")
        for i, w in enumerate(self.workloads):
            if w.site is None:
                if len(site_ids) > 1:
                    raise _LocError(
                        ("workloads", i, "site"), "required when the scenario has several sites"
                    )
                w.site = site_ids[0]
            elif w.site not in site_ids:
                raise _LocError(
                    ("workloads", i, "site"), f"unknown site {w.site!r}{_did(w.site, site_ids)}"
                )
        return self

    def site_workloads(self, site_id: str) -> list[LLMWorkload | VisionWorkload]:
        return [w for w in self.workloads if w.site == site_id]


class _LocError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc


def _did(name: str, options: Sequence[str]) -> str:
    hint = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" — did you mean {hint[0]!r}?" if hint else ""


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise _LocError((what, i, "id"), f"duplicate id {x!r}")
        seen.add(x)


# ---------------------------------------------------------------------------------------------
# Loading with line-aware errors


def _line_map(
    node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[Any, ...], int]
) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            out[(*path, key)] = k.start_mark.line + 1
            _line_map(v, (*path, key), out)
            out[(*path, key)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_map(v, (*path, i), out)


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _fmt_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic adds the union tag ('llm'/'vision') and validator names to locations
    return tuple(p for p in loc if p not in ("llm", "vision") and not str(p).startswith("function"))


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """Known field names at the parent of ``loc`` for 'did you mean' on unknown keys."""
    cls: Any = Scenario
    for p in loc[:-1]:
        if isinstance(p, int):
            continue
        fld = cls.model_fields.get(p)
        if fld is None:
            return []
        ann = fld.annotation
        args = getattr(ann, "__args__", ())
        inner = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        for a in args:
            inner += [
                b
                for b in getattr(a, "__args__", ())
                if isinstance(b, type) and issubclass(b, BaseModel)
            ]
        if not inner:
            return []
        cls = inner[0]
        if cls in (LLMWorkload, VisionWorkload):
            return sorted(set(LLMWorkload.model_fields) | set(VisionWorkload.model_fields))
    return list(cls.model_fields)


def parse_scenario(
    text: str, origin: str = "<scenario>", catalog: Catalog | None = None
) -> Scenario:
    """Validate scenario YAML text; :class:`InputError` on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENARIO_BYTES:
        raise InputError(
            f"{origin}: the file is larger than {MAX_SCENARIO_BYTES // 1_000_000} MB; a scenario "
            "is a few kilobytes of YAML — is this the right file?"
        )
    if not text.strip():
        raise InputError(
            f"{origin}: the file is empty; expected a YAML scenario with `sites` and "
            "`workloads` (see `flatbed schema` or examples/)."
        )
    try:
        node = compose_yaml(text)
        raw = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        raise InputError(f"{origin}: {where}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(
            f"{origin}: expected a mapping with `sites` and `workloads` at the top "
            f"level, got {type(raw).__name__}"
        )
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    try:
        scen = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_explain(exc, origin, lines)) from None
    except _LocError as exc:
        raise InputError(_at(origin, exc.loc, lines, str(exc))) from None
    cat = catalog if catalog is not None else load_catalog(_catalog_paths(scen, origin))
    check_references(scen, cat, origin, lines)
    check_stages(scen, origin, lines)
    return scen


def _catalog_paths(scen: Scenario, origin: str) -> list[Path]:
    base = Path(origin).parent if not origin.startswith("<") else Path.cwd()
    return [(base / p) for p in scen.catalog_paths]


def _at(origin: str, loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int], msg: str) -> str:
    line = _line_for(loc, lines)
    where = f"line {line}: " if line else ""
    return f"{origin}: {where}{_fmt_loc(loc)}: {msg}"


def _explain(exc: ValidationError, origin: str, lines: dict[tuple[Any, ...], int]) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = _clean_loc(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            names = _field_names(loc)
            msg = f"unknown field {loc[-1]!r}{_did(str(loc[-1]), names)}"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
            msg = "expected `kind: llm` or `kind: vision`"
        else:
            inp = err.get("input")
            if inp is not None and not isinstance(inp, dict | list):
                msg += f" (got {inp!r})"
        parts.append(_at(origin, loc, lines, msg))
    more = len(exc.errors()) - 5
    tail = f" (and {more} more)" if more > 0 else ""
    return "; ".join(parts) + tail


_NOUNS = {
    "accelerators": "accelerator", "models": "model", "vision_models": "vision model",
    "climates": "climate", "road_limits": "road limit", "cooling": "cooling",
    "modules": "module", "servers": "server",
}


def check_references(
    scen: Scenario,
    cat: Catalog,
    origin: str = "<scenario>",
    lines: dict[tuple[Any, ...], int] | None = None,
) -> None:
    """Every catalog id the scenario names must exist (with suggestions when it does not)."""
    lines = lines or {}

    def need(kind: str, name: str, loc: tuple[Any, ...]) -> None:
        if not cat.has(kind, name):
            hint = cat.tables[kind].suggest(name)
            did = f" — did you mean {' or '.join(hint)}?" if hint else ""
            raise InputError(_at(origin, loc, lines, f"unknown {_NOUNS[kind]} {name!r}{did}"))

    for i, s in enumerate(scen.sites):
        if s.weather_file is None:
            need("climates", s.climate, ("sites", i, "climate"))
        need("road_limits", s.road, ("sites", i, "road"))
    for i, w in enumerate(scen.workloads):
        need("models" if w.kind == "llm" else "vision_models", w.model, ("workloads", i, "model"))
        for j, a in enumerate(w.accelerators or []):
            need("accelerators", a, ("workloads", i, "accelerators", j))
    for a in scen.prices.accelerator_usd:
        need("accelerators", a, ("prices", "accelerator_usd", a))
    for a in scen.prices.server_usd:
        need("servers", a, ("prices", "server_usd", a))
    for j, c in enumerate(scen.constraints.cooling or []):
        need("cooling", c, ("constraints", "cooling", j))
    for j, m in enumerate(scen.constraints.modules or []):
        need("modules", m, ("constraints", "modules", j))


def check_stages(
    scen: Scenario,
    origin: str = "<scenario>",
    lines: dict[tuple[Any, ...], int] | None = None,
) -> None:
    """Every stage the scenario picks (and its objective) must be registered."""
    # imported here: the registries live beside their built-in models, which import this module
    from flatbed.facility.cooling import COOLING_POWER
    from flatbed.plan.choose import OBJECTIVES
    from flatbed.serving.sizing import LLM_SIZING, VISION_SIZING

    picks: list[tuple[Any, str, tuple[Any, ...]]] = [
        (LLM_SIZING, scen.stages.llm_sizing, ("stages", "llm_sizing")),
        (VISION_SIZING, scen.stages.vision_sizing, ("stages", "vision_sizing")),
        (COOLING_POWER, scen.stages.cooling_power, ("stages", "cooling_power")),
        (OBJECTIVES, scen.constraints.objective, ("constraints", "objective")),
    ]
    for registry, name, loc in picks:
        if name not in registry:
            raise InputError(_at(origin, loc, lines or {}, registry.unknown(name)))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file; with no path, the built-in example."""
    if path is None:
        text = (resources.files("flatbed") / "examples" / "builtin.yaml").read_text("utf-8")
        return parse_scenario(text, "<built-in example>")
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{p}: is a folder; expected a scenario YAML file")
        size = p.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise InputError(
                f"{p}: the file is {size / 1e6:.0f} MB, larger than the "
                f"{MAX_SCENARIO_BYTES // 1_000_000} MB a scenario may be — is this the right file?"
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{p}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save the scenario as UTF-8"
        ) from None
    return with_paths_from(parse_scenario(text, str(p)), p.parent)


def with_paths_from(scen: Scenario, folder: Path) -> Scenario:
    """``scen`` with its relative ``catalog_paths`` and weather files made absolute against
    ``folder`` (the scenario file's), so every later stage and worker reads the same files
    whatever the working folder."""
    def fix(path: str) -> str:
        return path if Path(path).is_absolute() else str((folder / path).resolve())

    sites = [s.model_copy(update={"weather_file": fix(s.weather_file)}) if s.weather_file
             else s for s in scen.sites]
    return scen.model_copy(update={"catalog_paths": [fix(c) for c in scen.catalog_paths],
                                   "sites": sites})
