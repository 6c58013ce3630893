"""Hotspots: the register strategy meetings run from: priorities, trends, decisions."""

from __future__ import annotations

import datetime as dt
import html

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from sqlalchemy.orm import Session
from streamlit_folium import st_folium

from app_pages.charts import accessible_chart
from app_pages.common import (
    current_data_version,
    current_user,
    disclosure_profile,
    get_engine,
    offer_download,
)
from app_pages.episode_views import show_hotspot_links
from app_pages.tiles import tiles_switch
from app_pages.words import district_name_map
from assessments import coverage, hotspot_runs
from assessments import register as reg
from assessments.imports import load_districts
from assessments.permissions import can
from geo import ConflictError, InputError
from geo.disclosure import protect_counts
from geo.filters import IncidentFilter
from geo.hotspots import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES
from geo.labels import (
    COVERAGE_LABELS,
    district_names,
    format_date,
    format_datetime,
    format_month,
    parameters_in_words,
    trend_label,
)
from geo.priority import FORMULA, priority_scores
from geo.profiles import PROFILE_TITLES
from geo.scope import KIND_WORDS
from geo.text import safe_text
from layers.hexes import base_map, district_layer

user = current_user()
assert user is not None
engine = get_engine()
profile = disclosure_profile()
version = current_data_version()
st.session_state.setdefault("hotspots_selected", None)

st.title("Hotspots")
st.caption(
    "The register of places of concern: stable identities across runs, status, trend, "
    "assessment coverage and the decisions of strategy meetings."
)

if can(user, "compute_hotspots"):
    with st.expander("Recompute hotspots"):
        district_choices = load_districts(engine).set_index("code")["name"].to_dict()
        with st.form("hotspots_compute"):
            c1, c2, c3 = st.columns(3)
            eps = c1.number_input(
                "Distance (metres)",
                50,
                1000,
                int(DEFAULT_EPS_M),
                step=25,
                help="Incidents within this distance are neighbours (150 m: "
                "a street block or a small park).",
            )
            min_samples = c2.number_input(
                "Incidents needed",
                3,
                500,
                DEFAULT_MIN_SAMPLES,
                help="A hotspot needs at least this many incidents "
                "within the distance of one place.",
            )
            months = c3.number_input("Months back", 1, 60, 12)
            k1, k2 = st.columns(2)
            kind = k1.selectbox(
                "What",
                list(KIND_WORDS),
                format_func=lambda k: KIND_WORDS[k].capitalize(),
                help="Missing-from and found-at locations are clustered on resolution-7 "
                "cells (about 5 km²) that hold at least the suppression threshold; nothing "
                "finer is kept.",
            )
            run_districts = k2.multiselect(
                "Districts (blank: the whole area)",
                list(district_choices),
                format_func=lambda c: district_choices.get(c, c),
            )
            st.caption(
                "A run updates only the hotspots of its own scope (what, where, which months): "
                "'the last 12 months over the whole area' re-run next month continues the same "
                "places; a district run or a missing-from run keeps a register of its own."
            )
            go = st.form_submit_button("Compute and update the register", type="primary")
        if go:
            with st.status("Finding hotspots...") as status:
                from assessments.incidents import month_range

                latest = month_range(engine)[1]
                end = pd.Timestamp(latest) if latest else pd.Timestamp.today().replace(day=1)
                filt = IncidentFilter(
                    kinds=(kind,),
                    districts=tuple(run_districts),
                    start_month=(end.normalize() - pd.DateOffset(months=int(months) - 1)).date(),
                )
                summary = hotspot_runs.register_run(
                    engine, actor=user, filt=filt, eps_m=float(eps), min_samples=int(min_samples)
                )
                status.update(
                    label=f"Run {summary.run_id} ({safe_text(summary.scope)}): "
                    f"{summary.n_hotspots} hotspot{'' if summary.n_hotspots == 1 else 's'} "
                    f"({summary.new} new, "
                    f"{summary.continued} continued, "
                    f"{summary.recurred} back again, {summary.split} split, "
                    f"{summary.merged} merged, {summary.inactive} no longer active)",
                    state="complete",
                )


