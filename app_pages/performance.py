"""Performance framework: is the work happening, and is it making places safer?"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages.charts import accessible_chart
from app_pages.common import disclosure_profile, get_engine, offer_download
from assessments.episode_performance import episode_report, shown_episode_report, workflow_trends
from assessments.imports import load_districts
from assessments.performance import performance_report, shown_headline
from geo.disclosure import protect_outcomes
from geo.labels import label_columns
from geo.outcomes import CAVEAT

engine = get_engine()
profile = disclosure_profile()

st.title("Performance framework")
st.caption(
    "For scrutiny committees and the partnership board: hotspots identified, assessed and "
    "closed; assessments on time; actions by agency; places that keep coming back; outcomes "
    "in assessed places."
)
today = dt.date.today()
c1, c2, c3 = st.columns(3)
start = c1.date_input("From", value=today.replace(day=1) - pd.DateOffset(months=12))
end = c2.date_input("To", value=today)
names = load_districts(engine).set_index("code")["name"].to_dict()
districts = c3.multiselect(
    "Districts (blank: partnership-wide)", list(names), format_func=lambda c: names.get(c, c)
)
report = performance_report(
    engine,
    start=pd.Timestamp(start).date(),
    end=pd.Timestamp(end).date(),
    districts=districts or None,
)

# Workflow figures (hotspots, assessments, actions) are exact, as on Coverage and in the CLI.
headline = shown_headline(report.headline)
cols = st.columns(3)
for i, row in enumerate(headline.itertuples()):
    cols[i % 3].metric(row.measure, row.shown)

st.subheader("The work, month by month")
workflow = workflow_trends(
    engine,
    start=pd.Timestamp(start).date(),
    end=pd.Timestamp(end).date(),
    districts=districts or None,
)
# workflow counts, month by month: exact, adding up to the headline figures above
accessible_chart(workflow.astype(float), value="count")
workflow_table = workflow.astype(int)
workflow_table.index = workflow_table.index.strftime("%b %Y")
workflow_table = workflow_table.reset_index()
st.dataframe(workflow_table, hide_index=True, width="stretch")

st.subheader("Places that keep coming back")
st.caption(
    "A place recurs when a hotspot run finds it again after one or more runs of the same scope "
    "did not: it keeps its number, decisions and status history. The rate is the share of the "
    "places the runs found in the period that have recurred."
)
repeats = report.repeat_locations.assign(
    rate=report.repeat_locations["rate"].map(lambda r: "-" if pd.isna(r) else f"{r:.1f}%")
)
st.dataframe(repeats, hide_index=True, width="stretch")

st.subheader("Actions by agency")
if not report.actions_by_agency.empty:
    chart = report.actions_by_agency.set_index("agency")[["completed", "open and late"]]
    accessible_chart(chart.astype(float), value="actions", horizontal=True)
agencies = report.actions_by_agency.copy()  # workflow counts: exact
st.dataframe(agencies, hide_index=True, width="stretch")
st.subheader("By district")
by_district = report.by_district.copy()  # workflow counts: exact
if "district" in by_district:
    by_district["district"] = by_district["district"].map(lambda c: names.get(c, c))
st.dataframe(by_district, hide_index=True, width="stretch")
st.subheader("Incidents in assessed places, before and after")
st.caption(CAVEAT)
if report.outcomes_by_district.empty:
    st.caption("No submitted or reviewed assessment to compare yet.")
else:
    outcomes = protect_outcomes(report.outcomes_by_district, profile)
    if "district_code" in outcomes:
        outcomes["district_code"] = outcomes["district_code"].map(lambda c: names.get(c, c))
    st.dataframe(label_columns(outcomes), hide_index=True, width="stretch")
st.subheader("Missing episodes and return home interviews")
st.caption(
    "Notifications are missing episodes by their start month; individuals are children, "
    "counted by the keyed hash of their reference (never named or listed). A re-referral is an "
    "episode that began within 12 months of the same child's previous one. Rates are shown "
    "only when what they are out of reaches the threshold."
)
episodes_shown = shown_episode_report(
    episode_report(
        engine,
        start=pd.Timestamp(start).date(),
        end=pd.Timestamp(end).date(),
        districts=districts or None,
    ),
    profile,
)
ecols = st.columns(3)
for i, row in enumerate(episodes_shown["headline"].itertuples()):
    ecols[i % 3].metric(row.measure, row.shown)
if not episodes_shown["chart"].empty:
    st.markdown("**Return home interviews by month**")
    accessible_chart(episodes_shown["chart"], value="episodes", suppressed=profile.suppressed_label)
st.markdown("**Every measure by month**")
st.dataframe(episodes_shown["monthly"], hide_index=True, width="stretch")
st.markdown("**Return home interviews by month and district**")
rhi_shown = episodes_shown["rhi by month and district"].copy()
if "district" in rhi_shown:
    rhi_shown["district"] = rhi_shown["district"].map(lambda c: names.get(c, c))
st.dataframe(rhi_shown, hide_index=True, width="stretch")
st.markdown("**Children missing more than once: where they go missing from**")
repeat_shown = episodes_shown["repeat missing by district"].copy()
if "district" in repeat_shown:
    repeat_shown["district"] = repeat_shown["district"].map(lambda c: names.get(c, c))
st.dataframe(repeat_shown, hide_index=True, width="stretch")
st.markdown("**Age profile of incidents in hotspots**")
st.dataframe(episodes_shown["ages in hotspots"], hide_index=True, width="stretch")
offer_download(
    "Download the framework (XLSX)",
    {
        "headline": headline[["measure", "shown"]],
        "repeat locations": repeats,
        "agencies": agencies,
        "districts": by_district,
        "work by month": workflow_table,
        "missing episodes": episodes_shown["headline"],
        "episodes by month": episodes_shown["monthly"],
        "rhi by district": rhi_shown,
        "repeat missing": repeat_shown,
        "ages in hotspots": episodes_shown["ages in hotspots"],
    },
    what="performance",
    file_name=f"performance-{start}-{end}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    filters={"from": str(start), "to": str(end), "profile": profile.name},
)
st.caption(profile.describe())
