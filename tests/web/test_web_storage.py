"""The storage layer: SQLite file by default, PostgreSQL URLs mapped to psycopg 3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flatbed.plan.result import Plan
from flatbed.web import storage
from flatbed.web.storage import Storage, normalize_db_url


def test_default_is_sqlite_in_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    seen: list[str] = []

    def fake(app: str) -> str:
        seen.append(app)
        return str(tmp_path / "data")

    monkeypatch.setattr(storage, "user_data_dir", fake)
    st = Storage()
    assert seen == ["flatbed"]
    assert st.url == f"sqlite:///{tmp_path / 'data' / 'flatbed.db'}"
    st.save_scenario("a", "sites: []")
    assert (tmp_path / "data" / "flatbed.db").is_file()
    st.close()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_db_url("postgresql://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert normalize_db_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_db_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_db_url("sqlite:///x.db") == "sqlite:///x.db"


def test_names_cut_and_missing_scenario_link_dropped(
        tmp_path: Path, sample_plan: Callable[..., Plan]) -> None:
    st = Storage(f"sqlite:///{tmp_path / 's.db'}")
    plan = sample_plan(1, hourly=False)
    saved = st.save_plan(plan, name="n" * 500, scenario_id=42)
    assert len(saved.name) == storage.NAME_MAX and saved.scenario_id is None
    got = st.get_plan(saved.id)
    assert got is not None and got.plan() == plan
    assert st.list_plans()[0].plan_json == ""  # listings do not carry the documents
    assert st.display_url.startswith("sqlite:///")
    st.close()
