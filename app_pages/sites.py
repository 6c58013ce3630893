"""Sites & assessments: the places district councils assess, their assessments and actions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages.common import current_user, get_engine, offer_download
from app_pages.site_forms import assessment_panel, new_site_form
from app_pages.tiles import tiles_switch
from app_pages.words import district_name_map
from assessments import site_assessments as records
from assessments import sites
from assessments.db import session_scope
from assessments.questionnaire import ASSESSMENT_STATUSES, RISK_RATINGS
from geo.labels import format_date, label_columns
from geo.text import safe_text
from layers.sites import site_map

user = current_user()
assert user is not None
engine = get_engine()
st.session_state.setdefault("sites_selected", None)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table in words: dates without times, labelled columns."""
    out = frame.copy()
    for column in [c for c in out.columns if c.endswith(("_on", "_at"))]:
        out[column] = out[column].map(format_date)
    return label_columns(out)


st.title("Sites & assessments")
st.caption(
    'Public places assessed by district councils ("spaces and places"): their latest risk, '
    "assessment status and review dates."
)

with session_scope(engine) as session:
    site_types = sites.list_site_types(session)
    all_sites = sites.list_sites(session)

with st.sidebar:
    st.subheader("Filter sites")
    names = district_name_map()
    districts = st.multiselect(
        "District",
        sorted(all_sites["district_code"].dropna().unique(), key=lambda c: names.get(c, c)),
        format_func=lambda c: names.get(c, c),
    )
    types = st.multiselect("Type", list(site_types), format_func=lambda c: site_types.get(c, c))
    risks = st.multiselect("Risk", list(RISK_RATINGS))
    statuses = st.multiselect("Assessment status", [*ASSESSMENT_STATUSES, "not assessed"])
    overdue_only = st.checkbox("Review overdue only")
    tiles = tiles_switch("sites_tiles")

with session_scope(engine) as session:
    shown = sites.list_sites(
        session,
        districts=districts or None,
        site_types=types or None,
        risks=risks or None,
        statuses=statuses or None,
        review_due_before=dt.date.today() - dt.timedelta(days=1) if overdue_only else None,
    )

list_tab, site_tab, new_tab = st.tabs(["Sites", "Site", "New site"])

with list_tab:
    if shown.empty:
        st.info("No site matches these filters.")
    else:
        table = shown.assign(
            type=shown["site_type"].map(site_types),
            district_code=shown["district_code"].map(lambda c: names.get(c, c)),
            next_review_on=shown["next_review_on"].map(format_date),
            assessed_on=shown["assessed_on"].map(format_date),
        ).rename(
            columns={
                "district_code": "district",
                "risk_rating": "risk",
                "next_review_on": "next review",
                "assessed_on": "last assessed",
            }
        )[["id", "name", "type", "district", "risk", "status", "last assessed", "next review"]]
        event = st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="sites_table",
        )
        if event.selection.rows:
            st.session_state["sites_selected"] = int(table.iloc[event.selection.rows[0]]["id"])
            st.caption("Open the **Site** tab to see the selected site.")
        st_folium(
            site_map(shown, tiles=tiles, district_names=names, type_labels=site_types),
            height=420,
            use_container_width=True,
            returned_objects=[],
        )

with site_tab:
    site_ids = shown["id"].tolist()
    selected = st.session_state["sites_selected"]
    if not site_ids:
        st.info("No site to show.")
    else:
        index = site_ids.index(selected) if selected in site_ids else 0
        site_id = st.selectbox(
            "Site",
            site_ids,
            index=index,
            format_func=lambda i: shown.set_index("id").loc[i, "name"],
        )
        st.session_state["sites_selected"] = site_id
        row = shown.set_index("id").loc[site_id]
        district = str(row["district_code"])
        left, right = st.columns([2, 3])
        with left:
            st.subheader(safe_text(row["name"]))
            st.text(
                f"{site_types.get(row['site_type'], row['site_type'])} · "
                f"{names.get(district, district)}\n"
                f"{row['address_line'] or ''}"
            )
            st_folium(
                site_map(
                    shown[shown["id"] == site_id],
                    tiles=tiles,
                    district_names=names,
                    type_labels=site_types,
                ),
                height=300,
                use_container_width=True,
                returned_objects=[],
                key=f"site_map_{site_id}",
            )
        with session_scope(engine) as session:
            history = records.list_assessments(session, site_id=site_id, details=True)
            actions = records.list_actions(session)
        actions = actions[actions["site_id"] == site_id]
        with right:
            st.markdown("**Assessments**")
            st.dataframe(
                _readable(
                    history[
                        [
                            "id",
                            "assessed_on",
                            "organisation",
                            "officer",
                            "risk_rating",
                            "status",
                            "reviewed_by",
                            "next_review_on",
                        ]
                    ].rename(columns={"id": "no."})
                ),
                hide_index=True,
                width="stretch",
            )
            st.markdown("**Actions**")
            st.dataframe(
                _readable(actions[["description", "agency", "owner", "due_on", "status", "late"]]),
                hide_index=True,
                width="stretch",
            )
            if not history.empty:
                offer_download(
                    "Download this site's assessments with their answers (CSV)",
                    history.drop(columns=["version"]),
                    what="assessments",
                    file_name=f"saferplaces-assessments-site-{site_id}-{dt.date.today()}.csv",
                    filters={"site": int(site_id)},
                    key=f"sites_assessments_download_{site_id}",
                )
        assessment_panel(engine, user, site_id=site_id, district=district, history=history)

with new_tab:
    if user.role == "viewer":
        st.info("Viewers read sites; analysts and district officers add them.")
    else:
        new_site_form(engine, user, site_types=site_types, tiles=tiles)

offer_download(
    "Download the site list (CSV)",
    shown,
    what="sites",
    file_name=f"saferplaces-sites-{dt.date.today()}.csv",
    filters={
        "districts": districts,
        "types": types,
        "risks": risks,
        "statuses": statuses,
        "overdue_only": overdue_only,
    },
)
