"""Page-wide styles the theme cannot set: 24 px targets (WCAG 2.2 2.5.8), no table toolbar."""

from __future__ import annotations

import streamlit as st

__all__ = ["apply_accessible_styles"]

_CSS = """
<style>
/* Date pickers: each day/month/year segment a 24 px target (Streamlit draws them 18 x 20). */
[data-testid="stDateInput"] [role="spinbutton"] {
  display: inline-block; min-width: 24px; min-height: 24px; line-height: 24px;
  text-align: center;
}
[data-baseweb="calendar"] [role="gridcell"] { min-width: 24px; min-height: 24px; }
/* Radio and checkbox targets. */
[data-testid="stRadio"] label, [data-testid="stCheckbox"] label { min-height: 24px; }
/* Tables: no toolbar. Its own "Download as CSV" would bypass the export permission, the audit
   event and the formula neutralising; every download goes through a button of the page. */
[data-testid="stElementToolbar"] { display: none !important; }
/* The session cookie's script takes no room. */
[data-testid="stElementContainer"]:has(.saferplaces-session) { display: none; }
</style>
"""


def apply_accessible_styles() -> None:
    """Add the styles to the page (call once per run, from the router)."""
    st.html(_CSS)
