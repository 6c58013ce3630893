"""Site markers draw with the app's own Leaflet: no jQuery, popups escaped."""

from __future__ import annotations

import pandas as pd

from layers.hexes import LOCAL_LEAFLET
from layers.sites import site_map

SITES = pd.DataFrame(
    {
        "name": ['Park <img src=x onerror="alert(1)">'],
        "lat": [52.8],
        "lon": [-2.1],
        "site_type": ["park"],
        "district_code": ["N1"],
        "risk_rating": ["high"],
        "status": ["submitted"],
        "next_review_on": [None],
    }
)


def test_site_map_needs_no_jquery():
    """The app loads only its local Leaflet: a ``$(`` stops the map ("$ is not defined")."""
    page = site_map(SITES).get_root().render()
    assert f"{LOCAL_LEAFLET}/leaflet.js" in page
    assert "jquery" not in page.lower()
    assert "$(" not in page
    assert ".bindPopup(" in page


def test_site_popup_is_escaped_text():
    page = site_map(SITES, tiles="No tiles (offline)").get_root().render()
    assert "<img src=x" not in page
    assert "openstreetmap" not in page.lower()


def test_site_popup_names_the_district_and_type_not_codes():
    page = (
        site_map(
            SITES,
            tiles="No tiles (offline)",
            district_names={"N1": "Northfield"},
            type_labels={"park": "Park or open space"},
        )
        .get_root()
        .render()
    )
    assert "Northfield" in page
    assert "Park or open space" in page
    assert "District N1" not in page
    # Without names, the code is still labelled as a district.
    assert "District N1" in site_map(SITES).get_root().render()
