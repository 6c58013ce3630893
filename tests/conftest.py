"""Shared fixtures: sample frames, the real police.uk data, and a clean database per test.

The ``engine`` fixture is parametrised over SQLite and PostgreSQL, so every test that touches the
store runs on both. PostgreSQL is the server at 127.0.0.1:5432 (user postgres, database ``test``);
each test session creates its own database there and drops it at the end. Without a server the
PostgreSQL half is skipped locally, and fails on CI (``CI`` set), where the server must run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from assessments import db
from assessments.models import Base

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
POLICE_UK_DIR = SHARED_DATA / "police_uk" / "staffordshire"
BOUNDARIES_DIR = SHARED_DATA / "boundaries"
PG_ADMIN_URL = os.environ.get(
    "SAFERPLACES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def police_uk_files() -> list[Path]:
    """The five real Staffordshire police.uk street files from ``../shared`` (skip if absent)."""
    files = sorted(POLICE_UK_DIR.glob("*-street.csv"))
    if len(files) != 5:
        pytest.skip(f"real police.uk data not found in {POLICE_UK_DIR} (../shared is absent)")
    return files


@pytest.fixture(scope="session")
def ltla_geojson() -> Path:
    """The real ONS LAD (Dec 2019) boundaries from ``../shared`` (skip if absent)."""
    path = BOUNDARIES_DIR / "lad_england_dec2019_buc" / "ltla.geojson"
    if not path.exists():
        pytest.skip(f"real boundary data not found at {path} (../shared is absent)")
    return path


def _pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError:
        return False
    return True


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = db.get_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()
    db.clear_engines()
    return path


@pytest.fixture(scope="session")
def _pg_url() -> Iterator[str]:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}; CI must start it")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"saferplaces_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = db.get_engine(url)
    db.migrate(engine)
    yield url
    engine.dispose()
    db.clear_engines()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


#: Reference data seeded by migrations, kept between tests.
REFERENCE_TABLES = frozenset({"site_type"})


def _truncate_all(engine: Engine) -> None:
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    tables = ", ".join(f'"{name}"' for name in names)
    with engine.begin() as conn:
        # The app can never empty the append-only audit table; the test harness may, between tests.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or a truncated PostgreSQL database."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "store.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_pg_url")
        _truncate_all(db.get_engine(url))
    engine = db.get_engine(url)
    yield engine
    if request.param == "sqlite":
        engine.dispose()
        db.clear_engines()


@pytest.fixture
def configured(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """Point the app and the CLI (through ``SAFERPLACES_*`` settings) at the test database."""
    monkeypatch.setenv("SAFERPLACES_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFERPLACES_DATA_DIR", str(tmp_path / "var"))
    import streamlit as st

    st.cache_data.clear()  # AppTest runs share this process's caches
    return engine


def import_frame(engine: Engine, frame, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    """Write incidents as a CSV and import it through the real importer; return the report."""
    from assessments.imports import import_files

    columns = {
        "lat": "latitude",
        "lon": "longitude",
        "month": "month",
        "category": "category",
        "kind": "kind",
        "flags": "flags",
        "age_band": "age_band",
        "date": "date",
        "hour": "hour",
    }
    out = frame[[c for c in columns if c in frame]].rename(columns=columns).copy()
    out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    if "date" in out:
        out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    if "flags" in out:
        out["flags"] = out["flags"].fillna("").str.strip(",").str.replace(",", ";")
    out.to_csv(path, index=False)
    return import_files(engine, [path], **kwargs)


def add_north_district(session) -> None:  # type: ignore[no-untyped-def]
    """Add district N1 ("North"), a box from (-2.5, 52.5) to (-1.5, 53.0), to a session."""
    import shapely

    from assessments.models import District

    box = shapely.box(-2.5, 52.5, -1.5, 53.0)
    session.add(
        District(
            code="N1",
            name="North",
            boundary_wkb=box.wkb,
            min_lon=-2.5,
            min_lat=52.5,
            max_lon=-1.5,
            max_lat=53.0,
        )
    )
    session.flush()
