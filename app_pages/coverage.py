"""Coverage: which hotspots nobody has assessed, which reviews are overdue, what changed after."""

from __future__ import annotations

import datetime as dt
import html

import folium
import pandas as pd
import shapely
import streamlit as st
from sqlalchemy.orm import Session
from streamlit_folium import st_folium

from app_pages.common import disclosure_profile, get_engine, offer_download
from app_pages.tiles import tiles_switch
from app_pages.words import district_name_map
from assessments import coverage
from assessments.sites import list_sites
from geo.disclosure import protect_counts, protect_outcomes
from geo.labels import (
    COVERAGE_LABELS,
    district_names,
    format_date,
    format_month,
    label_columns,
)
from geo.outcomes import CAVEAT
from layers.hexes import base_map
from layers.sites import site_layer

engine = get_engine()
profile = disclosure_profile()
STATE_COLOURS = {
    "unassessed": "#d55e00",
    "overdue": "#e69f00",
    "in progress": "#56b4e9",
    "assessed": "#009e73",
}


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome tables in words: district names, dates without times, labelled columns."""
    out = frame.copy()
    for column in ("district_code", "district"):
        if column in out:
            out[column] = out[column].map(lambda c: names.get(c, c))
    if "site_id" in out:
        out["site_id"] = out["site_id"].map(lambda i: site_names.get(i, str(i)))
    for column in [c for c in out.columns if c.endswith("_month")]:
        out[column] = out[column].map(format_month)
    for column in [c for c in out.columns if c.endswith(("_on", "date"))]:
        out[column] = out[column].map(format_date)
    return label_columns(out, {"site_id": "site", "start_month": "assessed or acted in"})


st.title("Coverage")
st.caption("Hotspots against site assessments: unassessed and overdue first.")
states = coverage.hotspot_coverage(engine)
if states.empty:
    st.info("No active hotspot in the register yet.")
    st.stop()
counts = states["state"].value_counts()
cols = st.columns(4)
for col, state in zip(cols, STATE_COLOURS, strict=True):
    col.metric(COVERAGE_LABELS[state].capitalize(), int(counts.get(state, 0)))

names = district_name_map()
with Session(engine) as session:
    sites = list_sites(session)
site_names = dict(zip(sites["id"], sites["name"], strict=True))
table = states.assign(
    incidents=protect_counts(states["n_incidents"], profile, keys=states["keysum"])[
        "label"
    ].to_numpy(),
    districts=states["districts"].map(lambda d: district_names(d, names)),
    sites=states["site_ids"].map(lambda s: "; ".join(site_names.get(i, str(i)) for i in s) or "-"),
    coverage=states["state"].map(COVERAGE_LABELS),
)[["id", "name", "coverage", "status", "incidents", "districts", "sites"]].rename(
    columns={"id": "no.", "name": "place"}
)
st.dataframe(table, hide_index=True, width="stretch")
offer_download(
    "Download (CSV)",
    table,
    what="coverage",
    file_name=f"coverage-{dt.date.today()}.csv",
    filters={"profile": profile.name},
)

fmap = base_map(tiles=tiles_switch("coverage_tiles"))
minx, miny, maxx, maxy = states.total_bounds
fmap.fit_bounds([[miny, minx], [maxy, maxx]])
for row in states.itertuples():
    folium.GeoJson(
        shapely.geometry.mapping(row.geometry),
        style_function=lambda _, c=STATE_COLOURS[row.state]: {
            "color": c,
            "weight": 2,
            "fillOpacity": 0.3,
        },
        tooltip=html.escape(f"{row.name}: {COVERAGE_LABELS[row.state]}"),
    ).add_to(fmap)
if not sites.empty:
    site_layer(sites, name="Sites (colour: latest risk)", district_names=names).add_to(fmap)
folium.LayerControl().add_to(fmap)
st_folium(fmap, height=460, use_container_width=True, returned_objects=[], key="coverage_map")

st.subheader("What changed after an assessment")
c1, c2, c3 = st.columns(3)
radius = c1.number_input("Radius around each site (m)", 50, 1000, 250, step=50)
window = c2.number_input("Months before and after", 2, 12, 6)
after = c3.radio(
    "Start from",
    ["assessment", "actions"],
    horizontal=True,
    help="the assessment month, or the month its last action was completed",
)
per_site, per_district = coverage.outcomes_for_sites(
    engine, radius_m=float(radius), window_months=int(window), after=after
)
st.caption(CAVEAT)
if per_site.empty:
    st.info("No submitted or reviewed assessment to compare yet.")
else:
    st.markdown(
        "**By site** (effect below 1: fewer incidents than the district trend predicts; "
        "a change is not shown when either side is a small number)"
    )
    st.dataframe(_readable(protect_outcomes(per_site, profile)), hide_index=True, width="stretch")
    st.markdown("**By district**")
    st.dataframe(
        _readable(protect_outcomes(per_district, profile)), hide_index=True, width="stretch"
    )
