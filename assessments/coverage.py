"""Coverage and outcomes from the store: hotspots × sites × assessments × incidents.

Joins the register to the sites spatially (``geo.coverage``) and measures incidents around
assessed sites before and after (``geo.outcomes``). Counts returned here are raw; pages and
exports pass them through disclosure control.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from assessments.models import Action, Assessment, Hotspot, Incident, Site
from assessments.register import incidents_keysum
from assessments.sites import list_sites
from geo.coverage import COVERAGE_STATES, coverage_states
from geo.filters import IncidentFilter
from geo.outcomes import district_outcomes, site_outcomes

__all__ = [
    "hotspot_coverage",
    "outcomes_for_sites",
    "register_version",
    "significance_filter",
    "significant_hotspots",
    "site_neighbourhood_counts",
]


def register_version(engine: Engine) -> str:
    """Return a token that changes whenever a hotspot, site or assessment changes.

    With the data version it keys the cached coverage of the register (``hotspot_coverage``).
    """
    parts = []
    with engine.connect() as conn:
        for model in (Hotspot, Site, Assessment):
            count, versions, top = conn.execute(
                select(func.count(model.id), func.sum(model.version), func.max(model.id))
            ).one()
            parts.append(f"{count}-{versions}-{top}")
    return ":".join(parts)


def _register_frame(session: Session, *, active_only: bool) -> gpd.GeoDataFrame:
    query = select(
        Hotspot.id,
        Hotspot.name,
        Hotspot.status,
        Hotspot.is_active,
        Hotspot.n_incidents,
        incidents_keysum(),
        Hotspot.districts,
        Hotspot.boundary_wkb,
        Hotspot.trend_direction,
        Hotspot.source,
    ).where(Hotspot.boundary_wkb.is_not(None))
    if active_only:
        query = query.where(Hotspot.is_active)
    rows = session.execute(query).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "status",
            "active",
            "n_incidents",
            "keysum",
            "districts",
            "boundary_wkb",
            "trend",
            "source",
        ],
    )
    frame["name"] = frame["name"].where(frame["name"] != "", "Hotspot " + frame["id"].astype(str))
    geometry = shapely.from_wkb(frame["boundary_wkb"].to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame.drop(columns="boundary_wkb"), geometry=geometry, crs=4326)


def hotspot_coverage(
    engine: Engine,
    *,
    today: dt.date | None = None,
    active_only: bool = True,
    buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Every hotspot of the register with its coverage state, most urgent first.

    ``state`` is one of ``geo.coverage.COVERAGE_STATES``; ``site_ids`` lists the sites inside.
    """
    today = today or dt.date.today()
    with Session(engine) as session:
        hotspots = _register_frame(session, active_only=active_only)
        sites = list_sites(session)
    states = coverage_states(hotspots, sites, today=today, buffer_m=buffer_m)
    out = hotspots.merge(states, left_on="id", right_on="hotspot_id").drop(columns="hotspot_id")
    order = {state: i for i, state in enumerate(COVERAGE_STATES)}
    out = out.assign(_order=out["state"].map(order)).sort_values(
        ["_order", "n_incidents"], ascending=[True, False]
    )
    return gpd.GeoDataFrame(out.drop(columns="_order").reset_index(drop=True), crs=4326)


def _incidents_near(
    session: Session,
    lats: np.ndarray,
    lons: np.ndarray,
    *,
    pad_deg: float,
    districts: list[str] | None = None,
) -> pd.DataFrame:
    """Incidents in the bounding box of the points (padded), and optionally whole districts."""
    query = select(
        Incident.lat,
        Incident.lon,
        Incident.month,
        Incident.district_code,
        Incident.kind,
        Incident.category,
    )
    box = (
        (Incident.lat >= float(lats.min()) - pad_deg)
        & (Incident.lat <= float(lats.max()) + pad_deg)
        & (Incident.lon >= float(lons.min()) - pad_deg * 1.7)
        & (Incident.lon <= float(lons.max()) + pad_deg * 1.7)
    )
    query = (
        query.where(box | Incident.district_code.in_(districts)) if districts else query.where(box)
    )
    return pd.DataFrame(
        session.execute(query).all(),
        columns=["lat", "lon", "month", "district_code", "kind", "category"],
    )


