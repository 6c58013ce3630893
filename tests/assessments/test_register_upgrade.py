"""Upgrading a register made before scopes (revision 0007): it keeps its identities."""

from __future__ import annotations

import datetime as dt

import h3
import shapely
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from assessments import db, hotspot_runs, register
from assessments.models import Hotspot
from cli.identity import Operator
from geo.filters import IncidentFilter
from geo.scope import scope_of
from tests.conftest import import_frame
from tests.geo.planted import planted_frame

ANALYST = Operator(username="ana", role="analyst")
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_a_register_from_before_scopes_keeps_its_ids_after_the_upgrade(engine, tmp_path):
    frame = planted_frame([(0.0, 0.0)], per_cluster=240, noise=0, months=MONTHS)
    import_frame(engine, frame, tmp_path / "incidents.csv")
    # the old code's run over "the last 6 months": its hotspot, as revision 0007 stored it
    first = hotspot_runs.register_run(
        engine,
        actor=ANALYST,
        filt=IncidentFilter(kinds=("incident",), start_month=dt.date(2025, 1, 1)),
    )
    with engine.connect() as conn:
        cells = conn.execute(sa.select(Hotspot.cells)).scalar_one()
    missing_cells = [
        str(h3.str_to_int(c)) for c in h3.grid_disk(h3.latlng_to_cell(52.9, -2.2, 10), 1)
    ]
    _downgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM hotspot_observation"))
        conn.execute(sa.text("DELETE FROM hotspot_status_change"))
        conn.execute(sa.text("DELETE FROM hotspot"))
        conn.execute(
            sa.text("UPDATE hotspot_run SET params = :params"),
            {"params": '{"filter": "Jan 2025 to the latest month; kinds: incident"}'},
        )
        conn.execute(
            sa.text(
                "INSERT INTO hotspot_run (ran_at, ran_by, params, data_version, summary) "
                "VALUES (:at, 'ana', :params, '', '{}')"
            ),
            {"at": dt.datetime.now(dt.UTC), "params": '{"filter": "kinds: missing_from"}'},
        )
        insert = sa.text(
            "INSERT INTO hotspot (id, name, source, status, is_active, first_run_id, last_run_id, "
            "first_seen_at, last_seen_at, n_incidents, cells, boundary_wkb, districts, "
            "by_category, by_month, reason, created_by, updated_at, version) VALUES (:id, '', "
            "'dbscan', 'under review', :active, :run, :run, :at, :at, 240, :cells, :wkb, '[]', "
            "'{}', :by_month, '', 'ana', :at, 3)"
        )
        by_month = "{" + ", ".join(f'"{m}": 40' for m in MONTHS) + "}"
        at = dt.datetime.now(dt.UTC)
        conn.execute(
            insert,
            {
                "id": 7,
                "active": True,
                "run": first.run_id,
                "cells": str(cells).replace("'", '"'),
                "wkb": b"",
                "by_month": by_month,
                "at": at,
            },
        )
        conn.execute(
            insert,
            {
                "id": 8,
                "active": True,
                "run": first.run_id + 1,
                "cells": str(missing_cells).replace("'", '"'),
                "wkb": b"",
                "by_month": "{}",
                "at": at,
            },
        )
    db.migrate(engine)

    with Session(engine) as session:
        old = session.get(Hotspot, 7)
        missing = session.get(Hotspot, 8)
        six_months = scope_of(
            IncidentFilter(kinds=("incident",), start_month=dt.date(2025, 1, 1)),
            newest=dt.date(2025, 6, 1),
        )
        assert old.scope_key == six_months.key()
        assert missing.scope["kinds"] == ["missing_from"]
        assert missing.scope["months"] == "all"
        # nothing finer than resolution 7 is kept about missing-from locations
        assert {h3.get_resolution(h3.int_to_str(int(c))) for c in missing.cells} == {7}
        assert shapely.from_wkb(missing.boundary_wkb).area > 0

    # the same question asked again continues the old place: same id, same status
    summary = hotspot_runs.register_run(
        engine,
        actor=ANALYST,
        filt=IncidentFilter(kinds=("incident",), start_month=dt.date(2025, 1, 1)),
    )
    assert (summary.new, summary.continued) == (0, 1)
    with Session(engine) as session:
        listed = register.list_register(session).set_index("id")
    assert listed.loc[7, "status"] == "under review"
    assert listed.loc[7, "scope"] == "incidents; all districts; last 6 months"
