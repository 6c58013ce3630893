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
    """Keep ``user`` in this browser session."""
    st.session_state[_USER_KEY] = user
    st.session_state[_SEEN_KEY] = time.monotonic()


def sign_out() -> None:
    """Forget the signed-in user of this browser session."""
    st.session_state.pop(_USER_KEY, None)
    st.session_state.pop(_SEEN_KEY, None)


def current_user() -> SignedInUser | None:
    """The signed-in user, or ``None``; ends idle sessions; signs the demo in where allowed."""
    user: SignedInUser | None = st.session_state.get(_USER_KEY)
    now = time.monotonic()
    if user is not None:
        idle = now - st.session_state.get(_SEEN_KEY, now)
        if idle > get_settings().session_minutes * 60:
            sign_out()
            st.session_state["auth_notice"] = "Your session ended after a period of inactivity."
            user = None
        elif user.is_demo and not demo_allowed():
            sign_out()  # real data arrived: the demo sign-in is off from now on
            user = None
    if user is None and demo_allowed():
        user = ensure_demo_user(get_engine())
        sign_in(user)
    if user is not None:
        st.session_state[_SEEN_KEY] = now
    return user


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
) -> bool:
    """Show a download button only to users who may export; audit the download when clicked.

    A table is encoded by :func:`assessments.exports.prepare_export` (permission checked,
    formula-looking cells neutralised); ready ``data`` (a PNG, a pack) is offered as it is. The
    click writes an export event (who, what, filters, rows). Returns whether a button was shown.
    """
    user = current_user()
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
            icon="🧪",
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
