from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely

from geo.coverage import COVERAGE_STATES, coverage_states, sites_in_hotspots

TODAY = dt.date(2026, 11, 25)


def _box(lon, lat, half=0.002):
    return shapely.box(lon - half, lat - half, lon + half, lat + half)


def test_coverage_states_on_a_hand_built_case():
    hotspots = gpd.GeoDataFrame(
        {"id": [10, 20, 30, 40, 50]},
        geometry=[
            _box(-2.0, 53.0),
            _box(-2.1, 53.0),
            _box(-2.2, 53.0),
            _box(-2.3, 53.0),
            _box(-2.4, 53.0),
        ],
        crs=4326,
    )
    sites = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "lat": [53.0, 53.0, 53.0, 53.0005, 53.0, 53.5],
            "lon": [-2.0, -2.1, -2.2, -2.4, -2.4, -2.0],
            "status": ["reviewed", "submitted", "draft", "submitted", "reviewed", "reviewed"],
            "next_review_on": [
                dt.date(2027, 2, 1),
                dt.date(2026, 10, 1),
                None,
                dt.date(2026, 1, 1),
                dt.date(2027, 1, 1),
                dt.date(2027, 1, 1),
            ],
        }
    )
    out = coverage_states(hotspots, sites, today=TODAY).set_index("hotspot_id")
    assert out["state"].to_dict() == {
        10: "assessed",  # an in-date reviewed assessment
        20: "overdue",  # submitted, but its review date has passed
        30: "in progress",  # only a draft
        40: "unassessed",  # no site inside (site 6 is far away)
        50: "assessed",  # one overdue and one in-date: in date wins
    }
    assert out.loc[50, "site_ids"] == [4, 5]
    assert out.loc[40, "n_sites"] == 0
    assert set(out["state"]) <= set(COVERAGE_STATES)


def test_buffer_brings_a_site_just_outside_into_a_hotspot():
    hotspots = gpd.GeoDataFrame({"id": [1]}, geometry=[_box(-2.0, 53.0, half=0.001)], crs=4326)
    sites = pd.DataFrame({"id": [9], "lat": [53.0], "lon": [-2.0 + 0.0013]})  # ~20 m east
    assert sites_in_hotspots(hotspots, sites).empty
    assert sites_in_hotspots(hotspots, sites, buffer_m=50)["site_id"].tolist() == [9]
