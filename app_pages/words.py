"""Plain words on pages: district names by code, cached on the data version (see geo.labels)."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_data_version, get_engine
from assessments.names import district_names

__all__ = ["district_name_map"]


@st.cache_data(ttl=3600, max_entries=8)
def _names(version: str, url: str) -> dict[str, str]:
    return district_names(get_engine())


def district_name_map() -> dict[str, str]:
    """Every district's name by its code, for tables, filters and captions."""
    return _names(current_data_version(), str(get_engine().url))
