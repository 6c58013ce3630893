"""The background switch every map page shares (not a page itself)."""

from __future__ import annotations

import streamlit as st

from layers.hexes import TILES

__all__ = ["tiles_switch"]


def tiles_switch(key: str) -> str:
    """Offer OpenStreetMap or "No tiles (offline)" (closed networks); return the choice."""
    return str(
        st.radio(
            "Background",
            list(TILES),
            key=key,
            horizontal=True,
            help="No tiles (offline): draw the map without the OpenStreetMap background, "
            "for networks that cannot reach it",
        )
    )
