"""The pack's vector map: framed on the place, key outside the frame, labels never over the key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from reportlab.graphics.shapes import Path, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from geo.cells import cells_to_parent, points_to_cells
from layers.print_map import bar_chart_drawing, map_drawing


def _walk(node):
    for item in getattr(node, "contents", []):
        yield item
        yield from _walk(item)


def _hexes(res: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cells = cells_to_parent(
        points_to_cells(52.75 + rng.normal(0, 0.003, 4000), -2.0 + rng.normal(0, 0.004, 4000)), res
    )
    hexes = pd.Series(cells).value_counts().rename_axis("h3_cell").reset_index(name="count")
    hexes["count"] = hexes["count"].astype(float).where(hexes["count"] >= 5)
    return hexes


def test_site_labels_stay_inside_the_map_and_off_the_key():
    outline = shapely.Point(-2.0, 52.75).buffer(0.003)
    maxx = outline.bounds[2]
    sites = pd.DataFrame(
        {
            # One site at the right edge of the frame with a long name: it must turn left.
            "lat": [52.75, 52.751],
            "lon": [maxx + 0.0008, -2.0],
            "name": ["Shopping centre car park, Northbrook (synthetic)", "Park"],
        }
    )
    width, height = 500.0, 280.0
    drawing = map_drawing(hexes=_hexes(), outline=outline, sites=sites, width=width, height=height)
    key_x = width - min(130.0, width * 0.27)
    labels = [s for s in _walk(drawing) if isinstance(s, String) and s.text in set(sites["name"])]
    assert len(labels) == 2
    assert any(label.textAnchor == "end" for label in labels)  # the one at the edge turned left
    for label in labels:
        size = stringWidth(label.text, label.fontName, label.fontSize)
        left = label.x - size if label.textAnchor == "end" else label.x
        assert left >= 0
        assert left + size <= key_x - 8  # never into the key
    texts = " ".join(s.text for s in _walk(drawing) if isinstance(s, String))
    assert "fewer than 5" in texts  # suppressed cells are drawn and keyed
    assert "Incidents per hexagon" in texts
    # Every hexagon is clipped to the map frame.
    map_w = key_x - 8
    for path in (p for p in _walk(drawing) if isinstance(p, Path)):
        xs, ys = np.array(path.points[0::2]), np.array(path.points[1::2])
        assert (xs >= -0.5).all()
        assert (xs <= map_w + 0.5).all()
        assert (ys >= -0.5).all()
        assert (ys <= height + 0.5).all()


def test_trend_chart_names_month_and_year_and_marks_suppressed_months():
    months = pd.Series(
        [12.0, None, 30.0, 25.0], index=pd.date_range("2025-11-01", periods=4, freq="MS")
    )
    drawing = bar_chart_drawing(months, hidden_label="fewer than 5")
    texts = [s.text for s in _walk(drawing) if isinstance(s, String)]
    assert {"Nov", "Dec", "Jan", "Feb"} <= set(texts)
    assert {"2025", "2026"} <= set(texts)
    assert "×" in texts
    assert "× fewer than 5" in texts
