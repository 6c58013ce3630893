"""Users (administrators): add, re-role, disable and enable accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import get_engine, require_action, safe_text
from assessments import users
from assessments.db import session_scope
from assessments.permissions import ROLES
from geo import InputError

actor = require_action("manage_users")
engine = get_engine()

st.title("Users")
flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
with session_scope(engine) as session:
    accounts = {
        u.username: {
            "user name": u.username,
            "name": u.display_name,
            "role": u.role,
            "districts": ", ".join(u.districts or []),
            "active": u.is_active,
            "last sign-in": u.last_login_at,
        }
        for u in users.list_users(session, actor=actor)
    }
st.dataframe(pd.DataFrame(list(accounts.values())), hide_index=True, width="stretch")

ROLE_NAMES = list(ROLES)
left, right = st.columns(2)
with left, st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("User name")
    display_name = st.text_input("Full name")
    role = st.selectbox(
        "Role",
        ROLE_NAMES,
        index=ROLE_NAMES.index("viewer"),  # least power unless an administrator chooses more
        format_func=lambda r: f"{r}: {ROLES[r]}",
    )
    districts = st.text_input("District codes (district officers; comma separated)")
    added = st.form_submit_button("Add user", type="primary")
if added:
    try:
        with session_scope(engine) as session:
            _, one_time = users.add_user(
                session,
                actor=actor,
                username=username.strip(),
                role=role,
                districts=[d.strip() for d in districts.split(",") if d.strip()],
                display_name=display_name.strip(),
            )
    except InputError as exc:
        st.error(safe_text(exc))
    else:
        # Shown once, after the list is redrawn with the new user in it.
        st.session_state["users_flash"] = (
            f"Added {safe_text(username.strip())}. One-time password (shown once, pass it on "
            f"securely; they must change it at first sign-in): `{one_time}`"
        )
        st.rerun()

with right:
    st.subheader("Change a user")
    target = st.selectbox("User", list(accounts), key="users_target")
if target:
    current = accounts[target]
    # The form is keyed on the user, so every field starts from that user's current values:
    # saving without touching the role keeps it (ticking only "disabled" never changes the role).
    with right, st.form(f"change_user_{target}"):
        new_role = st.selectbox(
            "Role",
            ROLE_NAMES,
            index=ROLE_NAMES.index(current["role"]),
            format_func=lambda r: f"{r}: {ROLES[r]}",
            key=f"users_role_{target}",
        )
        new_districts = st.text_input(
            "District codes (district officers)",
            value=current["districts"],
            key=f"users_districts_{target}",
        )
        active = st.radio(
            "Account",
            ["active", "disabled"],
            index=0 if current["active"] else 1,
            horizontal=True,
            key=f"users_active_{target}",
        )
        changed = st.form_submit_button("Save changes")
    if changed:
        codes = [d.strip() for d in new_districts.split(",") if d.strip()]
        try:
            with session_scope(engine) as session:
                users.update_user(
                    session,
                    actor=actor,
                    username=target,
                    role=new_role if new_role != current["role"] else None,
                    districts=codes if codes != current["districts"].split(", ") else None,
                    active=active == "active",
                )
        except InputError as exc:
            st.error(safe_text(exc))
        else:
            state = "active" if active == "active" else "disabled (signed out everywhere)"
            st.session_state["users_flash"] = f"Saved {safe_text(target)}: {new_role}, {state}."
            st.rerun()
