"""The map's hexagon layer: colours carried by the features, lean GeoJSON, escaped labels."""

from __future__ import annotations

import json
import re

import pandas as pd

from layers.hexes import MAP_DIGITS, _colormap, base_map, fill_colours, hex_layer

CELLS = pd.DataFrame(
    {
        "h3_cell": [0x88195D2B1DFFFFF, 0x88195D2B15FFFFF, 0x88195D2B17FFFFF, 0x88195D2B11FFFFF],
        "count": [5, None, 240, 40],
        "label": ["5", "fewer than 5", "240", "<img src=x onerror=alert(1)>"],
    }
)


def _features(html: str) -> list[dict]:
    """The features the page's script makes from the columns it is sent."""
    found = re.search(r"\}\)\((\{\"rings\".*\})\);\n", html)
    assert found is not None
    data = json.loads(found.group(1))
    return [
        {
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"label": data["labels"][label], "fill": data["fills"][fill]},
        }
        for ring, label, fill in zip(data["rings"], data["label"], data["fill"], strict=True)
    ]


def test_fill_colours_agree_with_the_colour_scale():
    counts = pd.Series([0, 4, 5, 9, 10, 49, 50, 199, 200, 999, 1000, 4000, None])
    scale = _colormap(counts, 5)
    expected = ["#bdbdbd" if pd.isna(c) else scale(max(c, scale.vmin))[:7] for c in counts.tolist()]
    assert fill_colours(counts, scale) == expected


def test_layer_carries_each_fill_in_its_feature_not_a_switch():
    fmap = base_map(bounds=[[51.4, -1.0], [51.5, -0.9]])
    layer, scale = hex_layer(CELLS, threshold=5)
    layer.add_to(fmap)
    html = fmap.get_root().render()
    assert "switch" not in html
    features = _features(html)
    assert [f["properties"]["fill"] for f in features] == fill_colours(CELLS["count"], scale)
    assert features[1]["properties"]["fill"] == "#bdbdbd"  # suppressed: grey, no number
    # only what the page draws: outline, label and colour (no cell id, no raw count)
    found = re.search(r"\}\)\((\{\"rings\".*\})\);\n", html)
    assert set(json.loads(found.group(1))) == {"rings", "label", "labels", "fill", "fills"}
    assert features[3]["properties"]["label"] == "&lt;img src=x onerror=alert(1)&gt;"
    coordinates = [x for f in features for point in f["geometry"]["coordinates"][0] for x in point]
    assert all(round(x, MAP_DIGITS) == x for x in coordinates)
    assert "feature.properties.fill" in html
    assert html.count('"rings"') == 1  # the data is in the page once
    # the map's bounds come from the outlines (folium would walk every coordinate in Python)
    points = [point for f in features for point in f["geometry"]["coordinates"][0]]
    assert layer.get_bounds() == [
        [min(p[1] for p in points), min(p[0] for p in points)],
        [max(p[1] for p in points), max(p[0] for p in points)],
    ]


def test_rings_are_the_h3_boundaries_closed():
    import h3

    from layers.hexes import _rings

    rings = _rings(CELLS["h3_cell"], digits=6)
    for value, ring in zip(CELLS["h3_cell"], rings, strict=True):
        expected = {
            (round(lng, 6), round(lat, 6))
            for lat, lng in h3.cell_to_boundary(h3.int_to_str(int(value)))
        }
        assert ring[0] == ring[-1]
        assert len(ring) == 7
        assert {tuple(point) for point in ring} == expected


def test_a_whole_map_with_districts_and_spots_can_be_cached():
    """Streamlit's data cache pickles what it keeps: no lambdas in the layers."""
    import pickle

    import geopandas as gpd
    import shapely

    from layers.hexes import district_layer, spot_layer

    fmap = base_map(bounds=[[51.4, -1.0], [51.5, -0.9]])
    hex_layer(CELLS, threshold=5)[0].add_to(fmap)
    districts = gpd.GeoDataFrame(
        {"code": ["E1"], "name": ["Somewhere"]},
        geometry=[shapely.box(-1.0, 51.4, -0.9, 51.5)],
        crs="EPSG:4326",
    )
    district_layer(districts).add_to(fmap)
    spots = CELLS[["h3_cell"]].assign(label="hot spot, 99% confidence", kind="hot")
    spot_layer(spots).add_to(fmap)
    html = fmap.get_root().render()
    copy = pickle.loads(pickle.dumps(fmap))
    assert copy.get_root().render().count('"rings"') == html.count('"rings"') == 1
    assert "#d55e00" in html
    assert "6 4" in html
