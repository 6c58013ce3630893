"""The map key: compact and collapsible; one outline colour per emerging class, explained."""

from __future__ import annotations

import h3
import pandas as pd

from geo.labels import EMERGING_COLOURS, EMERGING_LABELS
from geo.stats import EMERGING_CLASSES
from layers.hexes import hex_layer, legend_html, spot_layer


def test_every_emerging_class_has_its_own_colour():
    classes = [c for c in EMERGING_CLASSES if c != "no pattern"]
    assert set(EMERGING_COLOURS) == set(classes)
    assert len(set(EMERGING_COLOURS.values())) == len(classes)
    assert set(EMERGING_LABELS) == {c.split(" ")[0] for c in classes}


def test_spot_layer_draws_each_class_in_its_colour_and_the_key_names_it():
    cells = [h3.str_to_int(h3.latlng_to_cell(52.75 + i / 100, -2.0, 9)) for i in range(3)]
    labels = ["new hot spot", "intensifying hot spot", "persistent cold spot"]
    spots = pd.DataFrame({"h3_cell": cells, "label": labels, "kind": ["hot", "hot", "cold"]})
    layer = spot_layer(spots)
    colours = [f["properties"]["colour"] for f in layer.data["features"]]
    assert colours == [EMERGING_COLOURS[label] for label in labels]
    assert len(set(colours)) == 3
    hexes = pd.DataFrame({"h3_cell": cells, "count": [10, None, 40], "label": ["10", "x", "40"]})
    _, colormap = hex_layer(hexes, threshold=5)
    key = legend_html(
        colormap,
        profile_text="internal profile",
        spots={label: (EMERGING_COLOURS[label], "explained") for label in labels},
    )
    assert key.startswith("<details")
    assert "<details open" not in key  # starts as one line, out of the way
    assert "<summary" in key
    for label in labels:
        assert label in key
        assert EMERGING_COLOURS[label] in key
    assert "explained" in key
