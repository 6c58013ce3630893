"""Coverage: which hotspots have a current site assessment, which are overdue, which have none.

Pure: hotspots and sites come in as frames, states come out. A hotspot is covered by the sites
that lie inside its outline (or within ``buffer_m`` of it).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["COVERAGE_STATES", "coverage_states", "sites_in_hotspots"]

#: Coverage states, most urgent first (the order the Coverage page lists them).
COVERAGE_STATES: Final[tuple[str, ...]] = ("unassessed", "overdue", "in progress", "assessed")

_DONE: Final = frozenset({"submitted", "reviewed"})


def sites_in_hotspots(
    hotspots: gpd.GeoDataFrame, sites: pd.DataFrame, *, buffer_m: float = 0.0
) -> pd.DataFrame:
    """Pair every site with the hotspots whose outline contains it.

    Parameters
    ----------
    hotspots
        ``id`` and WGS84 ``geometry`` (polygons).
    sites
        ``id`` (site id), ``lat``, ``lon``.
    buffer_m
        Also pair sites within this many metres of an outline.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id``, ``site_id`` pairs.
    """
    if hotspots.empty or sites.empty:
        return pd.DataFrame(
            {"hotspot_id": pd.Series(dtype="int64"), "site_id": pd.Series(dtype="int64")}
        )
    polygons = gpd.GeoSeries(hotspots.geometry.values, crs=4326).to_crs(27700)
    if buffer_m:
        polygons = polygons.buffer(buffer_m)
    points = gpd.GeoSeries(gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326).to_crs(27700)
    tree = shapely.STRtree(np.asarray(polygons.values))
    site_idx, hotspot_idx = tree.query(np.asarray(points.values), predicate="within")
    return pd.DataFrame(
        {
            "hotspot_id": hotspots["id"].to_numpy()[hotspot_idx].astype("int64"),
            "site_id": sites["id"].to_numpy()[site_idx].astype("int64"),
        }
    )


def coverage_states(
    hotspots: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    *,
    today: dt.date,
    buffer_m: float = 0.0,
) -> pd.DataFrame:
    """Return each hotspot's coverage state and the sites that cover it.

    A hotspot is **assessed** when a site inside it has a submitted or reviewed assessment whose
    review date has not passed; **overdue** when its sites' assessments are all past their review
    date; **in progress** when the only assessments are drafts; **unassessed** otherwise.

    Parameters
    ----------
    hotspots
        ``id`` and WGS84 ``geometry``.
    sites
        ``id``, ``lat``, ``lon`` and the site's latest assessment: ``status`` (draft, submitted,
        reviewed or missing) and ``next_review_on``.
    today
        The date the states are for.
    buffer_m
        Sites within this distance of a hotspot's outline also cover it.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id``, ``state``, ``site_ids`` (list), ``n_sites``, aligned to ``hotspots``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely, datetime as dt
    >>> hs = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[shapely.box(-2.01, 52.99, -1.99, 53.01),
    ...                        shapely.box(-1.01, 52.99, -0.99, 53.01)], crs=4326)
    >>> st = pd.DataFrame({"id": [7], "lat": [53.0], "lon": [-2.0], "status": ["reviewed"],
    ...                    "next_review_on": [dt.date(2027, 1, 1)]})
    >>> coverage_states(hs, st, today=dt.date(2026, 11, 1))[["hotspot_id", "state"]]
       hotspot_id       state
    0           1    assessed
    1           2  unassessed
    """
    pairs = sites_in_hotspots(hotspots, sites, buffer_m=buffer_m)
    info = sites.set_index("id")[["status", "next_review_on"]]
    joined = pairs.join(info, on="site_id")
    review = pd.to_datetime(joined["next_review_on"])
    done = joined["status"].isin(_DONE)
    joined["in_date"] = done & (review.isna() | (review >= pd.Timestamp(today)))
    joined["overdue"] = done & (review < pd.Timestamp(today))
    joined["draft"] = joined["status"].eq("draft")
    grouped = joined.groupby("hotspot_id").agg(
        in_date=("in_date", "any"),
        overdue=("overdue", "any"),
        draft=("draft", "any"),
        site_ids=("site_id", lambda s: sorted(int(v) for v in s)),
    )
    out = pd.DataFrame({"hotspot_id": hotspots["id"].astype("int64").to_numpy()})
    out = out.join(grouped, on="hotspot_id")
    flags = out[["in_date", "overdue", "draft"]].fillna(False).astype(bool)
    out["state"] = np.select(
        [flags["in_date"], flags["overdue"], flags["draft"]],
        ["assessed", "overdue", "in progress"],
        default="unassessed",
    )
    out["site_ids"] = out["site_ids"].apply(lambda v: v if isinstance(v, list) else [])
    out["n_sites"] = out["site_ids"].str.len()
    return out[["hotspot_id", "state", "site_ids", "n_sites"]]
