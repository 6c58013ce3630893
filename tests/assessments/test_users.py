from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessments import users
from assessments.models import AuditEvent, User
from geo import InputError, PermissionDeniedError


@pytest.fixture
def admin(engine):
    created = users.ensure_first_admin(engine)
    assert created is not None
    with Session(engine) as session:
        return users.SignedInUser.of(users.get_user(session, created[0]))


def _events(engine, **where):
    with Session(engine) as session:
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(session.scalars(query))


def test_first_admin_gets_a_one_time_password_once(engine):
    first = users.ensure_first_admin(engine)
    assert first is not None
    name, password = first
    assert len(password) >= 16
    assert users.ensure_first_admin(engine) is None  # never a second, never a default password
    signed = users.authenticate(engine, name, password)
    assert signed.role == "admin"
    assert signed.must_change_password


def test_admin_adds_users_and_everything_is_audited(engine, admin):
    with Session(engine) as session, session.begin():
        _, one_time = users.add_user(
            session, actor=admin, username="dora", role="district", districts=["E07000199"]
        )
        assert one_time
    signed = users.authenticate(engine, "dora", one_time)
    assert signed.districts == ["E07000199"]
    creates = _events(engine, action="create", entity="user")
    assert [e.actor for e in creates] == ["system", "admin"]
    assert "password_hash" not in (creates[-1].after or {})
    assert _events(engine, action="sign_in")[-1].actor == "dora"


def test_only_admins_manage_users(engine, admin):
    with Session(engine) as session, session.begin():
        analyst, _ = users.add_user(
            session, actor=admin, username="ana", role="analyst", password="a long pass phrase"
        )
        analyst_view = users.SignedInUser.of(analyst)
    with Session(engine) as session, pytest.raises(PermissionDeniedError, match="may not add"):
        users.add_user(session, actor=analyst_view, username="eve", role="admin")
    with Session(engine) as session, pytest.raises(PermissionDeniedError):
        users.set_role(session, actor=analyst_view, username="ana", role="admin")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "bad name", "role": "viewer"}, "user name"),
        ({"username": "x1", "role": "superuser"}, "unknown role"),
        ({"username": "d1", "role": "district"}, "at least one district"),
        ({"username": "p1", "role": "viewer", "password": "password123"}, "12 characters"),
        ({"username": "p2", "role": "viewer", "password": "p2p2p2p2p2p2p2"}, "user name"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(engine, admin, kwargs, message):
    with Session(engine) as session, pytest.raises(InputError, match=message):
        users.add_user(session, actor=admin, **kwargs)


def test_duplicate_user_name_is_refused(engine, admin):
    with Session(engine) as session, session.begin():
        users.add_user(session, actor=admin, username="sam", role="viewer")
    with Session(engine) as session, pytest.raises(InputError, match="already exists"):
        users.add_user(session, actor=admin, username="SAM", role="viewer")


def test_wrong_passwords_lock_the_account(engine, admin, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_MAX_FAILED_LOGINS", "3")
    with Session(engine) as session, session.begin():
        users.add_user(
            session, actor=admin, username="lee", role="viewer", password="correct horse battery"
        )
    for _ in range(3):
        with pytest.raises(users.AuthError, match="wrong user name or password"):
            users.authenticate(engine, "lee", "not the password")
    with pytest.raises(users.AuthError, match="locked"):
        users.authenticate(engine, "lee", "correct horse battery")  # right password, still locked
    reasons = [e.detail["reason"] for e in _events(engine, action="sign_in_failed")]
    assert reasons == [
        "wrong password",
        "wrong password",
        "wrong password; account locked",
        "locked",
    ]
    # When the lock expires the right password works again.
    with Session(engine) as session, session.begin():
        session.execute(
            sa.update(User)
            .where(User.username == "lee")
            .values(locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    assert users.authenticate(engine, "lee", "correct horse battery").username == "lee"


def test_unknown_user_and_wrong_password_read_the_same(engine, admin):
    messages = []
    for name in ("nobody", "admin"):
        with pytest.raises(users.AuthError) as info:
            users.authenticate(engine, name, "guess guess guess")
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_disabled_users_cannot_sign_in_and_admin_cannot_disable_self(engine, admin):
    with Session(engine) as session, session.begin():
        users.add_user(
            session, actor=admin, username="kim", role="viewer", password="a long pass phrase"
        )
        users.set_active(session, actor=admin, username="kim", active=False)
    with pytest.raises(users.AuthError, match="disabled"):
        users.authenticate(engine, "kim", "a long pass phrase")
    with Session(engine) as session, pytest.raises(InputError, match="your own account"):
        users.set_active(session, actor=admin, username="admin", active=False)
    update = _events(engine, action="update", entity="user")[-1]
    assert update.before["is_active"] is True
    assert update.after["is_active"] is False


def test_change_password_checks_the_old_one_and_the_rules(engine, admin):
    with Session(engine) as session, session.begin():
        _, one_time = users.add_user(session, actor=admin, username="ola", role="viewer")
    me = users.authenticate(engine, "ola", one_time)
    with pytest.raises(InputError, match="12 characters"):
        users.change_password(engine, actor=me, old=one_time, new="short")
    with pytest.raises(users.AuthError):
        users.change_password(engine, actor=me, old="wrong old one!", new="a brand new phrase")
    users.change_password(engine, actor=me, old=one_time, new="a brand new phrase")
    assert not users.authenticate(engine, "ola", "a brand new phrase").must_change_password


def test_audit_events_cannot_be_changed_or_deleted(engine, admin):
    with engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), conn.begin():
            conn.execute(sa.update(AuditEvent).values(actor="someone else"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), conn.begin():
            conn.execute(sa.delete(AuditEvent))
    assert _events(engine)[0].actor == "system"


def test_concurrent_edits_of_a_user_do_not_silently_overwrite(engine, admin):
    from sqlalchemy.orm.exc import StaleDataError

    with Session(engine) as session, session.begin():
        users.add_user(session, actor=admin, username="max", role="viewer")
    first, second = Session(engine), Session(engine)
    try:
        a = users.get_user(first, "max")
        b = users.get_user(second, "max")
        a.display_name = "Max A"
        first.commit()
        b.display_name = "Max B"
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()


def test_demo_user_is_an_analyst_without_password(engine):
    demo = users.ensure_demo_user(engine)
    assert demo.is_demo
    assert demo.role == "analyst"
    assert users.ensure_demo_user(engine).id == demo.id
    with pytest.raises(users.AuthError):
        users.authenticate(engine, "demo", "")


def test_single_sign_on_identities_map_to_users(engine, admin, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_OIDC_DEFAULT_ROLE", "viewer")
    first = users.sign_in_oidc(engine, subject="sub-1", email="kate@council.example", name="Kate")
    assert (first.username, first.role) == ("kate@council.example", "viewer")
    again = users.sign_in_oidc(engine, subject="sub-1", email="kate@council.example", name="Kate")
    assert again.id == first.id  # the same identity, the same user
    with Session(engine) as session, session.begin():
        users.add_user(session, actor=admin, username="raj@council.example", role="analyst")
    linked = users.sign_in_oidc(engine, subject="sub-2", email="RAJ@council.example", name="Raj")
    assert linked.role == "analyst"  # an existing account is linked by e-mail, keeping its role
    with Session(engine) as session, session.begin():
        users.set_active(session, actor=admin, username="raj@council.example", active=False)
    with pytest.raises(users.AuthError, match="disabled"):
        users.sign_in_oidc(engine, subject="sub-2", email="raj@council.example", name="Raj")
