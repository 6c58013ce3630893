"""Sign-in: one message whatever failed, and simultaneous sign-ins to one account (issue 14).

Threads stand in for several browsers (or CLI runs) signing in to the same account at once; both
backends.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from assessments import users
from assessments.models import User
from cli.identity import OPERATOR

PASSWORD = "correct horse battery"


@pytest.fixture
def lee(engine):
    with Session(engine) as session, session.begin():
        users.add_user(session, actor=OPERATOR, username="lee", role="viewer", password=PASSWORD)
    return "lee"


def _message(engine, name, password):
    with pytest.raises(users.AuthError) as info:
        users.authenticate(engine, name, password)
    return str(info.value)


def test_a_locked_account_reads_like_an_unknown_name(engine, lee, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_MAX_FAILED_LOGINS", "3")
    for _ in range(3):
        _message(engine, lee, "not the password")
    for _ in range(3):
        _message(engine, "nobody-here", "not the password")
    locked_wrong = _message(engine, lee, "not the password")
    locked_right = _message(engine, lee, PASSWORD)  # right password, still locked
    unknown = _message(engine, "nobody-here", "not the password")
    assert locked_wrong == locked_right == unknown == users.sign_in_failed_message()
    with Session(engine) as session:
        assert users.get_user(session, lee).locked_until is not None  # the lock is real


def _at_once(n, work):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    results: list[object] = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_sign_ins_to_one_account_all_succeed(engine, lee, attempt):
    results, errors = _at_once(6, lambda: users.authenticate(engine, lee, PASSWORD))
    assert errors == []
    assert [r.username for r in results] == [lee] * 6
    with Session(engine) as session:
        user = users.get_user(session, lee)
        assert user.last_login_at is not None
        assert user.failed_attempts == 0


def test_simultaneous_wrong_passwords_are_each_counted(engine, lee, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_MAX_FAILED_LOGINS", "50")

    def wrong():
        with pytest.raises(users.AuthError):
            users.authenticate(engine, lee, "not the password")

    _, errors = _at_once(6, wrong)
    assert errors == []
    with Session(engine) as session:
        assert session.query(User).filter_by(username=lee).one().failed_attempts == 6