def site_neighbourhood_counts(
    engine: Engine, *, radius_m: float = 250.0, since: dt.date | None = None
) -> pd.DataFrame:
    """Incidents within ``radius_m`` of every site (raw counts, by kind), since a month."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    with Session(engine) as session:
        sites = list_sites(session)
        if sites.empty:
            return pd.DataFrame(columns=["site_id", "incidents"])
        incidents = _incidents_near(
            session,
            sites["lat"].to_numpy(),
            sites["lon"].to_numpy(),
            pad_deg=radius_m / 100_000 + 0.01,
        )
    if since is not None:
        incidents = incidents[pd.to_datetime(incidents["month"]) >= pd.Timestamp(since)]
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    ix, iy = to_bng.transform(incidents["lon"].to_numpy(), incidents["lat"].to_numpy())
    sx, sy = to_bng.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    counts = (
        cKDTree(np.column_stack([ix, iy])).query_ball_point(
            np.column_stack([sx, sy]), r=radius_m, return_length=True
        )
        if len(incidents)
        else np.zeros(len(sites), dtype=int)
    )
    return pd.DataFrame({"site_id": sites["id"].to_numpy(), "incidents": np.asarray(counts)})


def outcomes_for_sites(
    engine: Engine,
    *,
    radius_m: float = 250.0,
    window_months: int = 6,
    after: str = "assessment",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Before/after outcomes for every assessed site, and pooled by district.

    ``after`` is ``"assessment"`` (the start month is the month of the site's latest submitted
    or reviewed assessment) or ``"actions"`` (the month its last action was completed).
    """
    with Session(engine) as session:
        sites = list_sites(session, statuses=["submitted", "reviewed"])
        if sites.empty:
            return site_outcomes(pd.DataFrame(), sites), district_outcomes(pd.DataFrame())
        sites = sites.assign(
            start_month=pd.to_datetime(sites["assessed_on"]).dt.to_period("M").dt.to_timestamp()
        )
        if after == "actions":
            done = pd.DataFrame(
                session.execute(
                    select(Action.assessment_id, Action.completed_on).where(Action.status == "done")
                ).all(),
                columns=["assessment_id", "completed_on"],
            )
            last = done.groupby("assessment_id")["completed_on"].max()
            completed = sites["assessment_id"].map(last)
            sites = sites[completed.notna()].assign(
                start_month=pd.to_datetime(completed.dropna()).dt.to_period("M").dt.to_timestamp()
            )
        districts = sorted(sites["district_code"].unique())
        incidents = _incidents_near(
            session,
            sites["lat"].to_numpy(),
            sites["lon"].to_numpy(),
            pad_deg=0.05,
            districts=districts,
        )
    per_site = site_outcomes(
        incidents[incidents["kind"] == "incident"],
        sites,
        radius_m=radius_m,
        window_months=window_months,
    )
    per_site = per_site.merge(sites[["id", "name"]], left_on="site_id", right_on="id").drop(
        columns="id"
    )
    return per_site, district_outcomes(per_site)


def significance_filter(engine: Engine, *, months: int = 12) -> IncidentFilter | None:
    """Return the filter significance is tested on: the last ``months`` months (or None)."""
    from assessments.incidents import month_range

    _, last = month_range(engine)
    if last is None:
        return None
    start = (pd.Timestamp(last) - pd.DateOffset(months=months - 1)).date()
    return IncidentFilter(kinds=("incident",), start_month=start)


def significant_hotspots(
    engine: Engine, *, months: int = 12, res: int = 9, counts: pd.DataFrame | None = None
) -> dict[int, bool]:
    """Whether each register hotspot contains a Gi* hot spot cell (last ``months`` months).

    ``counts`` (``h3_cell`` at ``res``, ``count``) may be given by a caller that already counted
    :func:`significance_filter`'s incidents, so they are not counted twice.
    """
    from assessments.maps import count_cells
    from geo.cells import cells_to_parent
    from geo.stats import gi_star

    if counts is None:
        filt = significance_filter(engine, months=months)
        if filt is None:
            return {}
        counts = count_cells(engine, filt, res=res)
    if counts.empty:
        return {}
    result = gi_star(counts.set_index("h3_cell")["count"])
    hot = result.index[result["spot"] == "hot"].to_numpy(dtype=np.int64)
    with Session(engine) as session:
        rows = session.execute(select(Hotspot.id, Hotspot.cells)).all()
    hot_at = {r: set(cells_to_parent(hot, r).tolist()) for r in range(res + 1)}
    out = {}
    for hotspot_id, cells in rows:
        ids = np.asarray([int(c) for c in cells or []], dtype=np.int64)
        # cells at res or finer compare by their parent; coarser ones (missing-from hotspots are
        # resolution 7) by the hot cells' parents at their own resolution
        cell_res = (ids >> 52) & 0xF
        fine = ids[cell_res >= res]
        found = bool(hot_at[res].intersection(cells_to_parent(fine, res).tolist()))
        for r in np.unique(cell_res[cell_res < res]).tolist():
            found = found or bool(hot_at[int(r)].intersection(ids[cell_res == r].tolist()))
        out[int(hotspot_id)] = found
    return out
