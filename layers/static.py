"""Static maps for printed packs: hexagons, hotspot outline, district boundary and sites as a PNG.

Rendered offline with matplotlib (no web tiles), in greys and a colour-blind-safe sequential
ramp that stays readable when printed in greyscale. Counts must already have passed disclosure
control: suppressed cells arrive with ``count`` missing and are drawn hatched, without a number.

Drawn with plain matplotlib collections on the British National Grid (one coordinate transform
for all vertices, no per-feature plotting), so a pack of fifty maps takes seconds. The colour key
sits outside the map frame and site labels are clipped to the frame, so a label never covers it.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Final

import geopandas as gpd
import h3
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import Transformer

mpl.use("Agg")

__all__ = [
    "RAMP",
    "cells_to_polygons",
    "count_bins",
    "hex_resolution_for_area",
    "render_static_map",
]

#: Viridis, light to dark (perceptually ordered, colour-blind safe, greyscale-monotone).
RAMP: Final[tuple[str, ...]] = ("#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154")
_SUPPRESSED: Final = "#eeeeee"
_HALO: Final[list[patheffects.AbstractPathEffect]] = [
    patheffects.withStroke(linewidth=2.5, foreground="white")
]


@functools.lru_cache(maxsize=1)
def _to_bng() -> Transformer:
    return Transformer.from_crs(4326, 27700, always_xy=True)


def cells_to_polygons(cells: np.ndarray) -> list[shapely.Polygon]:
    """Return WGS84 hexagon polygons for integer H3 cells."""
    return [shapely.Polygon(ring) for ring in _cell_rings(cells)]


def _cell_rings(cells: np.ndarray) -> list[list[tuple[float, float]]]:
    rings = []
    for cell in np.asarray(cells, dtype=np.int64):
        boundary = h3.cell_to_boundary(h3.int_to_str(int(np.int64(cell).view(np.uint64))))
        rings.append([(lng, lat) for lat, lng in boundary])
    return rings


def hex_resolution_for_area(area_m2: float, *, cells_across: int = 5, finest: int = 11) -> int:
    """Return the coarsest H3 resolution whose hexagons fit ``cells_across`` times into ``area_m2``.

    A map of a hotspot drawn with hexagons larger than the hotspot says nothing about where in
    it harm concentrates; this keeps at least ``cells_across`` hexagons' worth of area inside.

    Examples
    --------
    >>> hex_resolution_for_area(4_000_000), hex_resolution_for_area(200_000)
    (8, 10)
    >>> hex_resolution_for_area(30_000)
    11
    """
    for res in range(7, finest + 1):
        if h3.average_hexagon_area(res, unit="m^2") * cells_across <= area_m2:
            return res
    return finest


def count_bins(top: float, threshold: int) -> list[int]:
    """Readable bin edges from ``threshold`` to above ``top``, at most ``len(RAMP)`` bins.

    Examples
    --------
    >>> count_bins(240, 5)
    [5, 10, 20, 50, 100, 200, 241]
    >>> count_bins(3, 5)
    [5, 6]
    """
    nice = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    edges = [threshold] + [e for e in nice if threshold < e <= top]
    while len(edges) > len(RAMP):
        edges = edges[::2]
    edges.append(int(max(top, edges[-1])) + 1)
    return edges


def _bin_label(low: int, high: int) -> str:
    return f"{low}" if high - low == 1 else f"{low}–{high - 1}"


def render_static_map(
    *,
    hexes: pd.DataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    sites: pd.DataFrame | None = None,
    title: str = "",
    footer: str = "",
    threshold: int = 5,
    suppressed_label: str | None = None,
    size_inches: tuple[float, float] = (6.5, 5.0),
    dpi: int = 150,
) -> bytes:
    """Draw the map and return PNG bytes.

    Parameters
    ----------
    hexes
        ``h3_cell`` (int64) and ``count`` (missing where suppressed).
    hotspots
        Outlines (WGS84); the map is framed on them when given.
    districts
        Boundaries (WGS84) with ``name``.
    sites
        ``lat``, ``lon`` and ``name``.
    threshold, suppressed_label
        The suppression threshold and what a suppressed count reads as, stated in the key.
    """
    fig = Figure(figsize=size_inches, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.06 if footer else 0.02, 0.70, 0.86 if title else 0.92))
    transform = _to_bng()
    handles: list[Any] = []
    frame: tuple[float, float, float, float] | None = None
    if hexes is not None and not hexes.empty:
        rings = _cell_rings(hexes["h3_cell"].to_numpy())
        sizes = np.array([len(r) for r in rings])
        flat = np.concatenate([np.asarray(r) for r in rings])
        x, y = transform.transform(flat[:, 0], flat[:, 1])
        xy = np.column_stack([x, y])
        verts = np.split(xy, np.cumsum(sizes)[:-1])
        counts = hexes["count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        shown = ~np.isnan(counts)
        if shown.any():
            edges = count_bins(float(np.nanmax(counts)), threshold)
            colours = list(RAMP[: len(edges) - 1])
            which = np.clip(np.searchsorted(edges, counts[shown], side="right") - 1, 0, None)
            which = np.minimum(which, len(colours) - 1)
            ax.add_collection(
                PolyCollection(
                    [v for v, s in zip(verts, shown, strict=True) if s],
                    facecolors=[colours[i] for i in which],
                    edgecolors="white",
                    linewidths=0.3,
                )
            )
            handles += [
                Patch(facecolor=c, edgecolor="#777777", label=_bin_label(lo, hi))
                for c, lo, hi in zip(colours, edges[:-1], edges[1:], strict=True)
            ]
        if (~shown).any():
            ax.add_collection(
                PolyCollection(
                    [v for v, s in zip(verts, shown, strict=True) if not s],
                    facecolors=_SUPPRESSED,
                    edgecolors="#999999",
                    hatch="///",
                    linewidths=0.3,
                )
            )
            handles.append(
                Patch(
                    facecolor=_SUPPRESSED,
                    edgecolor="#999999",
                    hatch="///",
                    label=suppressed_label or f"fewer than {threshold}",
                )
            )
        frame = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    if districts is not None and not districts.empty:
        lines = _lines(districts.geometry.boundary, transform)
        ax.add_collection(
            LineCollection(lines, colors="#333333", linewidths=0.9, linestyles=(0, (4, 3)))
        )
        handles.append(Line2D([], [], color="#333333", linestyle="--", label="district boundary"))
        if frame is None and lines:
            allxy = np.concatenate(lines)
            frame = (allxy[:, 0].min(), allxy[:, 1].min(), allxy[:, 0].max(), allxy[:, 1].max())
    if hotspots is not None and not hotspots.empty:
        lines = _lines(hotspots.geometry.boundary, transform)
        outline = LineCollection(lines, colors="black", linewidths=2.2)
        outline.set_path_effects([patheffects.withStroke(linewidth=4, foreground="white")])
        ax.add_collection(outline)
        handles.append(Line2D([], [], color="black", linewidth=2.2, label="hotspot outline"))
        allxy = np.concatenate(lines)
        frame = (allxy[:, 0].min(), allxy[:, 1].min(), allxy[:, 0].max(), allxy[:, 1].max())
    if frame is not None:
        minx, miny, maxx, maxy = frame
        pad = max(maxx - minx, maxy - miny) * 0.25 + 60
        cx, cy, half = (minx + maxx) / 2, (miny + maxy) / 2, max(maxx - minx, maxy - miny) / 2
        # A square-ish frame centred on the subject, in the axes' aspect.
        box_w = ax.get_position().width * size_inches[0]
        box_h = ax.get_position().height * size_inches[1]
        half_x = half_y = half + pad
        if box_w > box_h:
            half_x = half_y * box_w / box_h
        else:
            half_y = half_x * box_h / box_w
        ax.set_xlim(cx - half_x, cx + half_x)
        ax.set_ylim(cy - half_y, cy + half_y)
    if sites is not None and not sites.empty:
        sx, sy = transform.transform(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
        ax.scatter(
            sx, sy, marker="^", s=46, c="black", edgecolors="white", linewidths=0.8, zorder=5
        )
        for x, y, name in zip(sx, sy, sites["name"], strict=True):
            text = ax.annotate(
                str(name),
                (x, y),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                annotation_clip=True,
                clip_on=True,
                zorder=6,
            )
            text.set_path_effects(_HALO)
        handles.append(
            Line2D([], [], marker="^", color="black", linestyle="", label="assessed site")
        )
    ax.set_aspect("equal", adjustable="datalim" if frame is None else "box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")
    _scale_bar(ax)
    if handles:
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.73, 0.92 if title else 0.96),
            fontsize=7,
            frameon=False,
            title="Incidents per hexagon" if hexes is not None and not hexes.empty else None,
            title_fontsize=7,
            alignment="left",
        )
    if title:
        fig.text(0.01, 0.97, title, fontsize=9, va="top", weight="bold", parse_math=False)
    if footer:
        fig.text(0.01, 0.01, footer, fontsize=6, color="#333333", parse_math=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _lines(boundaries: gpd.GeoSeries, transform: Transformer) -> list[np.ndarray]:
    """Every line of the boundaries, projected to the British National Grid, in one transform."""
    parts = shapely.get_parts(np.asarray(boundaries.to_numpy()))
    parts = shapely.get_parts(parts)  # multilines into lines
    if not len(parts):
        return []
    coords, index = shapely.get_coordinates(parts, return_index=True)
    x, y = transform.transform(coords[:, 0], coords[:, 1])
    xy = np.column_stack([x, y])
    cuts = np.flatnonzero(np.diff(index)) + 1
    return np.split(xy, cuts)


def _scale_bar(ax: Any) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = x1 - x0
    length = next(
        (n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000) if n >= span / 6),
        50000,
    )
    x, y = x1 - span * 0.05 - length, y0 + (y1 - y0) * 0.05
    bar = ax.plot([x, x + length], [y, y], color="black", linewidth=2, zorder=7)
    bar[0].set_path_effects([patheffects.withStroke(linewidth=4, foreground="white")])
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    text = ax.text(x + length / 2, y + (y1 - y0) * 0.02, label, ha="center", fontsize=7, zorder=7)
    text.set_path_effects(_HALO)
