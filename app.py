"""Safer Places: the Streamlit router. Pages live in ``app_pages/``; logic lives in the packages."""

from __future__ import annotations

import streamlit as st

from app_pages.common import show_sample_banner

st.set_page_config(page_title="Safer Places", page_icon="🗺️", layout="wide")

PAGES = {
    "Overview": [
        st.Page("app_pages/home.py", title="Home", icon="🏠", url_path="home", default=True),
    ],
    "Data": [
        st.Page("app_pages/import_data.py", title="Import", icon="📥", url_path="import"),
    ],
}

page = st.navigation(PAGES)
show_sample_banner()
page.run()
