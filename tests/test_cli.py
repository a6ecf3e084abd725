"""The command line: exit statuses, error paragraphs without tracebacks, schema and catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flatbed.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def test_schema_is_json_schema_with_sites_and_workloads() -> None:
    code, text = run("schema")
    assert code == 0
    schema = json.loads(text)
    assert {"sites", "workloads"} <= set(schema["properties"])
    assert "sites" in schema["required"]


def test_catalog_list_and_show() -> None:
    code, text = run("catalog", "list", "accelerators")
    assert code == 0 and "H100-SXM" in text
    code, text = run("catalog", "show", "h100_sxm")
    assert code == 0 and "memory_bandwidth_tb_per_s" in text


def test_catalog_typos_exit_2_with_suggestion() -> None:
    code, text = run("catalog", "show", "H10")
    assert code == 2 and "did you mean" in text and "Traceback" not in text
    code, text = run("catalog", "list", "acelerators")
    assert code == 2 and "accelerators" in text


BAD = {
    "wrong_type.yaml": "sites: 3\nworkloads: []\n",
    "bad_yaml.yaml": "sites: [\n",
    "empty.yaml": "",
}


@pytest.mark.parametrize("name", ["wrong_type.yaml", "bad_yaml.yaml", "empty.yaml"])
def test_plan_bad_scenarios_exit_2_without_traceback(tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    f.write_text(BAD[name], encoding="utf-8")
    code, text = run("plan", str(f), "-o", str(tmp_path / "out"))
    assert code == 2, text
    assert "Traceback" not in text and str(f) in text
    assert not (tmp_path / "out").exists()


def test_plan_non_utf8_and_huge_files_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"name: caf\xe9\n")
    code, text = run("plan", str(f))
    assert code == 2 and "UTF-8" in text
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# x\n" * 13_000_000)  # ~52 MB
    code, text = run("plan", str(big))
    assert code == 2 and "larger than" in text
