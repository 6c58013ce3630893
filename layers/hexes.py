"""Folium layers for the map: hexagons (already protected), district boundaries, legend.

Functions take frames and return folium objects; they compute nothing and never call Streamlit.
Every string put into HTML (tooltips, popups, legend) is escaped.
"""

from __future__ import annotations

import html
import json
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from branca.element import Element, MacroElement
from folium.map import ElementAddToElement
from folium.template import Template
from h3ronpy import vector

from geo.labels import EMERGING_COLOURS

__all__ = [
    "LOCAL_LEAFLET",
    "TILES",
    "base_map",
    "district_layer",
    "fill_colours",
    "hex_layer",
    "hexes_geojson",
    "legend_html",
    "spot_colour",
    "spot_layer",
]

#: Tile choices: OpenStreetMap (with attribution) or none, for offline and air-gapped councils.
TILES: dict[str, dict[str, str] | None] = {
    "OpenStreetMap": {"tiles": "OpenStreetMap"},
    "No tiles (offline)": None,
}

#: Viridis (perceptually ordered, colour-blind safe), light to dark.
_RAMP = ["#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154"]
_SUPPRESSED_FILL = "#bdbdbd"


def _ring_coordinates(cells: pd.Series, *, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the closed rings' ``[lng, lat]`` of H3 cells (int64) and where each ring starts."""
    if len(cells) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    ids = pa.array(np.asarray(cells, dtype=np.int64).view(np.uint64))
    polygons = shapely.from_wkb(np.asarray(vector.cells_to_wkb_polygons(ids), dtype=object))
    coords, owner = shapely.get_coordinates(polygons, return_index=True)
    return np.round(coords, digits), np.flatnonzero(np.diff(owner)) + 1


def _ring_lists(coords: np.ndarray, starts: np.ndarray) -> list[list[list[float]]]:
    """Split ring coordinates into lists; one reshape when every ring has the same length."""
    if not len(coords):
        return []
    lengths = np.diff(np.concatenate([[0], starts, [len(coords)]]))
    if (lengths == lengths[0]).all():
        return coords.reshape(len(lengths), int(lengths[0]), 2).tolist()  # type: ignore[no-any-return]
    return [ring.tolist() for ring in np.split(coords, starts)]


def _rings(cells: pd.Series, *, digits: int) -> list[list[list[float]]]:
    """Return closed GeoJSON rings ``[lng, lat]`` of H3 cells (int64), coordinates rounded."""
    return _ring_lists(*_ring_coordinates(cells, digits=digits))


def hexes_geojson(cells: pd.DataFrame) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of hexagons with escaped ``label`` properties.

    ``cells`` needs ``h3_cell`` (int64), ``count`` (shown value, missing when suppressed) and
    ``label`` (the text to show); extra string columns become escaped properties.
    """
    features = []
    for row, ring in zip(
        cells.itertuples(index=False), _rings(cells["h3_cell"], digits=6), strict=True
    ):
        cell = h3.int_to_str(int(np.uint64(np.int64(row.h3_cell).view(np.uint64))))
        count = None if pd.isna(row.count) else int(row.count)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"cell": cell, "count": count, "label": html.escape(str(row.label))},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _colormap(counts: pd.Series, threshold: int) -> cm.StepColormap:
    """Readable, roughly logarithmic bins from the threshold to the largest shown count."""
    shown = counts.dropna().astype(float)
    top = float(shown.max()) if len(shown) else float(threshold)
    nice = [threshold, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000]
    edges = sorted({float(e) for e in nice if threshold <= e < top} | {float(threshold)})
    while len(edges) > len(_RAMP):
        edges = edges[::2] if len(edges) % 2 else [*edges[:-1:2], edges[-1]]
    edges.append(max(top, edges[-1] + 1))
    colours = _RAMP[: len(edges) - 1]
    return cm.StepColormap(colours, index=edges, vmin=edges[0], vmax=edges[-1])


def fill_colours(counts: pd.Series, colormap: cm.StepColormap) -> list[str]:
    """Return each count's fill colour (``#rrggbb``); suppressed (missing) counts are grey.

    Examples
    --------
    >>> scale = _colormap(pd.Series([5, 40, None]), 5)
    >>> fill_colours(pd.Series([5, 40, None]), scale)
    ['#fde725', '#2a788e', '#bdbdbd']
    """
    edges = np.asarray(colormap.index[1:-1], dtype=float)
    ramp = [
        "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in colour[:3]))
        for colour in colormap.colors
    ]
    values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float)
    bins = np.searchsorted(edges, values, side="right")
    return [_SUPPRESSED_FILL if np.isnan(v) else ramp[b] for v, b in zip(values, bins, strict=True)]


#: How every hexagon is drawn; each feature carries only its own fill colour.
_HEX_STYLE = {"color": "#555555", "weight": 0.4, "fillOpacity": 0.65}
_HEX_HIGHLIGHT = {"color": "#000000", "weight": 2}

#: Map coordinates to five decimals (about a metre): a hexagon's edge is 65 m or more.
MAP_DIGITS = 5


class _Script(Element):
    """Text put into the page's script as it is (branca would compile it as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text."""
        return self._text


class _HexagonGeoJson(folium.GeoJson):
    """Hexagons sent as columns, serialised once, drawn by one style function reading ``fill``.

    folium renders a layer's script into a Jinja template and compiles it on every render
    (``streamlit-folium`` renders a map three times), re-serialises the data each time, and
    walks every coordinate in Python for the map's bounds; for thousands of hexagons that was
    most of the page's server time. Here the data is JSON once, as columns (outlines, an index
    into the distinct labels and colours), and the browser makes the features; the script is
    plain text, the bounds are known, and the style is a small function (folium's
    ``style_function`` sends a ``switch`` with a case per feature).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {
            style: function (feature) {
                return Object.assign({fillColor: feature.properties.fill}, {{ this.base_style }});
            },
            onEachFeature: function (feature, layer) {
                layer.on({
                    mouseover: function (e) { e.target.setStyle({{ this.highlight_style }}); },
                    mouseout: function (e) { {{ this.get_name() }}.resetStyle(e.target); }
                });
            }
        });
        (function (d) {
            {{ this.get_name() }}.addData({type: "FeatureCollection", features: d.rings.map(
                function (ring, i) {
                    return {type: "Feature", geometry: {type: "Polygon", coordinates: [ring]},
                            properties: {label: d.labels[d.label[i]], fill: d.fills[d.fill[i]]}};
                })});
        })({{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        columns: dict[str, Any],
        *,
        bounds: list[list[float | None]],
        name: str,
        tooltip: folium.GeoJsonTooltip,
    ) -> None:
        # folium checks the tooltip's fields against the first feature's properties
        first = {"type": "Feature", "geometry": None, "properties": {"label": "", "fill": ""}}
        super().__init__({"type": "FeatureCollection", "features": [first]}, name=name)
        self.add_child(tooltip)
        self.data_json = _safe_json(columns)
        self.bounds = bounds
        self.base_style = _safe_json(_HEX_STYLE)
        self.highlight_style = _safe_json(_HEX_HIGHLIGHT)

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self.bounds

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add the layer's script (plain text), its addition to the map, and its children."""
        if self.show and self._parent is not None:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(_Script(script), name=self.get_name())  # type: ignore[attr-defined]
        for child in self._children.values():
            child.render(**kwargs)


def _safe_json(value: object) -> str:
    """JSON to put inside a ``<script>``: compact, with ``<``, ``>``, ``&`` and ``'`` escaped."""
    text = json.dumps(value, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return text


def hex_layer(
    cells: pd.DataFrame, *, threshold: int, name: str = "Incidents per hexagon"
) -> tuple[folium.GeoJson, cm.StepColormap]:
    """Return the hexagon layer and its colour scale (suppressed cells grey, no number).

    Each hexagon has its outline (coordinates to about a metre), its escaped ``label`` and its
    ``fill`` colour, and nothing else; see :class:`_HexagonGeoJson` for how they are sent.
    """
    colormap = _colormap(cells["count"], threshold)
    label, labels = pd.factorize(cells["label"].astype(str))
    fill, fills = pd.factorize(pd.Series(fill_colours(cells["count"], colormap), dtype=object))
    coords, starts = _ring_coordinates(cells["h3_cell"], digits=MAP_DIGITS)
    columns = {
        "rings": _ring_lists(coords, starts),
        "label": label.tolist(),
        "labels": [html.escape(text) for text in labels],
        "fill": fill.tolist(),
        "fills": list(fills),
    }
    bounds: list[list[float | None]] = (
        [coords.min(axis=0)[::-1].tolist(), coords.max(axis=0)[::-1].tolist()]
        if len(coords)
        else [[None, None], [None, None]]
    )
    layer = _HexagonGeoJson(
        columns,
        bounds=bounds,
        name=name,
        tooltip=folium.GeoJsonTooltip(
            fields=["label"], aliases=["Incidents"], labels=True, sticky=False
        ),
    )
    return layer, colormap


# Style functions are module functions, not lambdas, so that a map can be pickled (the Map page
# keeps whole maps in Streamlit's data cache).
def _district_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"fill": False, "color": "#222222", "weight": 2, "dashArray": "6 4"}


def _spot_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"fill": False, "weight": 3, "color": feature["properties"]["colour"]}


