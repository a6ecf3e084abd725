"""Load the sourced catalog from package data and from the user's own files.

A catalog file is YAML holding a list of records of one kind; the file's stem names the kind
(``accelerators.yaml`` → :class:`~flatbed.catalog.records.Accelerator`). A user file may instead be
a mapping ``{kind: KIND, entries: [...]}`` so it can have any name. User entries with an id that
already exists replace the built-in entry (that is how a user corrects a price).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from flatbed.catalog.records import KINDS, ModelArch, Record
from flatbed.errors import InputError
from flatbed.yamlio import load_yaml

R = TypeVar("R", bound=Record)

ENV_PATH = "FLATBED_CATALOG_PATH"
"""Environment variable: extra catalog files or folders, separated by os.pathsep."""


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass
class Table:
    """All records of one kind, addressable by id or alias (case- and punctuation-insensitive)."""

    kind: str
    records: dict[str, Record] = field(default_factory=dict)
    _alias: dict[str, str] = field(default_factory=dict)

    def add(self, rec: Record) -> None:
        self.records[rec.id] = rec
        for name in (rec.id, rec.name, *rec.aliases):
            if name:
                self._alias[_norm(name)] = rec.id

    def resolve(self, name: str) -> str | None:
        """Canonical id for ``name``, or None."""
        return self._alias.get(_norm(name))

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Close matches for a mistyped name (canonical ids)."""
        keys = list(self._alias)
        close = difflib.get_close_matches(_norm(name), keys, n=n * 3, cutoff=0.5)
        out: list[str] = []
        for k in close:
            rid = self._alias[k]
            if rid not in out:
                out.append(rid)
        if not out:  # prefix/substring match catches "H10" → "H100-SXM"
            q = _norm(name)
            out = [rid for k, rid in self._alias.items() if q and (k.startswith(q) or q in k)]
            out = list(dict.fromkeys(out))
        return out[:n]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)


