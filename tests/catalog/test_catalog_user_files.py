"""Users extend and correct the catalog with their own files, and get suggestions on typos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flatbed.catalog import Accelerator, ModelArch, builtin_catalog, load_catalog
from flatbed.catalog.loader import ENV_PATH
from flatbed.errors import InputError

PRICE_FIX = """\
- id: H100-SXM
  name: NVIDIA H100 SXM (our negotiated price)
  aliases: [h100_sxm]
  vendor: nvidia
  family: hopper
  form_factor: sxm
  year: 2022
  peak_dense_tflops: {bf16: 989.5, fp8: 1979}
  memory_gb: 80
  memory_bandwidth_tb_per_s: 3.35
  tdp_w: 700
  interconnect: NVLink4
  interconnect_gb_per_s: 900
  nvlink_domain: 8
  price_usd: 21000
  currency_year: 2026
  source: Purchase order PO-1234, 2026-03-01
"""


def test_user_file_overrides_a_builtin_price(tmp_path: Path) -> None:
    f = tmp_path / "accelerators.yaml"
    f.write_text(PRICE_FIX, encoding="utf-8")
    cat = load_catalog([f])
    h100 = cat.get("accelerators", "h100_sxm", Accelerator)
    assert h100.price_usd == 21000 and h100.currency_year == 2026
    # the built-in catalog is untouched and other entries are still there
    assert builtin_catalog().get("accelerators", "H100-SXM", Accelerator).price_usd == 30000
    assert cat.get("accelerators", "B200", Accelerator).price_usd == 40000


def test_env_path_and_kind_entries_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "site-catalog"
    folder.mkdir()
    (folder / "our_prices.yaml").write_text(
        "kind: accelerators\nentries:\n" + "\n".join("  " + ln for ln in PRICE_FIX.splitlines()),
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_PATH, str(folder))
    cat = load_catalog()
    assert cat.get("accelerators", "H100-SXM", Accelerator).price_usd == 21000


def test_user_config_json_becomes_a_model(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-llama-13b"
    model_dir.mkdir()
    cfg = {"_name_or_path": "acme/my-llama-13b", "hidden_size": 5120, "num_hidden_layers": 40,
           "num_attention_heads": 40, "num_key_value_heads": 40, "intermediate_size": 13824,
           "vocab_size": 32000, "max_position_embeddings": 4096}
    (model_dir / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    cat = load_catalog([model_dir / "config.json"])
    m = cat.get("models", "my-llama-13b", ModelArch)
    # Llama-2-13B shapes: 13.0B parameters (Meta model card)
    assert m.params_b == pytest.approx(13.0, rel=0.02)
    assert m.layers == 40 and m.kv_heads == 40 and m.max_context_tokens == 4096
    assert "config.json" in m.source


def test_typo_suggests_the_intended_part() -> None:
    table = builtin_catalog().tables["accelerators"]
    assert "H100-SXM" in table.suggest("H10")
    assert "MI300X" in table.suggest("MI300")
    with pytest.raises(InputError, match="H100-SXM"):
        builtin_catalog().get("accelerators", "H10")


def test_bad_user_entry_names_file_entry_and_field(tmp_path: Path) -> None:
    f = tmp_path / "accelerators.yaml"
    f.write_text(PRICE_FIX.replace("memory_gb: 80", "memory_gb: -1"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_catalog([f])
    msg = str(err.value)
    assert str(f) in msg and "H100-SXM" in msg and "memory_gb" in msg


def test_unknown_kind_is_reported_with_a_hint(tmp_path: Path) -> None:
    f = tmp_path / "acelerators.yaml"
    f.write_text(PRICE_FIX, encoding="utf-8")
    with pytest.raises(InputError, match="accelerators"):
        load_catalog([f])
