"""Site markers: names and types from users reach the map's HTML escaped (issue 14)."""

from __future__ import annotations

import pandas as pd

from layers.sites import site_map

EVIL = '<img src="http://127.0.0.1:9/x.png" onerror="window.__pwned=1">'


def test_site_popups_and_tooltips_hold_no_live_html():
    sites = pd.DataFrame(
        {
            "name": [EVIL],
            "site_type": ["<script>alert(1)</script>"],
            "district_code": ["E07000199"],
            "lat": [52.8],
            "lon": [-2.1],
            "risk_rating": ["high"],
            "latest_status": ["submitted"],
            "next_review_on": [None],
        }
    )
    page = site_map(sites, tiles=None).get_root().render()
    assert '<img src="http://127.0.0.1:9' not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;img src=&quot;http://127.0.0.1:9/x.png&quot;" in page