@st.cache_data(ttl=600, max_entries=16)
def _register(version: str, nonce: str) -> gpd.GeoDataFrame:
    """The register with its coverage; ``version`` and ``nonce`` are the cache key."""
    return coverage.hotspot_coverage(engine, active_only=False)


states = _register(version, coverage.register_version(engine))
with Session(engine) as session:
    listing = reg.list_register(session)
if listing.empty:
    st.info("The register is empty: compute hotspots above, or add a place of concern.")
    st.stop()

merged = listing.merge(states[["id", "state", "site_ids"]], on="id", how="left")
significant = coverage.significant_hotspots(engine)
merged["significant"] = [bool(significant.get(i, False)) for i in merged["id"]]
# From the incidents as shown (protected), so the score cannot give back the exact count.
merged["priority"] = priority_scores(merged, profile=profile, keys=merged["keysum"]).round(1)
f1, f2 = st.columns([1, 2])
active_only = f1.toggle("Currently active only", value=True)
scopes = list(dict.fromkeys(merged["scope"]))
scope_choice = f2.selectbox(
    "Scope (which runs find the place)",
    ["every scope", *scopes],
    help="A run's scope is what it looked at: the kinds, districts, filters and months. Each "
    "scope keeps its own places; places named by the panel have none.",
)
shown = merged[merged["active"]] if active_only else merged
if scope_choice != "every scope":
    shown = shown[shown["scope"] == scope_choice]
if shown.empty:
    st.info("No hotspot of this scope is currently active: untick 'Currently active only'.")
    st.stop()
SORTS = {
    "priority (most urgent first)": (["priority", "id"], [False, True]),
    "incidents (most first)": (["n_incidents", "id"], [False, True]),
    "last seen (most recent first)": (["last_month", "id"], [False, True]),
    "name": (["name", "id"], [True, True]),
}
sort_by = st.selectbox("Sort the register by", list(SORTS), key="hotspots_sort")
shown = shown.sort_values(SORTS[sort_by][0], ascending=SORTS[sort_by][1])
names = district_name_map()
table = shown.assign(
    incidents=protect_counts(shown["n_incidents"], profile, keys=shown["keysum"])[
        "label"
    ].to_numpy(),
    districts=shown["districts"].map(lambda d: district_names(d, names)),
    trend=shown["trend"].map(trend_label),
    state=shown["state"].map(COVERAGE_LABELS).fillna(shown["state"]),
    first_month=shown["first_month"].map(format_month),
    last_month=shown["last_month"].map(format_month),
)[
    [
        "id",
        "name",
        "scope",
        "priority",
        "status",
        "state",
        "incidents",
        "trend",
        "districts",
        "first_month",
        "last_month",
        "recurred",
    ]
].rename(
    columns={
        "id": "no.",
        "state": "assessment coverage",
        "first_month": "first month",
        "last_month": "last month",
        "recurred": "times back",
    }
)
runs = hotspot_runs.run_history(engine)
if not runs.empty:
    last_run = runs.iloc[0]
    params = last_run["parameters"] or {}
    st.caption(
        f"Hotspots last found on {format_datetime(last_run['at'])} by {safe_text(last_run['by'])} "
        f"(scope: {safe_text(last_run.get('scope') or params.get('filter'))}). "
        f"Sorted by {sort_by}. {profile.describe()}."
    )
    with st.expander("How hotspots were found and ranked"):
        for line in parameters_in_words(params):
            st.write(line)
        st.write(f"Priority: {FORMULA}.")
        st.page_link(
            "app_pages/glossary.py",
            label="Glossary: DBSCAN, Gi*, trend",
            icon=":material/menu_book:",
        )
else:
    st.caption(f"Sorted by {sort_by}. {profile.describe()}.")
event = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="hotspots_table",
)
if event.selection.rows:
    st.session_state["hotspots_selected"] = int(table.iloc[event.selection.rows[0]]["no."])
