"""Accounts: creation, sign-in with Argon2 and lockout, roles and districts, the first admin.

Every function that changes an account takes the acting user explicitly and writes an audit event.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from assessments.audit import record_event, snapshot
from assessments.models import User, utcnow
from assessments.permissions import ROLES, Actor, require
from assessments.settings import get_settings
from geo._errors import InputError

__all__ = [
    "DEMO_USERNAME",
    "AuthError",
    "SignedInUser",
    "add_user",
    "authenticate",
    "change_password",
    "check_password_rules",
    "ensure_demo_user",
    "ensure_first_admin",
    "get_user",
    "list_users",
    "set_active",
    "set_role",
    "sign_in_failed_message",
    "sign_in_oidc",
    "update_user",
]

DEMO_USERNAME = "demo"
_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,120}$")
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwerty",
        "qwertyuiop",
        "letmein",
        "welcome",
        "welcome1",
        "iloveyou",
        "admin",
        "administrator",
        "changeme",
        "123456789012",
        "saferplaces",
        "safeguarding",
        "monkey",
        "dragon",
        "football",
        "abc123",
    }
)


class AuthError(InputError):
    """Sign-in failed: wrong name or password, a disabled or a locked account."""


@dataclass(frozen=True)
class SignedInUser:
    """A detached, read-only view of a user, safe to keep in a Streamlit session."""

    id: int
    username: str
    display_name: str
    role: str
    districts: list[str]
    is_active: bool
    is_demo: bool
    must_change_password: bool
    session_epoch: int = 0

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        """Copy the fields the app needs from an ORM user."""
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name or user.username,
            role=user.role,
            districts=list(user.districts or []),
            is_active=user.is_active,
            is_demo=user.is_demo,
            must_change_password=user.must_change_password,
            session_epoch=user.session_epoch or 0,
        )


def check_password_rules(password: str, *, username: str = "") -> list[str]:
    """Return what is wrong with ``password`` (empty when it is acceptable).

    The rules follow NCSC guidance: length over complexity, and no common or guessable passwords.

    Examples
    --------
    >>> check_password_rules("short")
    ['use at least 12 characters']
    >>> check_password_rules("three random words here")
    []
    """
    problems = []
    if len(password) < 12:
        problems.append("use at least 12 characters")
    if len(password) > 256:
        problems.append("use at most 256 characters")
    lowered = password.lower()
    if lowered in _COMMON or lowered.rstrip("0123456789!") in _COMMON:
        problems.append("this password is too common")
    if username and username.lower() in lowered:
        problems.append("do not include your user name")
    if password and len(set(password)) < 4:
        problems.append("use more than a few different characters")
    return problems


def _validate(username: str, role: str, districts: list[str]) -> None:
    if not _USERNAME.match(username):
        msg = "a user name has 2 to 120 letters, digits or . _ @ - (no spaces)"
        raise InputError(msg)
    if role not in ROLES:
        msg = f"unknown role {role!r}: choose one of {', '.join(ROLES)}"
        raise InputError(msg)
    if role == "district" and not districts:
        msg = "a district officer needs at least one district code"
        raise InputError(msg)


def add_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    districts: list[str] | None = None,
    display_name: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user; return it and the one-time password generated when none was given.

    A generated password must be changed at first sign-in. There is never a default password.
    """
    require(actor, "manage_users")
    districts = sorted(set(districts or []))
    _validate(username, role, districts)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        msg = f"a user called {username!r} already exists"
        raise InputError(msg)
    one_time = None
    if password is None:
        one_time = password = secrets.token_urlsafe(15)
    else:
        problems = check_password_rules(password, username=username)
        if problems:
            msg = "password not accepted: " + "; ".join(problems)
            raise InputError(msg)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        districts=districts if role == "district" else [],
        password_hash=_HASHER.hash(password),
        must_change_password=one_time is not None,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after=snapshot(user),
    )
    return user, one_time


