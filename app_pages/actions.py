"""Actions tracker: actions agreed in assessments, late ones first, by agency."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.charts import accessible_chart
from app_pages.common import current_user, get_engine, offer_download
from app_pages.words import district_name_map
from assessments import site_assessments as records
from assessments.db import session_scope
from assessments.permissions import can
from assessments.questionnaire import ACTION_STATUSES
from geo import ConflictError, InputError
from geo.labels import format_date, label_columns
from geo.text import safe_text

user = current_user()
assert user is not None
engine = get_engine()

st.title("Actions tracker")
st.caption("Actions agreed in site assessments. Late actions (past due, not done) come first.")

with session_scope(engine) as session:
    everything = records.list_actions(session)

with st.sidebar:
    st.subheader("Filter actions")
    agencies = st.multiselect("Agency", sorted(everything["agency"].unique()))
    names = district_name_map()
    district_options = sorted(everything["district_code"].unique(), key=lambda c: names.get(c, c))
    districts = st.multiselect(
        "District",
        district_options,
        # A district officer starts with their own districts' actions, the ones they can change.
        default=[c for c in district_options if user.role == "district" and c in user.districts],
        format_func=lambda c: names.get(c, c),
    )
    open_only = st.checkbox("Open actions only", value=True)

with session_scope(engine) as session:
    actions = records.list_actions(
        session, agencies=agencies or None, districts=districts or None, open_only=open_only
    )

late = actions[actions["late"]]
c1, c2, c3 = st.columns(3)
c1.metric("Actions shown", len(actions))
c2.metric("Late", len(late))
c3.metric("Agencies with late actions", late["agency"].nunique())

if not late.empty:
    st.subheader("Late actions by agency")
    accessible_chart(
        late.groupby("agency").size().rename("late actions"), value="late actions", horizontal=True
    )

st.subheader("Actions")
st.dataframe(
    label_columns(
        actions.assign(
            due_on=actions["due_on"].map(format_date),
            district_code=actions["district_code"].map(lambda c: names.get(c, c)),
        )[["late", "due_on", "agency", "owner", "description", "status", "site", "district_code"]]
    ),
    hide_index=True,
    width="stretch",
    column_config={"late": st.column_config.CheckboxColumn("late")},
)
offer_download(
    "Download (CSV)",
    actions,
    what="actions",
    file_name=f"actions-{dt.date.today()}.csv",
    filters={"agencies": agencies, "districts": districts, "open_only": open_only},
)

editable = [
    row for row in actions.itertuples() if can(user, "edit_action", district=row.district_code)
]
if editable:
    st.subheader("Update an action")
    chosen = st.selectbox(
        "Action", editable, format_func=lambda r: f"#{r.id} {r.description[:60]} ({r.agency})"
    )
    with st.form(f"action_{chosen.id}_{chosen.version}"):
        description = st.text_area("What will be done", value=chosen.description, max_chars=2000)
        c1, c2 = st.columns(2)
        agency = c1.text_input("Owning agency", value=chosen.agency)
        owner = c2.text_input("Owner (a role or team)", value=chosen.owner)
        status = st.selectbox("Status", ACTION_STATUSES, index=ACTION_STATUSES.index(chosen.status))
        due = st.date_input("Due", value=chosen.due_on)
        completed = st.date_input(
            "Completed on", value=chosen.completed_on, max_value=dt.date.today()
        )
        note = st.text_area("Completion note")
        saved = st.form_submit_button("Save", type="primary")
    if saved:
        data = records.ActionIn(
            description=description,
            agency=agency,
            owner=owner,
            due_on=due,
            status=status,
            completed_on=completed,
            completion_note=note,
        )
        try:
            with session_scope(engine) as session:
                records.update_action(
                    session,
                    actor=user,
                    action_id=int(chosen.id),
                    expected_version=int(chosen.version),
                    data=data,
                )
        except (InputError, ConflictError, PermissionError) as exc:
            st.error(safe_text(exc))
        else:
            st.success("Saved.")
            st.rerun()
