from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.outcomes import CAVEAT, district_outcomes, site_outcomes


def _incidents(rng, *, centre, n_by_month, spread_deg, district="D1"):
    rows = []
    for month, n in n_by_month.items():
        rows.append(
            pd.DataFrame(
                {
                    "lat": centre[0] + rng.uniform(-spread_deg, spread_deg, n),
                    "lon": centre[1] + rng.uniform(-spread_deg, spread_deg, n),
                    "month": pd.Timestamp(month),
                    "district_code": district,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_known_effect_halving_at_the_site_with_a_flat_district():
    rng = np.random.default_rng(7)
    months = pd.date_range("2025-01-01", "2026-01-01", freq="MS")
    start = pd.Timestamp("2025-07-01")
    site_counts = {m: (40 if m < start else 20 if m > start else 0) for m in months}
    site = _incidents(rng, centre=(52.75, -2.0), n_by_month=site_counts, spread_deg=0.0005)
    rest = _incidents(
        rng, centre=(52.75, -1.8), n_by_month=dict.fromkeys(months, 200), spread_deg=0.05
    )
    sites = pd.DataFrame(
        {"id": [1], "lat": [52.75], "lon": [-2.0], "district_code": ["D1"], "start_month": [start]}
    )
    out = site_outcomes(pd.concat([site, rest]), sites, radius_m=250, window_months=6)
    row = out.iloc[0]
    assert (row.site_before, row.site_after) == (240, 120)
    assert (row.rest_before, row.rest_after) == (1200, 1200)
    assert row.effect == pytest.approx(0.5)
    assert row.ci_low < 0.5 < row.ci_high < 1.0  # a clear fall, relative to the district
    assert row.complete
    pooled = district_outcomes(out)
    assert pooled.loc[0, "effect"] == pytest.approx(0.5)
    assert "not why" in CAVEAT


def test_no_change_gives_an_interval_around_one_and_zero_counts_are_safe():
    rng = np.random.default_rng(1)
    months = pd.date_range("2025-01-01", "2025-12-01", freq="MS")
    flat = _incidents(
        rng, centre=(52.75, -2.0), n_by_month=dict.fromkeys(months, 30), spread_deg=0.0005
    )
    rest = _incidents(
        rng, centre=(52.75, -1.8), n_by_month=dict.fromkeys(months, 100), spread_deg=0.05
    )
    sites = pd.DataFrame(
        {
            "id": [1, 2],
            "lat": [52.75, 52.9],
            "lon": [-2.0, -2.3],
            "district_code": ["D1", "D1"],
            "start_month": [pd.Timestamp("2025-06-01")] * 2,
        }
    )
    out = site_outcomes(pd.concat([flat, rest]), sites, window_months=3)
    assert out.loc[0, "ci_low"] < 1.0 < out.loc[0, "ci_high"]
    assert (out.loc[1, "site_before"], out.loc[1, "site_after"]) == (0, 0)
    assert np.isfinite(out.loc[1, ["effect", "ci_low", "ci_high"]].astype(float)).all()


def test_window_outside_the_data_is_marked_incomplete():
    incidents = pd.DataFrame(
        {
            "lat": [52.75],
            "lon": [-2.0],
            "month": [pd.Timestamp("2025-01-01")],
            "district_code": ["D1"],
        }
    )
    sites = pd.DataFrame(
        {
            "id": [1],
            "lat": [52.75],
            "lon": [-2.0],
            "district_code": ["D1"],
            "start_month": [pd.Timestamp("2025-02-01")],
        }
    )
    assert not site_outcomes(incidents, sites).loc[0, "complete"]
