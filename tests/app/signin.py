"""Sign a stored user in to an AppTest the way the app does: a session token in session state."""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import users
from assessments.sessions import issue_token
from assessments.users import SignedInUser
from cli.identity import OPERATOR

__all__ = ["add_and_sign_in", "signed_in"]

PASSWORD = "a long pass phrase"


def signed_in(at: AppTest, user: SignedInUser) -> AppTest:
    """Give ``at`` the session of ``user`` (a stored user): each run checks it against the store."""
    at.session_state["auth_user"] = user
    at.session_state["auth_token"] = issue_token(user)
    at.session_state["auth_last_seen"] = time.monotonic()
    return at


def add_and_sign_in(
    at: AppTest, engine: Engine, username: str, role: str, districts: list[str] | None = None
) -> SignedInUser:
    """Store a user with ``role``, authenticate them and sign them in to ``at``."""
    with Session(engine) as session, session.begin():
        users.add_user(
            session,
            actor=OPERATOR,
            username=username,
            role=role,
            districts=districts or [],
            password=PASSWORD,
        )
    user = users.authenticate(engine, username, PASSWORD)
    signed_in(at, user)
    return user
