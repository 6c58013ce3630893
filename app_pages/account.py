"""Account: who you are, change your password, sign out."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_user, get_engine, sign_out
from assessments.permissions import ROLES
from assessments.users import AuthError, change_password
from geo import InputError
from geo.text import safe_text

user = current_user()
assert user is not None  # the router shows this page only to a signed-in user

st.title("Your account")
st.markdown(f"**{safe_text(user.display_name)}** ({safe_text(user.username)}): {ROLES[user.role]}")
if user.districts:
    st.markdown("Districts: " + safe_text(", ".join(user.districts)))

if user.is_demo:
    st.info("This is the demo analyst, signed in automatically while only sample data is loaded.")
else:
    if user.must_change_password:
        st.warning("Choose your own password before you continue.")
    with st.form("change_password"):
        old = st.text_input("Current (or one-time) password", type="password")
        new = st.text_input("New password (12 characters or more)", type="password")
        again = st.text_input("New password again", type="password")
        submitted = st.form_submit_button("Change password", type="primary")
    if submitted:
        if new != again:
            st.error("The two new passwords differ.")
        else:
            try:
                change_password(get_engine(), actor=user, old=old, new=new)
            except (AuthError, InputError) as exc:
                st.error(safe_text(exc))
            else:
                from assessments.users import SignedInUser

                st.session_state["auth_user"] = SignedInUser(
                    **{**user.__dict__, "must_change_password": False}
                )
                st.success("Password changed.")
                st.rerun()

if not user.is_demo and st.button("Sign out"):
    sign_out()
    if getattr(st.user, "is_logged_in", False):
        st.logout()
    st.rerun()