def ensure_first_admin(engine: Engine) -> tuple[str, str] | None:
    """Create the first admin with a one-time password when no real account exists yet.

    Returns ``(username, password)`` to print once, or ``None`` when an admin already exists.
    """
    with Session(engine) as session, session.begin():
        exists = session.scalar(select(User.id).where(User.role == "admin", ~User.is_demo))
        if exists:
            return None
        password = secrets.token_urlsafe(15)
        user = User(
            username="admin",
            display_name="Administrator",
            role="admin",
            districts=[],
            password_hash=_HASHER.hash(password),
            must_change_password=True,
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            actor="system",
            action="create",
            entity="user",
            entity_id=user.id,
            after=snapshot(user),
            detail={"first_admin": True},
        )
        return user.username, password


def ensure_demo_user(engine: Engine) -> SignedInUser:
    """Return the clearly labelled demo analyst used only while the store holds samples only."""
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.username == DEMO_USERNAME))
        if user is None:
            user = User(
                username=DEMO_USERNAME,
                display_name="Demo analyst (sample data only)",
                role="analyst",
                districts=[],
                password_hash=None,
                is_demo=True,
            )
            session.add(user)
            session.flush()
            record_event(
                session,
                actor="system",
                action="create",
                entity="user",
                entity_id=user.id,
                after=snapshot(user),
            )
        return SignedInUser.of(user)


def sign_in_failed_message() -> str:
    """Return the one message for every failed sign-in (never tells whether a name exists).

    A wrong password, an unknown user name and a locked account read the same, so trying names
    (or tripping the lockout) cannot show which accounts exist.
    """
    minutes = get_settings().lockout_minutes
    return (
        "wrong user name or password, or the account is locked after repeated failures "
        f"(a locked account opens again after {minutes} minutes)"
    )