offer_download(
    "Download the list (CSV)",
    table,
    what="hotspots",
    file_name=f"hotspots-{dt.date.today()}.csv",
    filters={"profile": profile.name},
)

fmap = base_map(tiles=tiles_switch("hotspots_tiles"))
geo_shown = states[states["id"].isin(shown["id"])]
if not geo_shown.empty:
    minx, miny, maxx, maxy = geo_shown.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    for row in geo_shown.itertuples():
        colour = {
            "unassessed": "#d55e00",
            "overdue": "#e69f00",
            "in progress": "#56b4e9",
            "assessed": "#009e73",
        }.get(row.state, "#555555")
        folium.GeoJson(
            shapely.geometry.mapping(row.geometry),
            style_function=lambda _, c=colour: {"color": c, "weight": 2, "fillOpacity": 0.25},
            tooltip=html.escape(f"{row.name}: {COVERAGE_LABELS.get(row.state, row.state)}"),
        ).add_to(fmap)
districts = load_districts(engine)
if not districts.empty:
    district_layer(districts).add_to(fmap)
st_folium(fmap, height=420, use_container_width=True, returned_objects=[], key="hotspots_map")

selected = st.session_state["hotspots_selected"] or int(table.iloc[0]["no."])
st.subheader("Hotspot detail")
selected = st.selectbox(
    "Hotspot",
    table["no."].tolist(),
    index=table["no."].tolist().index(selected) if selected in table["no."].tolist() else 0,
    format_func=lambda i: f"#{i} {shown.set_index('id').loc[i, 'name']}",
)
with Session(engine) as session:
    hotspot = reg.get_hotspot(session, selected)
    history = reg.hotspot_history(session, selected)
    profiles = reg.hotspot_profiles(session, selected)
    profile_keys = reg.hotspot_profile_keys(session, selected)
    record = {
        "version": hotspot.version,
        "status": hotspot.status,
        "by_month": dict(hotspot.by_month or {}),
        "by_category": dict(hotspot.by_category or {}),
        "month_keys": reg.key_sums(hotspot, "by_month"),
        "category_keys": reg.key_sums(hotspot, "by_category"),
        "reason": hotspot.reason,
        "source": hotspot.source,
    }
st.text(f"Scope: {shown.set_index('id').loc[selected, 'scope']}")
left, right = st.columns(2)
with left:
    if record["by_month"]:
        months = pd.Series(record["by_month"]).sort_index()
        month_keys = pd.Series(record["month_keys"], dtype="float64").reindex(months.index)
        trend = protect_counts(months.astype(int), profile, keys=month_keys)["count"].astype(float)
        trend.index = pd.to_datetime(trend.index)
        st.markdown("**Incidents by month**")
        accessible_chart(trend, suppressed=profile.suppressed_label)
    if record["by_category"]:
        cats = pd.Series(record["by_category"]).sort_values(ascending=False)
        st.markdown("**Categories**")
        st.dataframe(
            protect_counts(
                cats,
                profile,
                keys=pd.Series(record["category_keys"], dtype="float64").reindex(cats.index),
            )[["label"]].rename(columns={"label": "incidents"}),
            width="stretch",
        )
    if record["source"] == "manual":
        st.info(f"Added by hand: {safe_text(record['reason'])}")
    if profiles:
        st.markdown("**Who and when** (incidents in this place)")
        tabs = st.tabs([PROFILE_TITLES[d] for d in profiles])
        for tab, (dim, counts) in zip(tabs, profiles.items(), strict=True):
            protected = protect_counts(counts, profile, keys=profile_keys.get(dim))
            with tab:
                if dim in ("hour", "weekday") and not protected["suppressed"].all():
                    st.bar_chart(protected["count"].astype(float), height=180)
                st.dataframe(
                    protected[["label"]].rename(columns={"label": "incidents"}),
                    width="stretch",
                )
        st.caption(
            "Only what the sources recorded (police.uk files hold no ages, flags, hours or "
            f"dates). A flagged incident counts under each of its flags. {profile.describe()}."
        )
    show_hotspot_links(int(selected), profile)
