"""Users (administrators): add, re-role, disable and enable accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import get_engine, require_action
from assessments import users
from assessments.db import session_scope
from assessments.permissions import ROLES
from geo import InputError

actor = require_action("manage_users")
engine = get_engine()

st.title("Users")
flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash, icon="✅")
with session_scope(engine) as session:
    table = pd.DataFrame(
        [
            {
                "user name": u.username,
                "name": u.display_name,
                "role": u.role,
                "districts": ", ".join(u.districts or []),
                "active": u.is_active,
                "last sign-in": u.last_login_at,
            }
            for u in users.list_users(session, actor=actor)
        ]
    )
st.dataframe(table, hide_index=True, width="stretch")

left, right = st.columns(2)
with left, st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("User name")
    display_name = st.text_input("Full name")
    role = st.selectbox("Role", list(ROLES), format_func=lambda r: f"{r}: {ROLES[r]}")
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
        st.error(str(exc))
    else:
        # Shown once, after the list is redrawn with the new user in it.
        st.session_state["users_flash"] = (
            f"Added {username}. One-time password (shown once, pass it on securely; they must "
            f"change it at first sign-in): `{one_time}`"
        )
        st.rerun()

names = table["user name"].tolist() if not table.empty else []
with right, st.form("change_user"):
    st.subheader("Change a user")
    target = st.selectbox("User", names)
    new_role = st.selectbox("New role", list(ROLES))
    new_districts = st.text_input("District codes (district officers)")
    active = st.radio("Account", ["active", "disabled"], horizontal=True)
    changed = st.form_submit_button("Save changes")
if changed and target:
    try:
        with session_scope(engine) as session:
            users.set_role(
                session,
                actor=actor,
                username=target,
                role=new_role,
                districts=[d.strip() for d in new_districts.split(",") if d.strip()],
            )
            users.set_active(session, actor=actor, username=target, active=active == "active")
    except InputError as exc:
        st.error(str(exc))
    else:
        state = "active" if active == "active" else "disabled (signed out everywhere)"
        st.session_state["users_flash"] = f"Saved {target}: {new_role}, {state}."
        st.rerun()