def authenticate(engine: Engine, username: str, password: str) -> SignedInUser:
    """Check a local account's password; count failures and lock after too many.

    The failure counter, the lock and the last sign-in are changed by single atomic ``UPDATE``
    statements (not by a versioned ORM write), so two sign-ins to one account at once are both
    counted and neither fails with a stale-data error.

    Raises
    ------
    AuthError
        With :func:`sign_in_failed_message` whether the user name exists, the password is wrong
        or the account is locked; "disabled" only after the right password.
    """
    settings = get_settings()
    now = utcnow()
    failure: str | None = None
    with Session(engine) as session, session.begin():
        row = session.execute(
            select(
                User.id, User.username, User.password_hash, User.is_active, User.locked_until
            ).where(func.lower(User.username) == username.strip().lower())
        ).first()
        if row is None or row.password_hash is None:
            _HASHER.hash(password or "x")  # same cost either way: no user-name probing by timing
            _failed(session, username[:120] or "anonymous", None, "unknown user")
            failure = sign_in_failed_message()
        elif (locked_until := _aware(row.locked_until)) and locked_until > now:
            _verify(row.password_hash, password)  # same cost as any other attempt
            _failed(session, row.username, row.id, "locked")
            failure = sign_in_failed_message()
        elif not _verify(row.password_hash, password):
            session.execute(
                update(User)
                .where(User.id == row.id)
                .values(failed_attempts=User.failed_attempts + 1)
                .execution_options(synchronize_session=False)
            )
            locked = session.execute(
                update(User)
                .where(User.id == row.id, User.failed_attempts >= settings.max_failed_logins)
                .values(
                    failed_attempts=0,
                    locked_until=now + dt.timedelta(minutes=settings.lockout_minutes),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            reason = "wrong password; account locked" if locked else "wrong password"
            _failed(session, row.username, row.id, reason)
            failure = sign_in_failed_message()
        elif not row.is_active:
            _failed(session, row.username, row.id, "disabled")
            failure = "this account is disabled; ask an administrator"
        else:
            values: dict[str, object] = {
                "failed_attempts": 0,
                "locked_until": None,
                "last_login_at": now,
            }
            if _HASHER.check_needs_rehash(row.password_hash):
                values["password_hash"] = _HASHER.hash(password)
            session.execute(
                update(User)
                .where(User.id == row.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            record_event(
                session, actor=row.username, action="sign_in", entity="user", entity_id=row.id
            )
            signed_in = SignedInUser.of(session.get_one(User, row.id))
    # Raised after the commit, so the failure count and its audit event are kept.
    if failure:
        raise AuthError(failure)
    return signed_in


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _failed(session: Session, who: str, user_id: int | None, reason: str) -> None:
    record_event(
        session,
        actor=who,
        action="sign_in_failed",
        entity="user",
        entity_id=user_id or "",
        detail={"reason": reason},
    )


def sign_in_oidc(engine: Engine, *, subject: str, email: str, name: str) -> SignedInUser:
    """Map a single sign-on identity to a user, creating one with the default role if new."""
    settings = get_settings()
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.oidc_subject == subject))
        if user is None and email:
            user = session.scalar(select(User).where(func.lower(User.username) == email.lower()))
            if user is not None:
                user.oidc_subject = subject
        if user is None:
            user = User(
                username=(email or subject)[:120],
                display_name=name or email,
                role=settings.oidc_default_role,
                districts=[],
                oidc_subject=subject,
            )
            session.add(user)
            session.flush()
            record_event(
                session,
                actor="system",
                action="create",
                entity="user",
                entity_id=user.id,
                after=snapshot(user),
                detail={"via": "oidc"},
            )
        if not user.is_active:
            raise AuthError("this account is disabled; ask an administrator")
        session.execute(  # atomic, unversioned: simultaneous sign-ins do not collide
            update(User)
            .where(User.id == user.id)
            .values(last_login_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        record_event(
            session,
            actor=user.username,
            action="sign_in",
            entity="user",
            entity_id=user.id,
            detail={"via": "oidc"},
        )
        return SignedInUser.of(user)


def change_password(engine: Engine, *, actor: SignedInUser, old: str, new: str) -> None:
    """Change the acting user's own password (the old one is checked again)."""
    problems = check_password_rules(new, username=actor.username)
    if problems:
        raise InputError("password not accepted: " + "; ".join(problems))
    authenticate(engine, actor.username, old)
    with Session(engine) as session, session.begin():
        user = session.get_one(User, actor.id)
        user.password_hash = _HASHER.hash(new)
        user.must_change_password = False
        record_event(
            session, actor=actor, action="change_password", entity="user", entity_id=user.id
        )


def _change(session: Session, actor: Actor, username: str, **changes: object) -> User:
    require(actor, "manage_users")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        msg = f"no user called {username!r}"
        raise InputError(msg)
    if getattr(actor, "username", None) == username and changes.get("is_active") is False:
        raise InputError("you cannot disable your own account")
    before = snapshot(user)
    for key, value in changes.items():
        setattr(user, key, value)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=snapshot(user),
    )
    return user


def set_role(
    session: Session, *, actor: Actor, username: str, role: str, districts: list[str] | None = None
) -> User:
    """Change a user's role (and districts, for district officers)."""
    districts = sorted(set(districts or []))
    _validate(username, role, districts)
    return _change(
        session, actor, username, role=role, districts=districts if role == "district" else []
    )


def set_active(session: Session, *, actor: Actor, username: str, active: bool) -> User:
    """Disable (or re-enable) a user; disabled users cannot sign in. Users are never deleted.

    Disabling also revokes the user's session tokens (their open sessions end at once).
    """
    user = get_user(session, username)
    if user is not None and not active:
        return _change(
            session, actor, username, is_active=False, session_epoch=user.session_epoch + 1
        )
    return _change(session, actor, username, is_active=active)


def update_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str | None = None,
    districts: list[str] | None = None,
    active: bool | None = None,
) -> User:
    """Change only what is given: ``None`` keeps the current role, districts or status.

    Disabling an account never touches its role; a role change needs the role named explicitly.
    """
    require(actor, "manage_users")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        msg = f"no user called {username!r}"
        raise InputError(msg)
    changes: dict[str, object] = {}
    if role is not None or districts is not None:
        new_role = user.role if role is None else role
        new_districts = sorted(set((user.districts or []) if districts is None else districts))
        _validate(username, new_role, new_districts)
        new_districts = new_districts if new_role == "district" else []
        if new_role != user.role:
            changes["role"] = new_role
        if new_districts != sorted(user.districts or []):
            changes["districts"] = new_districts
    if active is not None and active != user.is_active:
        changes["is_active"] = active
    if not changes:
        return user
    return _change(session, actor, username, **changes)


def get_user(session: Session, username: str) -> User | None:
    """Return the user called ``username``, if any."""
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session, *, actor: Actor) -> list[User]:
    """Every user, for administrators."""
    require(actor, "manage_users")
    return list(session.scalars(select(User).order_by(User.username)))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite returns naive datetimes
    return value
