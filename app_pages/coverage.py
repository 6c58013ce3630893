"""Coverage: which hotspots nobody has assessed, which reviews are overdue, what changed after."""

from __future__ import annotations

import datetime as dt
import html

import folium
import shapely
import streamlit as st
from sqlalchemy.orm import Session
from streamlit_folium import st_folium

from app_pages.common import disclosure_profile, get_engine
from assessments import coverage
from assessments.sites import list_sites
from geo.disclosure import protect_counts, protect_outcomes
from geo.export import to_safe_csv
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

st.title("Coverage")
st.caption("Hotspots against site assessments: unassessed and overdue first.")
states = coverage.hotspot_coverage(engine)
if states.empty:
    st.info("No active hotspot in the register yet.")
    st.stop()
counts = states["state"].value_counts()
cols = st.columns(4)
for col, state in zip(cols, STATE_COLOURS, strict=True):
    col.metric(state.capitalize(), int(counts.get(state, 0)))

table = states.assign(
    incidents=protect_counts(states["n_incidents"], profile)["label"].to_numpy(),
    districts=states["districts"].map(lambda d: ", ".join(d or [])),
    sites=states["site_ids"].map(lambda s: ", ".join(map(str, s)) or "-"),
)[["id", "name", "state", "status", "incidents", "districts", "sites"]]
st.dataframe(table, hide_index=True, width="stretch")
st.download_button(
    "Download (CSV)",
    data=to_safe_csv(table),
    file_name=f"coverage-{dt.date.today()}.csv",
    mime="text/csv",
)

fmap = base_map()
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
        tooltip=html.escape(f"{row.name}: {row.state}"),
    ).add_to(fmap)
with Session(engine) as session:
    sites = list_sites(session)
if not sites.empty:
    site_layer(sites, name="Sites (colour: latest risk)").add_to(fmap)
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
    st.dataframe(protect_outcomes(per_site, profile), hide_index=True, width="stretch")
    st.markdown("**By district**")
    st.dataframe(protect_outcomes(per_district, profile), hide_index=True, width="stretch")
