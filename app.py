"""Safer Places: the Streamlit router. Pages live in ``app_pages/``; logic lives in the packages."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    current_user,
    keep_session_cookie,
    profile_names,
    safe_text,
    show_sample_banner,
)
from app_pages.styles import apply_accessible_styles
from assessments.permissions import can

st.set_page_config(page_title="Safer Places", page_icon="🗺️", layout="wide")
apply_accessible_styles()

#: Every page: (section, script, title, icon, url path). The Home page is the default.
PAGES = [
    ("Overview", "home.py", "Home", ":material/home:", "home"),
    ("Explore", "map.py", "Map", ":material/map:", "map"),
    ("Explore", "hotspots.py", "Hotspots", ":material/local_fire_department:", "hotspots"),
    ("Explore", "pack.py", "Meeting pack", ":material/description:", "pack"),
    ("Spaces and places", "sites.py", "Sites & assessments", ":material/location_on:", "sites"),
    ("Spaces and places", "actions.py", "Actions", ":material/task_alt:", "actions"),
    ("Spaces and places", "coverage.py", "Coverage", ":material/explore:", "coverage"),
    ("Spaces and places", "performance.py", "Performance", ":material/trending_up:", "performance"),
    ("Data", "import_data.py", "Import", ":material/upload_file:", "import"),
    ("Account", "account.py", "Account", ":material/person:", "account"),
    ("Account", "glossary.py", "Glossary", ":material/menu_book:", "glossary"),
    ("Administration", "admin_users.py", "Users", ":material/group:", "users"),
    ("Administration", "audit.py", "Audit trail", ":material/history:", "audit"),
]


def _only(script: str, title: str, icon: str) -> None:
    """Run one page (sign-in, first password) at every page's address, keeping the address.

    A reload or a shared link (``/map?from=...``) shows this page at its own address with its
    query, instead of "Page not found"; once it is done, the same address runs the real page.
    """
    pages = [
        st.Page(
            f"app_pages/{script}",
            title=title,
            icon=icon,
            url_path=path,
            default=path == "home",
        )
        for _, _, _, _, path in PAGES
    ]
    st.navigation(pages, position="hidden").run()
    st.stop()


user = current_user()
keep_session_cookie()
if user is None:
    _only("sign_in.py", "Sign in", ":material/key:")
assert user is not None
if user.must_change_password:
    _only("account.py", "Account", ":material/person:")

sections: dict[str, list[st.Page]] = {}
for section, script, title, icon, path in PAGES:
    if section == "Administration" and not can(user, "manage_users"):
        continue
    sections.setdefault(section, []).append(
        st.Page(
            f"app_pages/{script}", title=title, icon=icon, url_path=path, default=path == "home"
        )
    )
page = st.navigation(sections, expanded=True)  # every page listed, none behind "View more"
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
