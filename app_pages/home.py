"""Home: what is in the store."""

from __future__ import annotations

import streamlit as st

st.title("Safer Places")
st.caption("Place-based safeguarding: where are young people being harmed outside the home?")
