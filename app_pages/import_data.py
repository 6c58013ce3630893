"""Import: bring anonymised incident extracts and district boundaries into the store."""

from __future__ import annotations

import streamlit as st

st.title("Import data")
