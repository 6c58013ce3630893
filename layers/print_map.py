"""Vector maps and charts for printed packs, drawn straight into the PDF (reportlab graphics).

A pack of fifty places needs fifty maps and fifty charts: drawn as PDF vector graphics they take
milliseconds each (a rasterised figure takes half a second), stay sharp at any zoom, and their
words are real text a screen reader and a search can find.

The map is framed on the hotspot at its own scale, in British National Grid metres, clipped to
the frame with shapely; the key sits outside the frame, and site labels turn left before they
would cross it. Counts must already have passed disclosure control: suppressed cells arrive with
``count`` missing and are drawn grey and hatched, without a number.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from reportlab.graphics.shapes import (
    _CLOSEPATH,
    _LINETO,
    _MOVETO,
    Drawing,
    Line,
    Path,
    Polygon,
    PolyLine,
    Rect,
    String,
)
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from layers.static import RAMP, _cell_rings, _to_bng, count_bins

__all__ = ["bar_chart_drawing", "map_drawing"]

_SUPPRESSED: Final = colors.HexColor("#e3e3e3")
_EDGE: Final = colors.HexColor("#8a8a8a")


def _bin_label(low: int, high: int) -> str:
    return f"{low}" if high - low == 1 else f"{low}–{high - 1}"


def _project(geoms: Any) -> np.ndarray:
    """WGS84 shapely geometries to British National Grid, all vertices in one transform."""
    transform = _to_bng()
    return shapely.transform(
        np.asarray(geoms),
        lambda xy: np.column_stack(transform.transform(xy[:, 0], xy[:, 1])),
    )


def map_drawing(
    *,
    hexes: pd.DataFrame,
    outline: shapely.Geometry,
    districts: gpd.GeoDataFrame | None = None,
    sites: pd.DataFrame | None = None,
    threshold: int = 5,
    suppressed_label: str | None = None,
    width: float = 510.0,
    height: float = 290.0,
    font: str = "Helvetica",
) -> Drawing:
    """Return a map of one place: hexagon counts, its outline, district boundaries, sites, a key.

    Parameters
    ----------
    hexes
        ``h3_cell`` (int64) and ``count`` (missing where suppressed).
    outline
        The place's outline (WGS84); the map is framed on it.
    districts
        District boundaries (WGS84).
    sites
        ``lat``, ``lon`` and ``name``.
    width, height
        Size in points; the key takes the right quarter.
    """
    drawing = Drawing(width, height)
    key_w = min(130.0, width * 0.27)
    map_w, map_h = width - key_w - 8, height
    shape = _project([outline])[0]
    minx, miny, maxx, maxy = shape.bounds
    half = max(maxx - minx, maxy - miny) / 2 * 1.3 + 80
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_x, half_y = (half * map_w / map_h, half) if map_w > map_h else (half, half * map_h / map_w)
    box = (cx - half_x, cy - half_y, cx + half_x, cy + half_y)
    scale = map_w / (2 * half_x)

    def page(xy: np.ndarray) -> list[float]:
        return (((xy - (box[0], box[1])) * scale).round(2)).ravel().tolist()

    drawing.add(Rect(0, 0, map_w, map_h, fillColor=colors.white, strokeColor=None))
    key: list[tuple[Any, str]] = []
    if not hexes.empty:
        rings = _cell_rings(hexes["h3_cell"].to_numpy())
        polygons = _project([shapely.Polygon(r) for r in rings])
        projected = [shapely.get_coordinates(p)[:-1] for p in polygons]
        clipped = shapely.clip_by_rect(polygons, *box)
        counts = hexes["count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        shown = ~np.isnan(counts)
        edges = count_bins(float(np.nanmax(counts)) if shown.any() else 0.0, threshold)
        ramp = [colors.HexColor(c) for c in RAMP[: len(edges) - 1]]
        which = np.minimum(
            np.clip(np.searchsorted(edges, np.nan_to_num(counts), side="right") - 1, 0, None),
            len(ramp) - 1,
        )
        # One path per colour (and one for suppressed cells): a handful of PDF objects, not
        # one per hexagon.
        groups = np.where(shown, which, -1)
        for group in np.unique(groups):
            outlines = [
                page(np.asarray(part.exterior.coords)[:-1])
                for geom in clipped[groups == group]
                for part in shapely.get_parts(geom)
                if not part.is_empty and part.geom_type == "Polygon"
            ]
            drawing.add(
                _path(
                    outlines,
                    fill=ramp[group] if group >= 0 else _SUPPRESSED,
                    stroke=colors.white if group >= 0 else _EDGE,
                    width=0.4,
                    closed=True,
                )
            )
        if (~shown).any():
            hidden = [np.asarray(r) for r, s in zip(projected, shown, strict=True) if not s]
            _hatch(drawing, hidden, box, page)
        if shown.any():
            key += [
                (colour, _bin_label(lo, hi))
                for colour, lo, hi in zip(ramp, edges[:-1], edges[1:], strict=True)
            ]
        if (~shown).any():
            key.append(("suppressed", suppressed_label or f"fewer than {threshold}"))
    if districts is not None and not districts.empty:
        lines = shapely.clip_by_rect(_project(districts.geometry.boundary.to_numpy()), *box)
        boundary = _path(
            [
                page(np.asarray(line.coords))
                for line in shapely.get_parts(shapely.get_parts(lines))
                if not line.is_empty and line.geom_type == "LineString"
            ],
            stroke=colors.HexColor("#333333"),
            width=0.9,
        )
        boundary.strokeDashArray = [4, 3]
        drawing.add(boundary)
        key.append(("dashed", "district boundary"))
    for ring in shapely.get_parts(shapely.clip_by_rect(shape.boundary, *box)):
        for line in shapely.get_parts(ring):
            if line.geom_type == "LineString" and not line.is_empty:
                coords = page(np.asarray(line.coords))
                drawing.add(PolyLine(coords, strokeColor=colors.white, strokeWidth=4.2))
                drawing.add(PolyLine(coords, strokeColor=colors.black, strokeWidth=2.2))
    key.append(("outline", "outline of the place"))
    if sites is not None and not sites.empty:
        sx, sy = _to_bng().transform(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
        for x, y, name in zip(sx, sy, sites["name"].astype(str), strict=True):
            if not (box[0] <= x <= box[2] and box[1] <= y <= box[3]):
                continue
            px, py = page(np.array([[x, y]]))
            drawing.add(
                Polygon(
                    [px - 4, py - 3, px + 4, py - 3, px, py + 4.5],
                    fillColor=colors.black,
                    strokeColor=colors.white,
                    strokeWidth=0.8,
                )
            )
            label = name if len(name) <= 48 else name[:47] + "…"
            size = 6.5
            text_w = stringWidth(label, font, size)
            anchor, tx = ("start", px + 6) if px + 6 + text_w < map_w - 2 else ("end", px - 6)
            lx = tx if anchor == "start" else tx - text_w
            drawing.add(
                Rect(
                    lx - 1.5,
                    py + 1,
                    text_w + 3,
                    size + 2,
                    fillColor=colors.white,
                    fillOpacity=0.8,
                    strokeColor=None,
                )
            )
            drawing.add(String(tx, py + 3, label, fontName=font, fontSize=size, textAnchor=anchor))
        key.append(("site", "assessed site"))
    _scale_bar(drawing, map_w, 2 * half_x, scale, font)
    drawing.add(Rect(0, 0, map_w, map_h, fillColor=None, strokeColor=_EDGE, strokeWidth=0.6))
    _key(
        drawing,
        key,
        x=map_w + 10,
        top=map_h - 4,
        font=font,
        title="Incidents per hexagon" if not hexes.empty else "Key",
    )
    return drawing


def _path(
    lines: list[list[float]],
    *,
    fill: Any = None,
    stroke: Any = None,
    width: float = 0.5,
    closed: bool = False,
) -> Path:
    """Many rings or lines as one path (flat coordinate lists)."""
    points: list[float] = []
    operators: list[int] = []
    for line in lines:
        if len(line) < 4:
            continue
        points += line
        operators += [_MOVETO] + [_LINETO] * (len(line) // 2 - 1) + ([_CLOSEPATH] if closed else [])
    return Path(
        points, operators, fillColor=fill, strokeColor=stroke, strokeWidth=width, strokeLineJoin=1
    )


def _hatch(drawing: Drawing, rings: list[np.ndarray], box: tuple[float, ...], page: Any) -> None:
    """One diagonal across each suppressed cell, so it reads as 'hidden' in greyscale too."""
    if not rings:
        return
    ends = np.array([[ring[0], ring[len(ring) // 2]] for ring in rings])
    lines = shapely.clip_by_rect(shapely.linestrings(ends), *box)
    drawing.add(
        _path(
            [page(np.asarray(line.coords)) for line in lines if not line.is_empty],
            stroke=_EDGE,
            width=0.45,
        )
    )


def _key(
    drawing: Drawing, items: list[tuple[Any, str]], *, x: float, top: float, font: str, title: str
) -> None:
    drawing.add(String(x, top - 8, title, fontName=font, fontSize=7.5))
    y = top - 22
    for swatch, label in items:
        if swatch == "suppressed":
            drawing.add(
                Rect(x, y, 14, 8, fillColor=_SUPPRESSED, strokeColor=_EDGE, strokeWidth=0.5)
            )
            drawing.add(Line(x + 1, y + 7, x + 13, y + 1, strokeColor=_EDGE, strokeWidth=0.45))
        elif swatch == "dashed":
            drawing.add(
                Line(
                    x,
                    y + 4,
                    x + 14,
                    y + 4,
                    strokeColor=colors.HexColor("#333333"),
                    strokeWidth=0.9,
                    strokeDashArray=[3, 2],
                )
            )
        elif swatch == "outline":
            drawing.add(Line(x, y + 4, x + 14, y + 4, strokeColor=colors.black, strokeWidth=2.2))
        elif swatch == "site":
            drawing.add(
                Polygon(
                    [x + 3, y + 1, x + 11, y + 1, x + 7, y + 8.5],
                    fillColor=colors.black,
                    strokeColor=None,
                )
            )
        else:
            drawing.add(Rect(x, y, 14, 8, fillColor=swatch, strokeColor=_EDGE, strokeWidth=0.4))
        drawing.add(String(x + 19, y + 1, label, fontName=font, fontSize=7))
        y -= 12


def _scale_bar(drawing: Drawing, map_w: float, span_m: float, scale: float, font: str) -> None:
    length = next(
        (n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000) if n >= span_m / 6),
        50000,
    )
    x1 = map_w - 10
    x0 = x1 - length * scale
    drawing.add(
        Rect(x0 - 4, 5, x1 - x0 + 8, 18, fillColor=colors.white, fillOpacity=0.8, strokeColor=None)
    )
    drawing.add(Line(x0, 9, x1, 9, strokeColor=colors.black, strokeWidth=2))
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    drawing.add(String((x0 + x1) / 2, 13, label, fontName=font, fontSize=7, textAnchor="middle"))


def bar_chart_drawing(
    values: pd.Series,
    *,
    width: float = 510.0,
    height: float = 105.0,
    font: str = "Helvetica",
    unit: str = "incidents",
    hidden_label: str = "",
) -> Drawing:
    """Bars by month, each month labelled with its year; missing (suppressed) months marked ×."""
    drawing = Drawing(width, height)
    numbers = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    months = pd.to_datetime(values.index)
    left, bottom, top_pad = 40.0, 24.0, 12.0
    plot_w, plot_h = width - left - 4, height - bottom - top_pad
    top = float(np.nanmax(numbers)) if np.isfinite(numbers).any() else 1.0
    step = _nice_step(max(top, 1.0))
    ceiling = step * np.ceil(max(top, 1.0) / step)
    for tick in np.arange(0, ceiling + step / 2, step):
        y = bottom + plot_h * tick / ceiling
        drawing.add(
            Line(left, y, left + plot_w, y, strokeColor=colors.HexColor("#dddddd"), strokeWidth=0.4)
        )
        drawing.add(
            String(left - 4, y - 2.5, f"{tick:g}", fontName=font, fontSize=6.5, textAnchor="end")
        )
    drawing.add(String(left - 4, height - 6, unit, fontName=font, fontSize=6.5, textAnchor="end"))
    n = max(len(numbers), 1)
    slot = plot_w / n
    every = max(1, int(np.ceil(n / 12)))
    for i, (value, month) in enumerate(zip(numbers, months, strict=True)):
        x = left + i * slot
        if np.isnan(value):
            drawing.add(
                String(
                    x + slot / 2,
                    bottom + 2,
                    "×",
                    fontName=font,
                    fontSize=7,
                    textAnchor="middle",
                    fillColor=colors.HexColor("#444444"),
                )
            )
        elif value > 0:
            drawing.add(
                Rect(
                    x + slot * 0.12,
                    bottom,
                    slot * 0.76,
                    plot_h * value / ceiling,
                    fillColor=colors.HexColor("#3b528b"),
                    strokeColor=None,
                )
            )
        if i % every == 0:
            drawing.add(
                String(
                    x + slot / 2,
                    bottom - 9,
                    f"{month:%b}",
                    fontName=font,
                    fontSize=6.5,
                    textAnchor="middle",
                )
            )
            drawing.add(
                String(
                    x + slot / 2,
                    bottom - 17,
                    f"{month:%Y}",
                    fontName=font,
                    fontSize=6.5,
                    textAnchor="middle",
                )
            )
    drawing.add(
        Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black, strokeWidth=0.6)
    )
    if hidden_label and np.isnan(numbers).any():
        drawing.add(
            String(
                width - 4,
                height - 7,
                f"× {hidden_label}",
                fontName=font,
                fontSize=6.5,
                textAnchor="end",
            )
        )
    return drawing


def _nice_step(top: float) -> float:
    raw = top / 4
    magnitude = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return float(max(factor * magnitude, 1))
    return float(10 * magnitude)