with right:
    site_ids = (
        states.set_index("id").loc[selected, "site_ids"] if selected in set(states["id"]) else []
    )
    st.markdown(f"**Sites inside**: {len(site_ids)} (see Sites & assessments)")
    st.markdown("**Meeting decisions**")
    notes = history["meeting_notes"].assign(
        meeting=history["meeting_notes"]["meeting"].map(format_date),
        due=history["meeting_notes"]["due"].map(format_date),
    )
    st.dataframe(notes, hide_index=True, width="stretch")
    st.markdown("**Status history**")
    changes = history["status_changes"]
    st.dataframe(
        changes.assign(at=changes["at"].map(format_datetime)).rename(columns={"at": "when"}),
        hide_index=True,
        width="stretch",
    )
    if not history["lineage"].empty:
        st.markdown("**Lineage** (splits, merges and returns)")
        st.dataframe(history["lineage"], hide_index=True, width="stretch")
    if not history["runs"].empty:
        st.markdown("**Runs that found it**")
        runs_seen = (
            history["runs"]
            .assign(
                n_incidents=protect_counts(
                    history["runs"]["n_incidents"], profile, keys=history["runs"]["keysum"]
                )["label"].to_numpy()
            )
            .drop(columns="keysum")  # never shown: it would give the perturbation away
            .rename(columns={"n_incidents": "incidents"})
        )
        st.dataframe(runs_seen, hide_index=True, width="stretch")

if can(user, "edit_register"):
    flash = st.session_state.pop("hotspots_flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    c1, c2 = st.columns(2)
    with c1, st.form(f"status_{selected}_{record['version']}"):
        st.markdown("**Change status**")
        status = st.selectbox("Status", reg.STATUSES, index=reg.STATUSES.index(record["status"]))
        reason = st.text_input("Why (the meeting's reason)")
        change = st.form_submit_button("Save status")
    if change:
        try:
            with Session(engine) as session, session.begin():
                reg.set_status(
                    session,
                    actor=user,
                    hotspot_id=selected,
                    expected_version=record["version"],
                    status=status,
                    reason=reason,
                )
        except (InputError, ConflictError) as exc:
            st.error(safe_text(exc))
        else:
            st.session_state["hotspots_flash"] = f"Status of #{selected} saved: {status}."
            st.rerun()
    with c2, st.form(f"note_{selected}", clear_on_submit=True):
        st.markdown("**Record a meeting decision**")
        meeting = st.date_input("Meeting date", value=dt.date.today())
        decision = st.text_area("Decision")
        owner = st.text_input("Owner")
        due = st.date_input("Due", value=None)
        add = st.form_submit_button("Save decision")
    if add:
        try:
            with Session(engine) as session, session.begin():
                reg.add_meeting_note(
                    session,
                    actor=user,
                    hotspot_id=selected,
                    meeting_date=meeting,
                    decision=decision,
                    owner=owner,
                    due_on=due,
                )
        except InputError as exc:
            st.error(safe_text(exc))
        else:
            st.session_state["hotspots_flash"] = f"Decision recorded for #{selected}."
            st.rerun()
    with st.expander("Add a place of concern named by the panel (not from data)"):
        with st.form("place_of_concern"):
            name = st.text_input("Name of the place")
            c1, c2, c3 = st.columns(3)
            lat = c1.number_input("Latitude", value=52.8, format="%.5f")
            lon = c2.number_input("Longitude", value=-2.1, format="%.5f")
            radius = c3.number_input("Radius (m)", 25, 2000, 150)
            why = st.text_area("Why the panel is concerned (no names or personal details)")
            added = st.form_submit_button("Add to the register")
        if added:
            try:
                with Session(engine) as session, session.begin():
                    reg.add_place_of_concern(
                        session,
                        actor=user,
                        name=name,
                        lat=lat,
                        lon=lon,
                        radius_m=float(radius),
                        reason=why,
                    )
            except InputError as exc:
                st.error(safe_text(exc))
            else:
                st.success(f"Added {safe_text(name)}.")
                st.rerun()
