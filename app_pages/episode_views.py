"""Missing-episode views shared by pages: links to exploitation on the hotspot detail."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_data_version, get_engine
from assessments.links import EpisodeLinks, episode_links, shown_episodes_counted
from geo.disclosure import DisclosureProfile
from geo.links import LAG_METHOD, lead_in_words, protect_links

__all__ = ["links_for_store", "show_hotspot_links"]


@st.cache_data(ttl=3600, max_entries=4, show_spinner="Linking missing episodes and exploitation...")
def links_for_store(version: str) -> EpisodeLinks:
    """Co-location and lagged comparison for the whole store (keyed on the data version)."""
    return episode_links(get_engine())


def show_hotspot_links(hotspot_id: int, profile: DisclosureProfile) -> None:
    """The hotspot detail's "Missing episodes and exploitation" section."""
    links = links_for_store(current_data_version())
    st.markdown("**Missing episodes and exploitation** (the resolution-7 cells this place touches)")
    if links.n_episodes == 0:
        st.caption("No missing episodes imported yet (Import data → Missing episodes).")
        return
    if hotspot_id not in links.by_hotspot.index:
        st.caption("Not computed for this place yet: it was added after the figures were made.")
        return
    row = links.by_hotspot.loc[[hotspot_id]]
    st.dataframe(protect_links(row, profile), hide_index=True, width="stretch")
    lag = links.lag_by_hotspot.loc[hotspot_id] if hotspot_id in links.lag_by_hotspot.index else None
    st.write(lead_in_words(lag, shown_episodes_counted(row.iloc[0], profile), profile))
    overall = links.overall
    st.caption(
        "Co-location quotient (Leslie & Kronenfeld): how often the nearest neighbour of a "
        "missing-from or found-at point is an exploitation-flagged incident, against the mix of "
        "all points; 1 is what chance gives, above 1 more often. The p-value comes from "
        f"{links.permutations} random relabellings of the points. Across the whole store the "
        f"quotient is {overall['clq']:.2f}. {LAG_METHOD} {profile.describe()}."
    )
