"""Safer Places: the Streamlit router. Pages live in ``app_pages/``; logic lives in the packages."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_user, profile_names, safe_text, show_sample_banner
from app_pages.styles import apply_accessible_styles
from assessments.permissions import can

st.set_page_config(page_title="Safer Places", page_icon="🗺️", layout="wide")
apply_accessible_styles()

user = current_user()
if user is None:
    st.navigation([st.Page("app_pages/sign_in.py", title="Sign in", icon="🔑")]).run()
    st.stop()
if user.must_change_password:
    st.navigation([st.Page("app_pages/account.py", title="Account", icon="👤")]).run()
    st.stop()

PAGES = {
    "Overview": [
        st.Page("app_pages/home.py", title="Home", icon="🏠", url_path="home", default=True),
    ],
    "Explore": [
        st.Page("app_pages/map.py", title="Map", icon="🗺️", url_path="map"),
        st.Page("app_pages/hotspots.py", title="Hotspots", icon="🔥", url_path="hotspots"),
        st.Page("app_pages/pack.py", title="Meeting pack", icon="📄", url_path="pack"),
    ],
    "Spaces and places": [
        st.Page("app_pages/sites.py", title="Sites & assessments", icon="📍", url_path="sites"),
        st.Page("app_pages/actions.py", title="Actions", icon="✅", url_path="actions"),
        st.Page("app_pages/coverage.py", title="Coverage", icon="🧭", url_path="coverage"),
        st.Page("app_pages/performance.py", title="Performance", icon="📈", url_path="performance"),
    ],
    "Data": [
        st.Page("app_pages/import_data.py", title="Import", icon="📥", url_path="import"),
    ],
    "Account": [
        st.Page("app_pages/account.py", title="Account", icon="👤", url_path="account"),
        st.Page("app_pages/glossary.py", title="Glossary", icon="📖", url_path="glossary"),
    ],
}
if can(user, "manage_users"):
    PAGES["Administration"] = [
        st.Page("app_pages/admin_users.py", title="Users", icon="👥", url_path="users"),
        st.Page("app_pages/audit.py", title="Audit trail", icon="📜", url_path="audit"),
    ]

page = st.navigation(PAGES, expanded=True)  # every page listed, none behind "View more"
with st.sidebar:
    label = "Demo analyst (sample data only)" if user.is_demo else user.display_name
    st.caption(f"Signed in as **{safe_text(label)}** · {user.role}")
    st.radio(
        "Disclosure profile",
        profile_names(),
        key="disclosure_profile",
        horizontal=True,
        help="internal: counts under 5 hidden, others rounded to 5; publication: under 10 "
        "hidden (c), for public minutes and reports; custom: set by an administrator",
    )
show_sample_banner()
page.run()