class Catalog:
    """The loaded catalog: one :class:`Table` per kind."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {k: Table(k) for k in KINDS}

    def get(self, kind: str, name: str, cls: type[R] | None = None) -> R:
        """Record of ``kind`` named ``name`` (id or alias); :class:`InputError` with suggestions."""
        table = self.tables[kind]
        rid = table.resolve(name)
        if rid is None:
            hint = table.suggest(name)
            did = f" — did you mean {' or '.join(hint)}?" if hint else ""
            raise InputError(
                f"unknown {kind[:-1] if kind.endswith('s') else kind} {name!r}{did} "
                f"(`flatbed catalog list {kind}` lists them)"
            )
        rec = table.records[rid]
        if cls is not None and not isinstance(rec, cls):
            raise TypeError(f"{rid} is a {type(rec).__name__}, not {cls.__name__}")
        return rec  # type: ignore[return-value]

    def has(self, kind: str, name: str) -> bool:
        return self.tables[kind].resolve(name) is not None

    def all(self, kind: str) -> list[Record]:
        return list(self.tables[kind])

    def find(self, name: str) -> tuple[str, Record] | None:
        """Look ``name`` up across every kind."""
        for kind, table in self.tables.items():
            rid = table.resolve(name)
            if rid is not None:
                return kind, table.records[rid]
        return None

    def add(self, kind: str, rec: Record) -> None:
        self.tables[kind].add(rec)


def _parse_records(kind: str, raw: Any, origin: str) -> list[Record]:
    cls = KINDS[kind]
    if not isinstance(raw, list):
        raise InputError(f"{origin}: expected a list of {kind} entries, got {type(raw).__name__}")
    out: list[Record] = []
    for i, item in enumerate(raw):
        try:
            out.append(cls.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise InputError(
                f"{origin}: entry {ident}: field {loc or '(entry)'}: {first['msg']}"
            ) from None
    return out


def _read_file(path: Path) -> list[tuple[str, Record]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read catalog file: {exc}") from None
    if path.suffix == ".json":
        try:
            cfg = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
        return [("models", model_from_hf_config(cfg, path.parent.name or path.stem, str(path)))]
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML: {exc}") from None
    if isinstance(raw, dict) and "kind" in raw:
        kind = str(raw["kind"])
        entries = raw.get("entries", [])
    else:
        kind, entries = path.stem, raw
    if kind not in KINDS:
        hint = difflib.get_close_matches(kind, list(KINDS), n=1)
        did = f" — did you mean {hint[0]!r}?" if hint else ""
        raise InputError(f"{path}: unknown catalog kind {kind!r}{did}; kinds: {', '.join(KINDS)}")
    return [(kind, r) for r in _parse_records(kind, entries, str(path))]


def _user_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            files += sorted(
                q for q in p.iterdir() if q.suffix in (".yaml", ".yml", ".json") and q.is_file()
            )
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: catalog path does not exist")
    return files


_BUILTIN: Catalog | None = None


def builtin_catalog() -> Catalog:
    """The catalog shipped in the package (cached; records are frozen)."""
    global _BUILTIN
    if _BUILTIN is None:
        cat = Catalog()
        data = resources.files("flatbed.catalog") / "data"
        for kind in KINDS:
            res = data / f"{kind}.yaml"
            if not res.is_file():
                continue
            raw = load_yaml(res.read_text(encoding="utf-8"))
            for rec in _parse_records(kind, raw or [], f"catalog/data/{kind}.yaml"):
                cat.add(kind, rec)
        _BUILTIN = cat
    return _BUILTIN


def load_catalog(extra_paths: Iterable[str | Path] = ()) -> Catalog:
    """Built-in catalog plus user files from ``extra_paths`` and ``$FLATBED_CATALOG_PATH``."""
    paths = list(extra_paths)
    env = os.environ.get(ENV_PATH, "")
    paths += [p for p in env.split(os.pathsep) if p]
    base = builtin_catalog()
    if not paths:
        return base
    cat = Catalog()
    for kind, table in base.tables.items():
        for rec in table:
            cat.add(kind, rec)
    for f in _user_files(paths):
        for kind, rec in _read_file(f):
            cat.add(kind, rec)
    return cat


def model_from_hf_config(cfg: dict[str, Any], model_id: str, origin: str) -> ModelArch:
    """Build a :class:`ModelArch` from a Hugging Face ``config.json`` mapping.

    Handles the Llama/Qwen/Mistral family, Mixtral-style MoE (``num_local_experts``), DeepSeek-V3
    (MLA and ``n_routed_experts``) and gpt-oss. Parameter counts are computed from the shapes.
    """
    try:
        hidden = int(cfg["hidden_size"])
        layers = int(cfg["num_hidden_layers"])
        heads = int(cfg["num_attention_heads"])
        vocab = int(cfg["vocab_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{origin}: not a transformer config.json (missing {exc})") from None
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or hidden // heads)
    ffn = int(cfg.get("intermediate_size") or 4 * hidden)
    experts = int(cfg.get("num_local_experts") or cfg.get("n_routed_experts") or 0)
    topk = int(cfg.get("num_experts_per_tok") or cfg.get("experts_per_token") or 0)
    shared = int(cfg.get("n_shared_experts") or 0)
    moe_ffn = int(cfg.get("moe_intermediate_size") or (ffn if experts else 0))
    dense_layers = int(cfg.get("first_k_dense_replace") or 0) if experts else 0
    kv_lora = int(cfg.get("kv_lora_rank") or 0)
    q_lora = int(cfg.get("q_lora_rank") or 0)
    rope = int(cfg.get("qk_rope_head_dim") or 0)
    nope = int(cfg.get("qk_nope_head_dim") or 0)
    v_dim = int(cfg.get("v_head_dim") or 0)
    window = int(cfg.get("sliding_window") or 0)
    tied = bool(cfg.get("tie_word_embeddings", False))

    if kv_lora:
        q_in = hidden * q_lora + q_lora * heads * (nope + rope) if q_lora else hidden * heads * (
            nope + rope
        )
        attn = q_in + hidden * (kv_lora + rope) + kv_lora * heads * (nope + v_dim)
        attn += heads * v_dim * hidden
    else:
        attn = hidden * head_dim * (heads + 2 * kv_heads) + heads * head_dim * hidden
    mats = 3
    dense_ffn = mats * hidden * ffn
    expert_ffn = mats * hidden * moe_ffn
    if experts:
        moe_layers = layers - dense_layers
        ffn_total = dense_layers * dense_ffn + moe_layers * (experts + shared) * expert_ffn
        ffn_active = dense_layers * dense_ffn + moe_layers * (topk + shared) * expert_ffn
        router = moe_layers * hidden * experts
    else:
        ffn_total = ffn_active = layers * dense_ffn
        router = 0
    embed = vocab * hidden * (1 if tied else 2)
    total = layers * attn + ffn_total + router + embed
    active = layers * attn + ffn_active + router + embed
    return ModelArch(
        id=model_id,
        name=str(cfg.get("_name_or_path") or model_id),
        source=f"Hugging Face config.json ({origin}); parameter counts computed from shapes",
        hf_id=str(cfg.get("_name_or_path") or ""),
        params_b=total / 1e9,
        active_params_b=active / 1e9,
        layers=layers,
        hidden_size=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim if not kv_lora else nope + rope,
        ffn_size=ffn,
        vocab_size=vocab,
        experts=experts,
        experts_per_token=topk,
        shared_experts=shared,
        moe_ffn_size=moe_ffn if experts else 0,
        dense_layers=dense_layers,
        kv_lora_rank=kv_lora,
        q_lora_rank=q_lora,
        qk_rope_head_dim=rope,
        qk_nope_head_dim=nope,
        v_head_dim=v_dim,
        sliding_window=window if window and window < int(cfg.get("max_position_embeddings") or 0)
        else 0,
        max_context_tokens=int(cfg.get("max_position_embeddings") or 4096),
    )