def district_layer(
    districts: gpd.GeoDataFrame, *, name: str = "District boundaries"
) -> folium.GeoJson:
    """Return district outlines with escaped names as tooltips."""
    frame = districts[["code", "name", "geometry"]].copy()
    frame["label"] = [
        html.escape(f"{n} ({c})") for c, n in zip(frame["code"], frame["name"], strict=True)
    ]
    data = json.loads(frame[["label", "geometry"]].to_json())
    return folium.GeoJson(
        data,
        name=name,
        style_function=_district_style,
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def _swatch(colour: str, *, outline: bool = False) -> str:
    style = (
        f"border:3px solid {colour};background:transparent"
        if outline
        else f"background:{colour};border:1px solid #555"
    )
    return (
        f'<span aria-hidden="true" style="{style};width:12px;height:12px;display:inline-block;'
        'margin-right:6px;vertical-align:-2px;box-sizing:border-box"></span>'
    )


def legend_html(
    colormap: cm.StepColormap,
    *,
    profile_text: str,
    note: str | None = None,
    spots: dict[str, tuple[str, str]] | None = None,
    open_: bool = False,
) -> str:
    """Return a compact, collapsible HTML key (escaped) in the map's bottom-right corner.

    Closed, it is one line: the colour ramp with its lowest and highest bin. Opened (a native
    ``<details>`` element, so keyboards and screen readers can use it), it lists the bins, the
    suppressed grey, the disclosure rule and, when ``spots`` is given (label → (colour,
    explanation)), one outline colour per hot spot class with what the class means.
    """
    index = colormap.index
    colours = [
        "#{:02x}{:02x}{:02x}".format(*(int(c * 255) for c in colour[:3]))
        for colour in colormap.colors
    ]
    strip = "".join(
        f'<span aria-hidden="true" style="background:{c};width:14px;height:10px;'
        'display:inline-block"></span>'
        for c in colours
    )
    rows = [
        f"<div>{_swatch(c)}{int(index[i])}&ndash;{int(index[i + 1]) - 1}</div>"
        for i, c in enumerate(colours)
    ]
    rows.append(f"<div>{_swatch(_SUPPRESSED_FILL)}suppressed (small count, no number)</div>")
    spot_rows = ""
    if spots:
        spot_rows = (
            "<div style='margin-top:6px'><b>Hot spot analysis</b> (outlines)</div>"
            + "".join(
                f"<div title='{html.escape(text)}'>{_swatch(colour, outline=True)}"
                f"{html.escape(label)}<div style='margin-left:18px;color:#333'>"
                f"{html.escape(text)}</div></div>"
                for label, (colour, text) in spots.items()
            )
        )
    extra = f"<div style='margin-top:4px'>{html.escape(note)}</div>" if note else ""
    return (
        '<details id="saferplaces-legend" '
        + ("open " if open_ else "")
        + 'style="position:absolute;bottom:22px;right:10px;z-index:9999;background:white;'
        "padding:4px 8px;border:1px solid #767676;border-radius:4px;font:12px sans-serif;"
        'color:#1a1a1a;max-width:240px;max-height:60%;overflow:auto">'
        '<summary style="cursor:pointer;min-height:24px;line-height:24px">'
        f"Key {strip} <span style='color:#333'>{int(index[0])}&ndash;{int(index[-1]) - 1} "
        "incidents</span></summary>"
        "<b>Incidents per hexagon</b>"
        + "".join(rows)
        + f"<div style='margin-top:4px;color:#333'>{html.escape(profile_text)}</div>"
        + extra
        + spot_rows
        + "</details>"
    )


#: Where the app serves its own copy of Leaflet (``static/leaflet``): maps work without any CDN,
#: on closed council networks too.
LOCAL_LEAFLET = "/app/static/leaflet"


class _FitWhenShown(MacroElement):
    """Fit the map to its bounds again once its frame has a size.

    A map drawn inside a tab the user has not opened yet (the Sites page's "New site" picker)
    starts in a frame of no size: Leaflet fits the bounds to nothing and shows the whole world,
    and it does not notice the frame growing. This watches the map's container and, the first
    time it has a size, tells Leaflet so and fits the bounds.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, bounds) {
            if (typeof ResizeObserver === "undefined") { return; }
            var watch = new ResizeObserver(function (entries) {
                var box = entries[0].contentRect;
                if (box.width > 0 && box.height > 0) {
                    watch.disconnect();
                    map.invalidateSize();
                    map.fitBounds(bounds);
                }
            });
            watch.observe(map.getContainer());
        })({{ this._parent.get_name() }}, {{ this.bounds_json }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitWhenShown"
        self.bounds_json = json.dumps([[float(v) for v in corner] for corner in bounds])


def base_map(
    *,
    tiles: str = "OpenStreetMap",
    bounds: list[list[float]] | None = None,
    assets: str | None = LOCAL_LEAFLET,
) -> folium.Map:
    """Return an empty map with a scale bar, fitted to ``bounds`` ([[S, W], [N, E]]).

    ``assets`` is the URL folder of a local Leaflet (``leaflet.js``, ``leaflet.css``); ``None``
    keeps folium's CDN links (for standalone HTML files).
    """
    choice = TILES.get(tiles, TILES["OpenStreetMap"])
    fmap = folium.Map(tiles=choice["tiles"] if choice else None, control_scale=True)
    if assets:
        fmap.default_js = [("leaflet", f"{assets}/leaflet.js")]
        fmap.default_css = [("leaflet_css", f"{assets}/leaflet.css")]
    if bounds:
        fmap.fit_bounds(bounds)
        _FitWhenShown(bounds).add_to(fmap)
    return fmap


#: Outline colours of Gi* hot and cold spots (confidence in the label), colour-blind safe.
SPOT_COLOURS = {"hot": "#d55e00", "cold": "#0072b2"}


def spot_colour(label: str, kind: str) -> str:
    """Return the outline colour of a hot spot class: one per emerging class, else hot/cold."""
    return EMERGING_COLOURS.get(label, SPOT_COLOURS.get(kind, "#000000"))


def spot_layer(cells: pd.DataFrame, *, name: str = "Significant hot spots") -> folium.GeoJson:
    """Outline cells by hot spot class (``h3_cell``, ``label``: class name; ``kind``: hot/cold).

    Each emerging class has its own colour (``geo.labels.EMERGING_COLOURS``), named in the key.
    """
    data = hexes_geojson(cells.assign(count=0))
    for feature, label, kind in zip(data["features"], cells["label"], cells["kind"], strict=True):
        feature["properties"]["kind"] = kind
        feature["properties"]["colour"] = spot_colour(str(label), str(kind))
    return folium.GeoJson(
        data,
        name=name,
        style_function=_spot_style,
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=["Hot spot analysis"]),
    )
