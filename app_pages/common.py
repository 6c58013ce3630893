"""What every page shares: the engine, the signed-in user, the data version, the sample banner."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from assessments import db
from assessments.exports import prepare_export, record_export
from assessments.permissions import can
from assessments.sessions import COOKIE_NAME, end_sessions, issue_token, read_token, session_user
from assessments.settings import get_settings
from assessments.store import data_version, store_has_only_samples, store_uses_samples
from assessments.users import SignedInUser, ensure_demo_user
from geo.disclosure import DisclosureProfile, get_profile
from geo.text import safe_text

__all__ = [
    "current_data_version",
    "current_user",
    "demo_allowed",
    "disclosure_profile",
    "get_engine",
    "keep_session_cookie",
    "offer_download",
    "page_error",
    "profile_names",
    "require_action",
    "safe_text",
    "show_sample_banner",
    "sign_in",
    "sign_out",
]

log = logging.getLogger("saferplaces.app")
_USER_KEY = "auth_user"
_SEEN_KEY = "auth_last_seen"
_TOKEN_KEY = "auth_token"  # noqa: S105 (a session-state key)
_OUT_KEY = "auth_signed_out"


def get_engine() -> Engine:
    """The engine of the configured database, migrated once per process."""
    settings = get_settings()
    return _migrated_engine(settings.database_url, settings.working_url)


@st.cache_resource
def _migrated_engine(url: str, working_url: str) -> Engine:
    db.migrate(db.get_engine(url))  # as the schema's owner
    return db.get_engine(working_url)  # as the app's role (PostgreSQL), which owns nothing


def current_data_version() -> str:
    """A string that changes whenever incidents or districts change: part of every cache key."""
    return data_version(get_engine())


def demo_allowed() -> bool:
    """Whether the demo analyst may sign in: outside production, with sample data only."""
    return get_settings().environment != "production" and store_has_only_samples(get_engine())


def sign_in(user: SignedInUser) -> None:
    """Keep ``user`` in this browser session, and in a signed cookie that survives a reload."""
    st.session_state[_USER_KEY] = user
    st.session_state[_SEEN_KEY] = time.monotonic()
    st.session_state[_TOKEN_KEY] = issue_token(user)
    st.session_state.pop(_OUT_KEY, None)


def sign_out() -> None:
    """Sign the user out: revoke their session tokens and forget them in this browser."""
    user: SignedInUser | None = st.session_state.get(_USER_KEY)
    if user is not None and not user.is_demo:
        end_sessions(get_engine(), user=user)
    _forget()
    st.session_state[_OUT_KEY] = True  # the cookie sent with this page is no longer honoured


def _forget() -> None:
    for key in (_USER_KEY, _SEEN_KEY, _TOKEN_KEY):
        st.session_state.pop(key, None)


def _browser_token() -> str | None:
    """The session token this browser holds: this session's, else the cookie of a reload."""
    token = st.session_state.get(_TOKEN_KEY)
    if token is None and not st.session_state.get(_OUT_KEY):
        token = st.context.cookies.get(COOKIE_NAME)
    return token


def current_user() -> SignedInUser | None:
    """The signed-in user, or ``None``; ends idle sessions; signs the demo in where allowed.

    The user is read from the store on every run through the session token, so a disabled
    user or a revoked token (signed out elsewhere) ends the session at once, and a new role
    applies at once. A reload or a shared link finds the token in the session cookie.
    """
    now = time.monotonic()
    token = _browser_token()
    user = session_user(get_engine(), token) if token else None
    if token and user is None:
        if st.session_state.get(_USER_KEY) is not None:
            st.session_state["auth_notice"] = "Your session has ended. Please sign in again."
        _forget()
    if user is not None:
        seen = st.session_state.get(_SEEN_KEY, now)
        if now - seen > get_settings().session_minutes * 60:
            _forget()
            st.session_state[_OUT_KEY] = True
            st.session_state["auth_notice"] = "Your session ended after a period of inactivity."
            user = None
        elif user.is_demo and not demo_allowed():
            _forget()  # real data arrived: the demo sign-in is off from now on
            user = None
        else:
            st.session_state[_USER_KEY] = user
            st.session_state[_TOKEN_KEY] = _fresh(token or "", user)
    if user is None and demo_allowed():
        user = ensure_demo_user(get_engine())
        sign_in(user)
    if user is not None:
        st.session_state[_SEEN_KEY] = now
    return user


