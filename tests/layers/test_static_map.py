from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PIL import Image

from geo.cells import cells_to_parent, points_to_cells
from layers.static import render_static_map

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_static_map_is_not_blank_and_is_kept_as_an_artefact():
    rng = np.random.default_rng(0)
    lat = 52.75 + rng.normal(0, 0.004, 3000)
    lon = -2.0 + rng.normal(0, 0.006, 3000)
    cells = cells_to_parent(points_to_cells(lat, lon), 9)
    hexes = pd.Series(cells).value_counts().rename_axis("h3_cell").reset_index(name="count")
    hexes["count"] = hexes["count"].astype(float).where(hexes["count"] >= 5)  # suppressed: NaN
    hotspot = gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.Point(-2.0, 52.75).buffer(0.004)], crs=4326
    )
    district = gpd.GeoDataFrame(
        {"code": ["N1"]}, geometry=[shapely.box(-2.05, 52.72, -1.95, 52.78)], crs=4326
    )
    sites = pd.DataFrame({"lat": [52.751], "lon": [-2.001], "name": ["<Riverside Park>"]})
    png = render_static_map(
        hexes=hexes,
        hotspots=hotspot,
        districts=district,
        sites=sites,
        title="Hotspot 1",
        footer="OFFICIAL-SENSITIVE",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "static_map.png").write_bytes(png)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert image.shape[0] > 400
    assert image.shape[1] > 400
    assert image.std() > 20  # not a blank page
    assert (image < 100).mean() > 0.01  # dark ink: outlines, text, legend
    assert hexes["count"].isna().any()  # the map drew suppressed cells too (hatched)
