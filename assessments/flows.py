"""Missing-episode flows as the Map page shows them: loaded for a period and protected.

One place for the map and the adversary tests: episodes by start month, flows between
resolution-7 cells and between districts, each count perturbed by the cell key method with the
sum of its episodes' record keys (``geo.flows.protect_flows``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from assessments.episodes import load_episodes
from geo.disclosure import DisclosureProfile
from geo.flows import district_flows, episode_flows, protect_flows

__all__ = ["shown_flows"]


def shown_flows(
    engine: Engine, *, start: dt.date, end: dt.date, profile: DisclosureProfile
) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Return the flows between cells that may be shown, how many are hidden, and by district."""
    episodes = load_episodes(engine, start=start, end=end)
    flows, hidden = protect_flows(episode_flows(episodes), profile)
    by_district, _ = protect_flows(district_flows(episodes), profile)
    return flows, hidden, by_district
