"""Folium layers for sites: markers coloured by the risk and status of their latest assessment."""

from __future__ import annotations

import html
from collections.abc import Mapping

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["RISK_COLOURS", "site_layer", "site_map"]

#: Colour-blind-safe colours (Okabe-Ito) for the latest risk rating.
RISK_COLOURS = {
    "very high": "#D55E00",
    "high": "#E69F00",
    "medium": "#F0E442",
    "low": "#009E73",
    None: "#999999",
}


def _popup(
    row: pd.Series,
    district_names: Mapping[str, str] | None = None,
    type_labels: Mapping[str, str] | None = None,
) -> str:
    district = str(row.get("district_code", ""))
    site_type = str(row.get("site_type", ""))
    risk = row.get("risk_rating")
    status = row.get("status")
    review = row.get("next_review_on")
    parts = [
        f"<b>{html.escape(str(row['name']))}</b>",
        html.escape((type_labels or {}).get(site_type, site_type)),
        html.escape((district_names or {}).get(district, f"District {district}")),
        f"Risk: {html.escape(str(risk)) if isinstance(risk, str) else 'not assessed'}",
    ]
    if isinstance(status, str):
        parts.append(f"Assessment: {html.escape(status)}")
    if review is not None and not pd.isna(review):
        parts.append(f"Next review: {html.escape(str(review))}")
    return "<br>".join(parts)


class _TextPopup(MacroElement):
    """A popup whose (escaped) HTML is passed to Leaflet as a string.

    folium's own ``Popup`` builds its content with jQuery (``$(...)``), which the app's local
    Leaflet does not load: the whole map script then stops at "$ is not defined" and nothing draws.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }},
            {"maxWidth": {{ this.max_width|tojson }}});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, max_width: int = 300) -> None:
        super().__init__()
        self._name = "TextPopup"
        self.content = content
        self.max_width = max_width


def site_layer(
    sites: pd.DataFrame,
    *,
    name: str = "Sites",
    district_names: Mapping[str, str] | None = None,
    type_labels: Mapping[str, str] | None = None,
) -> folium.FeatureGroup:
    """Return a layer of site markers (escaped popups); ``sites`` as from ``list_sites``.

    ``district_names`` and ``type_labels`` put names in the popups instead of codes.
    """
    layer = folium.FeatureGroup(name=name)
    for _, row in sites.iterrows():  # sites are tens to hundreds, not incidents
        risk = row.get("risk_rating")
        colour = RISK_COLOURS.get(risk if isinstance(risk, str) else None, "#999999")
        marker = folium.CircleMarker(
            location=(float(row["lat"]), float(row["lon"])),
            radius=8,
            color="#222222",
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=html.escape(str(row["name"])),
        )
        marker.add_child(_TextPopup(_popup(row, district_names, type_labels)))
        marker.add_to(layer)
    return layer


def site_map(
    sites: pd.DataFrame,
    *,
    tiles: str | None = "OpenStreetMap",
    district_names: Mapping[str, str] | None = None,
    type_labels: Mapping[str, str] | None = None,
) -> folium.Map:
    """Return a map of ``sites`` fitted to their extent (``tiles``: a ``TILES`` key or None)."""
    from layers.hexes import base_map

    fmap = base_map(tiles=tiles or "No tiles (offline)")
    if not sites.empty:
        site_layer(sites, district_names=district_names, type_labels=type_labels).add_to(fmap)
        fmap.fit_bounds(
            [[sites["lat"].min(), sites["lon"].min()], [sites["lat"].max(), sites["lon"].max()]],
            max_zoom=16,
        )
    return fmap
