"""Sign in with a local account, or with single sign-on where it is configured."""

from __future__ import annotations

import streamlit as st

from app_pages.common import get_engine, sign_in
from assessments.settings import get_settings
from assessments.users import AuthError, authenticate, sign_in_oidc
from geo.text import safe_text

st.title("Safer Places")
st.caption("Place-based safeguarding mapping for the partnership. Sign in to continue.")

notice = st.session_state.pop("auth_notice", None)
if notice:
    st.info(notice)

settings = get_settings()
if settings.oidc_provider:
    if getattr(st.user, "is_logged_in", False):
        info = st.user.to_dict()
        try:
            identity = sign_in_oidc(
                get_engine(),
                subject=str(info.get("sub", "")),
                email=str(info.get("email", "")),
                name=str(info.get("name", "")),
            )
            sign_in(identity)
            st.rerun()
        except AuthError as exc:
            st.error(safe_text(exc))
    elif st.button(f"Sign in with {settings.oidc_provider}", type="primary"):
        st.login(settings.oidc_provider)
    st.divider()

with st.form("sign_in"):
    username = st.text_input("User name", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    try:
        user = authenticate(get_engine(), username, password)
    except AuthError as exc:
        st.error(f"{safe_text(exc)}. Forgotten your password? Ask an administrator to reset it.")
    else:
        sign_in(user)
        st.rerun()
