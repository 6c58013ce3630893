"""The audit trail: times from the database, a hash chain, and an app role that owns nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assessments import db
from assessments.audit import GENESIS, event_hash, record_event, verify_chain
from assessments.models import AuditEvent
from assessments.users import add_user
from cli.identity import OPERATOR
from cli.main import main


def _record(engine, n, *, start=0):
    for i in range(start, start + n):
        with Session(engine) as session, session.begin():
            record_event(session, actor="cli", action="test", entity="x", entity_id=i)


def _events(engine):
    with Session(engine) as session:
        return session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_events_form_one_chain_with_database_times(engine):
    _record(engine, 3)
    with Session(engine) as session, session.begin():  # several events in one flush
        for i in range(3):
            record_event(session, actor="cli", action="batch", entity_id=i)
    events = _events(engine)
    prev = GENESIS
    for e in events:
        assert e.prev_hash == prev
        assert e.hash == event_hash(prev, e)
        prev = e.hash
    stamp = events[-1].at
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    assert abs(stamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    check = verify_chain(engine)
    assert check.ok, check.describe()
    assert check.checked == 6


def test_a_client_time_is_ignored_and_a_back_dated_insert_refused(engine):
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        event = record_event(session, actor="cli", action="test")
        event.at = old  # the app's own value is replaced by the database's clock
    assert _events(engine)[0].at.year != 2020
    with (
        pytest.raises(sa.exc.DBAPIError, match="audit event times are set by the database"),
        engine.begin() as conn,
    ):
        conn.execute(
            text(
                "INSERT INTO audit_event (at, actor, actor_role, action, entity, entity_id, "
                "detail) VALUES (:at, 'eve', '', 'forged', '', '', '{}')"
            ),
            {"at": old.replace(tzinfo=None) if engine.dialect.name == "sqlite" else old},
        )
    assert len(_events(engine)) == 1


def _tamper(engine, *statements):
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # superuser only
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def test_a_deleted_event_breaks_the_chain_at_the_next(engine, capsys, configured):
    _record(engine, 4)
    ids = [e.id for e in _events(engine)]
    _tamper(engine, f"DELETE FROM audit_event WHERE id = {ids[1]}")
    check = verify_chain(engine)
    assert check.broken_id == ids[2]
    assert main(["audit", "verify"]) == 1
    assert f"broken at event {ids[2]}" in capsys.readouterr().out


def test_an_edited_or_back_dated_event_is_named(engine):
    _record(engine, 3)
    ids = [e.id for e in _events(engine)]
    past = "2020-01-01 00:00:00.000000" if engine.dialect.name == "sqlite" else "2020-01-01Z"
    _tamper(engine, f"UPDATE audit_event SET at = '{past}' WHERE id = {ids[1]}")
    check = verify_chain(engine)
    assert (check.broken_id, check.ok) == (ids[1], False)
    assert "changed" in check.reason


def test_deleting_the_newest_events_is_found_by_the_tip(engine):
    _record(engine, 3)
    ids = [e.id for e in _events(engine)]
    _tamper(engine, f"DELETE FROM audit_event WHERE id = {ids[-1]}")
    check = verify_chain(engine)
    assert not check.ok
    assert "newest events were removed" in check.reason


def test_verify_is_for_administrators_and_passes_on_an_intact_trail(configured, capsys):
    _record(configured, 2)
    assert main(["audit", "verify", "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


@pytest.fixture
def app_role(engine):
    """A PostgreSQL login role that owns nothing, granted what the app needs; dropped after."""
    if engine.dialect.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature (SQLite relies on the chain)")
    role = f"sp_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    db.grant_app_role(engine, role)
    url = engine.url.set(username=role, password=None)
    app = sa.create_engine(url)
    yield app
    app.dispose()
    with engine.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


def test_the_app_role_adds_events_but_cannot_change_or_hide_them(engine, app_role):
    with Session(app_role) as session, session.begin():  # the app works as usual
        add_user(session, actor=OPERATOR, username="ann", role="analyst", password=PASSWORD)
    _record(app_role, 2)
    first = _events(engine)[0].id
    for statement in (
        f"UPDATE audit_event SET actor = 'eve' WHERE id = {first}",
        f"DELETE FROM audit_event WHERE id = {first}",
        "TRUNCATE audit_event",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
        "DROP TRIGGER audit_event_no_change ON audit_event",
        "ALTER TABLE audit_event ALTER COLUMN at DROP DEFAULT",
    ):
        with (
            pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|must be owner"),
            app_role.begin() as conn,
        ):
            conn.execute(text(statement))
    assert len(_events(engine)) == 3
    assert verify_chain(app_role).ok


def test_the_app_role_must_own_nothing(engine):
    if engine.dialect.name != "postgresql":
        with pytest.raises(ValueError, match="PostgreSQL feature"):
            db.grant_app_role(engine, "x")
        return
    owner = engine.url.username
    with pytest.raises(ValueError, match="must own nothing"):
        db.grant_app_role(engine, owner)


PASSWORD = "correct horse battery staple"


def test_the_audit_page_checks_the_chain(configured):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.app.signin import add_and_sign_in

    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    add_and_sign_in(at, configured, "ada", "admin")
    _record(configured, 3)
    at.run()
    at.switch_page("app_pages/audit.py").run()
    next(b for b in at.button if b.label == "Check the chain").click().run()
    assert not at.exception
    assert "intact" in at.success[0].value
    ids = [e.id for e in _events(configured)]
    _tamper(configured, f"DELETE FROM audit_event WHERE id = {ids[1]}")
    next(b for b in at.button if b.label == "Check the chain").click().run()
    assert f"broken at event {ids[2]}" in at.error[0].value
