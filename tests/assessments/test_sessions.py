"""Signed session tokens: forged, expired, signed-out and disabled users' tokens are refused."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from assessments import sessions, users
from cli.identity import OPERATOR


@pytest.fixture
def ana(configured):
    with Session(configured) as session, session.begin():
        users.add_user(
            session, actor=OPERATOR, username="ana", role="analyst", password="a long pass phrase"
        )
    return users.authenticate(configured, "ana", "a long pass phrase")


def test_a_token_stands_for_its_user_until_it_expires(configured, ana):
    token = sessions.issue_token(ana, minutes=5)
    back = sessions.session_user(configured, token)
    assert back is not None
    assert back.username == "ana"
    assert back.role == "analyst"
    assert sessions.read_token(token, now=time.time() + 6 * 60) is None  # expired
    old = sessions.issue_token(ana, minutes=5, now=time.time() - 6 * 60)
    assert sessions.session_user(configured, old) is None


def test_a_forged_or_altered_token_is_refused(configured, ana):
    token = sessions.issue_token(ana, minutes=5)
    user_id, epoch, expires, signature = token.split(".")
    for forged in (
        f"{user_id}.{epoch}.{int(expires) + 86_400}.{signature}",  # extended
        f"{int(user_id) + 1}.{epoch}.{expires}.{signature}",  # someone else
        f"{user_id}.{epoch}.{expires}.{signature[:-2]}xx",
        "",
        "not a token",
    ):
        assert sessions.session_user(configured, forged) is None


def test_signing_out_and_disabling_revoke_tokens_and_a_new_role_applies(configured, ana):
    token = sessions.issue_token(ana)
    sessions.end_sessions(configured, user=ana)
    assert sessions.session_user(configured, token) is None
    again = users.authenticate(configured, "ana", "a long pass phrase")
    token = sessions.issue_token(again)
    with Session(configured) as session, session.begin():
        users.set_role(session, actor=OPERATOR, username="ana", role="viewer")
    assert sessions.session_user(configured, token).role == "viewer"
    with Session(configured) as session, session.begin():
        users.set_active(session, actor=OPERATOR, username="ana", active=False)
    assert sessions.session_user(configured, token) is None
    with Session(configured) as session, session.begin():
        users.set_active(session, actor=OPERATOR, username="ana", active=True)
    assert sessions.session_user(configured, token) is None  # re-enabling does not revive it
