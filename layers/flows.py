"""Folium layer of missing-episode flows between resolution-7 cells (protected counts only)."""

from __future__ import annotations

import html

import folium
import pandas as pd

__all__ = ["flow_layer"]

_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: apart from the hexagon colour scale


def flow_layer(flows: pd.DataFrame, *, name: str = "Missing-episode flows") -> folium.FeatureGroup:
    """Return a layer of lines from missing-from cells to found-at cells.

    ``flows`` comes from ``geo.flows.protect_flows`` (only flows that may be shown, with the
    shown count ``shown`` and its ``label``); a flow within one cell is drawn as a ring.
    """
    group = folium.FeatureGroup(name=name, show=True)
    if flows.empty:
        return group
    top = max(int(flows["shown"].max()), 1)
    for row in flows.itertuples(index=False):
        weight = 2 + 8 * int(row.shown) / top
        tip = html.escape(f"{row.label} missing episodes: went missing here, found there")
        if row.same_cell:
            folium.CircleMarker(
                location=[row.from_lat, row.from_lon],
                radius=4 + weight,
                color=_COLOUR,
                weight=2,
                fill=False,
                tooltip=html.escape(f"{row.label} missing episodes found in the same area"),
            ).add_to(group)
            continue
        folium.PolyLine(
            locations=[[row.from_lat, row.from_lon], [row.to_lat, row.to_lon]],
            color=_COLOUR,
            weight=weight,
            opacity=0.75,
            tooltip=tip,
        ).add_to(group)
        folium.CircleMarker(
            location=[row.to_lat, row.to_lon], radius=3, color=_COLOUR, fill=True, weight=1
        ).add_to(group)
    return group
