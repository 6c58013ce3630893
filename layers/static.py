"""Static maps for printed packs: hexagons, hotspot outline, district boundary and sites as a PNG.

Rendered offline with matplotlib (no web tiles), in greys and a colour-blind-safe sequential
ramp that stays readable when printed in greyscale. Counts must already have passed disclosure
control: suppressed cells arrive with ``count`` missing and are drawn hatched, without a number.
"""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import h3
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

__all__ = ["cells_to_polygons", "render_static_map"]


def cells_to_polygons(cells: np.ndarray) -> list[shapely.Polygon]:
    """Return WGS84 hexagon polygons for integer H3 cells."""
    polygons = []
    for cell in np.asarray(cells, dtype=np.int64):
        boundary = h3.cell_to_boundary(h3.int_to_str(int(np.int64(cell).view(np.uint64))))
        polygons.append(shapely.Polygon([(lng, lat) for lat, lng in boundary]))
    return polygons


def render_static_map(
    *,
    hexes: pd.DataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    sites: pd.DataFrame | None = None,
    title: str = "",
    footer: str = "",
    threshold: int = 5,
    size_inches: tuple[float, float] = (6.5, 5.0),
    dpi: int = 150,
) -> bytes:
    """Draw the map and return PNG bytes.

    Parameters
    ----------
    hexes
        ``h3_cell`` (int64) and ``count`` (missing where suppressed).
    hotspots
        Outlines (WGS84) with ``id``.
    districts
        Boundaries (WGS84).
    sites
        ``lat``, ``lon`` and ``name``.
    threshold
        The suppression threshold, stated in the legend.
    """
    fig, ax = plt.subplots(figsize=size_inches, dpi=dpi)
    handles: list[Any] = []
    extent: list[shapely.Geometry] = []
    if hexes is not None and not hexes.empty:
        frame = gpd.GeoDataFrame(
            hexes.copy(), geometry=cells_to_polygons(hexes["h3_cell"]), crs=4326
        ).to_crs(27700)
        shown = frame[frame["count"].notna()]
        hidden = frame[frame["count"].isna()]
        if not shown.empty:
            shown.plot(
                ax=ax,
                column="count",
                cmap="viridis_r",
                linewidth=0.2,
                edgecolor="white",
                legend=True,
                legend_kwds={"label": "incidents per hexagon", "shrink": 0.6},
            )
        if not hidden.empty:
            hidden.plot(ax=ax, facecolor="#eeeeee", edgecolor="#999999", hatch="///", linewidth=0.2)
            handles.append(
                Patch(
                    facecolor="#eeeeee",
                    edgecolor="#999999",
                    hatch="///",
                    label=f"fewer than {threshold} (suppressed)",
                )
            )
        extent.append(shapely.box(*frame.total_bounds))
    if districts is not None and not districts.empty:
        d = districts.to_crs(27700)
        d.boundary.plot(ax=ax, color="#333333", linewidth=0.8, linestyle="--")
        handles.append(
            Patch(facecolor="none", edgecolor="#333333", linestyle="--", label="district boundary")
        )
        if not extent:
            extent.append(shapely.box(*d.total_bounds))
    if hotspots is not None and not hotspots.empty:
        hs = hotspots.to_crs(27700)
        hs.boundary.plot(ax=ax, color="black", linewidth=2.0)
        handles.append(
            Patch(facecolor="none", edgecolor="black", linewidth=2, label="hotspot outline")
        )
        extent.append(shapely.box(*hs.total_bounds))
    if sites is not None and not sites.empty:
        pts = gpd.GeoDataFrame(
            sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326
        ).to_crs(27700)
        pts.plot(ax=ax, marker="^", color="black", markersize=40, edgecolor="white")
        for geom, name in zip(pts.geometry, pts["name"], strict=True):
            ax.annotate(
                str(name), (geom.x, geom.y), xytext=(4, 4), textcoords="offset points", fontsize=7
            )
        handles.append(
            plt.Line2D([], [], marker="^", color="black", linestyle="", label="assessed site")
        )
    if extent:
        minx, miny, maxx, maxy = shapely.union_all(
            extent[-1:] if hotspots is not None and not hotspots.empty else extent
        ).bounds
        pad = max(maxx - minx, maxy - miny) * 0.15 + 100
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_yticks([])
    _scale_bar(ax)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=10)
    if footer:
        fig.text(0.01, 0.01, footer, fontsize=6, color="#333333")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _scale_bar(ax: plt.Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = x1 - x0
    length = next(
        (n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000) if n >= span / 6),
        50000,
    )
    x, y = x1 - span * 0.05 - length, y0 + (y1 - y0) * 0.05
    ax.plot([x, x + length], [y, y], color="black", linewidth=2)
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    ax.text(x + length / 2, y + (y1 - y0) * 0.015, label, ha="center", fontsize=7)