def _fresh(token: str, user: SignedInUser) -> str:
    """The token, or a new one once half its life has gone (activity keeps a session alive)."""
    read = read_token(token)
    half = get_settings().session_minutes * 30
    if read is None or read[2] - time.time() < half:
        return issue_token(user)
    return token


def keep_session_cookie() -> None:
    """Write this session's token to the browser's cookie (or clear it once signed out).

    ``SameSite=Strict``, path ``/``, expiring with the token; ``Secure`` over HTTPS. Set from
    the page's own script (the app server cannot set headers), so it is not ``HttpOnly``.
    """
    token = st.session_state.get(_TOKEN_KEY)
    if token is None and not (st.session_state.get(_OUT_KEY) or COOKIE_NAME in st.context.cookies):
        return
    age = get_settings().session_minutes * 60 if token else 0
    st.html(
        '<span class="saferplaces-session" hidden></span><script>'
        f'document.cookie = "{COOKIE_NAME}={token or ""}; path=/; max-age={age}; '
        'SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");'
        "</script>",
        unsafe_allow_javascript=True,
    )


def require_action(action: str) -> SignedInUser:
    """Stop the page with a clear message unless the signed-in user may perform ``action``."""
    user = current_user()
    if user is None or not can(user, action):
        st.error("You do not have access to this page. Ask an administrator if you need it.")
        st.stop()
    assert user is not None
    return user


def offer_download(
    label: str,
    frame: pd.DataFrame | dict[str, pd.DataFrame] | None = None,
    *,
    what: str,
    file_name: str,
    filters: dict[str, Any] | str | None = None,
    data: bytes | None = None,
    rows: int | None = None,
    mime: str = "text/csv",
    needs: str = "export",
    key: str | None = None,
    user: SignedInUser | None = None,
) -> bool:
    """Show a download button only to users who may export; audit the download when clicked.

    A table is encoded by :func:`assessments.exports.prepare_export` (permission checked,
    formula-looking cells neutralised); ready ``data`` (a PNG, a pack) is offered as it is. The
    click writes an export event (who, what, filters, rows). Returns whether a button was shown.
    ``user``: the page's signed-in user, when the page's own work may have ended the session
    (the first real import ends the demo sign-in, but its report still belongs to the importer).
    """
    user = user or current_user()
    if user is None or not can(user, needs):
        return False
    fmt = file_name.rsplit(".", 1)[-1]
    if frame is not None:
        data = prepare_export(frame, actor=user, fmt=fmt, needs=needs)
        if rows is None:
            rows = sum(map(len, frame.values())) if isinstance(frame, dict) else len(frame)
    assert data is not None
    st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click=_record_download,
        args=(user, what, int(rows or 0), filters, fmt, needs),
    )
    return True


def _record_download(
    user: SignedInUser,
    what: str,
    rows: int,
    filters: dict[str, Any] | str | None,
    fmt: str,
    needs: str,
) -> None:
    with db.session_scope(get_engine()) as session:
        record_export(
            session, actor=user, what=what, rows=rows, filters=filters, fmt=fmt, needs=needs
        )


def page_error(exc: Exception, *, what_next: str = "") -> None:
    """Show a domain error to the user (no traceback); log unexpected ones."""
    if not isinstance(exc, ValueError | PermissionError | RuntimeError):
        log.exception("unexpected error on a page")
        st.error("Something went wrong. The details were logged; please try again.")
        return
    st.error(safe_text(exc) + (f"\n\n{what_next}" if what_next else ""))


def show_sample_banner() -> None:
    """Say clearly, on every page, when the store holds the synthetic samples."""
    if store_uses_samples(get_engine()):
        st.info(
            "**Synthetic sample data.** Everything shown comes from the bundled, computer-"
            "generated samples: no real place, incident or person. Import your own data on the "
            "Import page.",
            icon=":material/science:",
        )


def profile_names() -> list[str]:
    """The disclosure profiles a user can choose (custom when an administrator defined one)."""
    return ["internal", "publication"] + (["custom"] if get_settings().custom_profile else [])


def disclosure_profile(name: str | None = None) -> DisclosureProfile:
    """The disclosure profile in force: the one chosen in the sidebar unless ``name`` is given."""
    settings = get_settings()
    chosen = name or st.session_state.get("disclosure_profile", "internal")
    return get_profile(
        chosen, threshold=settings.suppression_threshold, custom=settings.custom_profile or None
    )
