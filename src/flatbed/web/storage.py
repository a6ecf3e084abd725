"""Saved scenarios and plans, through SQLAlchemy: SQLite by default, PostgreSQL by URL.

The default database is ``flatbed.db`` in :func:`platformdirs.user_data_dir` ("flatbed"), so
saved items survive server restarts. A PostgreSQL URL (``postgresql://user@host/db``) is used
through the psycopg 3 driver (the ``postgres`` extra: ``pip install flatbed[postgres]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from flatbed.plan.result import Plan

NAME_MAX = 200
"""Longest name kept for a saved item [characters]; longer names are cut."""


def default_db_url() -> str:
    """``sqlite:///<user data dir>/flatbed/flatbed.db`` (the folder is created)."""
    folder = Path(user_data_dir("flatbed"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'flatbed.db'}"


def normalize_db_url(url: str) -> str:
    """Map ``postgres://`` and bare ``postgresql://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Base(DeclarativeBase):
    pass


class ScenarioRow(Base):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL"), nullable=True)
    scenario_name: Mapped[str] = mapped_column(String(NAME_MAX))
    sites: Mapped[int] = mapped_column(Integer)
    tco_usd: Mapped[float] = mapped_column(Float)
    feasible: Mapped[bool] = mapped_column(Boolean)
    plan_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class SavedScenario:
    id: int
    name: str
    text: str
    created_at: str

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


@dataclass(frozen=True)
class SavedPlan:
    id: int
    name: str
    scenario_id: int | None
    scenario_name: str
    sites: int
    tco_usd: float
    feasible: bool
    created_at: str
    plan_json: str

    def plan(self) -> Plan:
        return Plan.model_validate_json(self.plan_json)

    def document(self) -> dict[str, Any]:
        """The plan JSON document, exactly as it was saved."""
        doc: dict[str, Any] = json.loads(self.plan_json)
        return doc

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "scenario_id": self.scenario_id,
                "scenario": self.scenario_name, "sites": self.sites, "tco_usd": self.tco_usd,
                "feasible": self.feasible, "created_at": self.created_at}


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:  # SQLite drops the zone; we always store UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat(timespec="seconds")


class Storage:
    """Saved scenarios and plans in one SQL database (tables created on first use)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_db_url(url) if url else default_db_url()
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
        self.engine: Engine = create_engine(self.url, **kwargs)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def _s(self) -> Session:
        return self._session()

    # scenarios -------------------------------------------------------------------------------
    def save_scenario(self, name: str, text: str) -> SavedScenario:
        row = ScenarioRow(name=name[:NAME_MAX] or "scenario", text=text,
                          created_at=datetime.now(UTC))
        with self._s() as s, s.begin():
            s.add(row)
        return _scen(row)

    def list_scenarios(self) -> list[SavedScenario]:
        """Saved scenarios, newest first."""
        with self._s() as s:
            rows = s.scalars(select(ScenarioRow).order_by(ScenarioRow.id.desc())).all()
            return [_scen(r) for r in rows]

    def get_scenario(self, scenario_id: int) -> SavedScenario | None:
        with self._s() as s:
            row = s.get(ScenarioRow, scenario_id)
            return _scen(row) if row else None

    # plans -----------------------------------------------------------------------------------
    def save_plan(self, plan: Plan, name: str = "", scenario_id: int | None = None) -> SavedPlan:
        row = PlanRow(
            name=(name or plan.scenario)[:NAME_MAX], scenario_id=scenario_id,
            scenario_name=plan.scenario[:NAME_MAX], sites=len(plan.sites),
            tco_usd=float(sum(s.tco_usd for s in plan.sites)),
            feasible=all(s.feasible for s in plan.sites),
            plan_json=plan.model_dump_json(), created_at=datetime.now(UTC),
        )
        with self._s() as s, s.begin():
            if scenario_id is not None and s.get(ScenarioRow, scenario_id) is None:
                row.scenario_id = None
            s.add(row)
        return _plan(row)

    def list_plans(self) -> list[SavedPlan]:
        """Saved plans, newest first, without their documents (``plan_json`` is empty)."""
        cols = (PlanRow.id, PlanRow.name, PlanRow.scenario_id, PlanRow.scenario_name,
                PlanRow.sites, PlanRow.tco_usd, PlanRow.feasible, PlanRow.created_at)
        with self._s() as s:
            rows = s.execute(select(*cols).order_by(PlanRow.id.desc())).all()
            return [SavedPlan(id=r[0], name=r[1], scenario_id=r[2], scenario_name=r[3],
                              sites=r[4], tco_usd=r[5], feasible=r[6], created_at=_iso(r[7]),
                              plan_json="") for r in rows]

    def get_plan(self, plan_id: int) -> SavedPlan | None:
        with self._s() as s:
            row = s.get(PlanRow, plan_id)
            return _plan(row) if row else None


def _scen(r: ScenarioRow) -> SavedScenario:
    return SavedScenario(id=r.id, name=r.name, text=r.text, created_at=_iso(r.created_at))


def _plan(r: PlanRow) -> SavedPlan:
    return SavedPlan(id=r.id, name=r.name, scenario_id=r.scenario_id,
                     scenario_name=r.scenario_name, sites=r.sites, tco_usd=r.tco_usd,
                     feasible=r.feasible, created_at=_iso(r.created_at), plan_json=r.plan_json)
