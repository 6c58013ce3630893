"""Signed, expiring session tokens: a sign-in survives a reload and a shared link.

A token is ``<user id>.<session epoch>.<expiry (Unix seconds)>.<signature>``, the signature an
HMAC-SHA-256 of the rest under the installation's secret (``settings.install_secret``), so it
cannot be forged or extended without the server's key. It names no role and no district: those
are read from the store each time the token is used, so a change of role takes effect at once.
A token is refused when its signature is wrong, when it has expired, when the user is disabled,
or when the user's session epoch has moved on (signing out, or disabling the user, moves it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.models import User
from assessments.settings import get_settings, install_secret
from assessments.users import SignedInUser

__all__ = ["COOKIE_NAME", "end_sessions", "issue_token", "read_token", "session_user"]

#: The browser cookie that carries the token (``SameSite=Strict``, path ``/``).
COOKIE_NAME = "saferplaces_session"


def _sign(payload: str) -> str:
    digest = hmac.new(install_secret(), b"session:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_token(user: SignedInUser, *, minutes: int | None = None, now: float | None = None) -> str:
    """Return a signed token for ``user`` that expires after ``minutes`` (default: the setting).

    The token reads ``<user id>.<session epoch>.<expiry>.<signature>``, e.g.
    ``7.0.1764600000.Qm9v...``; only the server's secret can make a valid signature.
    """
    minutes = get_settings().session_minutes if minutes is None else minutes
    expires = int((time.time() if now is None else now) + minutes * 60)
    payload = f"{user.id}.{user.session_epoch}.{expires}"
    return f"{payload}.{_sign(payload)}"


def read_token(token: str, *, now: float | None = None) -> tuple[int, int, int] | None:
    """Return ``(user id, epoch, expiry)`` of a well-signed, unexpired token, else ``None``."""
    parts = (token or "").split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(payload), parts[3]):
        return None
    user_id, epoch, expires = (int(p) for p in parts[:3])
    if expires <= (time.time() if now is None else now):
        return None
    return user_id, epoch, expires


def session_user(engine: Engine, token: str) -> SignedInUser | None:
    """Return the signed-in user a token stands for, or ``None`` if it is no longer valid."""
    read = read_token(token)
    if read is None:
        return None
    user_id, epoch, _ = read
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.id == user_id))
        if user is None or not user.is_active or (user.session_epoch or 0) != epoch:
            return None
        return SignedInUser.of(user)


def end_sessions(engine: Engine, *, user: SignedInUser) -> None:
    """Sign ``user`` out: every token issued to them so far is refused from now on."""
    with Session(engine) as session, session.begin():
        row = session.scalar(select(User).where(User.id == user.id))
        if row is None:
            return
        row.session_epoch = (row.session_epoch or 0) + 1
        record_event(
            session, actor=user.username, action="sign_out", entity="user", entity_id=row.id
        )
