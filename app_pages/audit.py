"""Audit trail (administrators): who changed what, when; filter and export."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import get_engine, require_action
from assessments.audit import list_events, record_event
from assessments.db import session_scope
from geo.export import to_safe_csv

actor = require_action("view_audit")
engine = get_engine()

st.title("Audit trail")
st.caption(
    "Every change, import, export and sign-in. The trail is append-only: nothing can edit it."
)

c1, c2, c3, c4 = st.columns(4)
since = c1.date_input("From", value=dt.date.today() - dt.timedelta(days=30))
until = c2.date_input("To", value=dt.date.today())
who = c3.text_input("User name")
action = c4.text_input("Action (e.g. create, update, import, sign_in)")

events = list_events(
    engine, actor=actor, since=since, until=until, who=who or None, action=action or None
)
st.dataframe(events, hide_index=True, width="stretch")


def _exported() -> None:
    with session_scope(engine) as session:
        record_event(
            session,
            actor=actor,
            action="export",
            entity="audit_event",
            detail={"rows": len(events)},
        )


st.download_button(
    "Download CSV",
    data=to_safe_csv(events.astype(str)),
    file_name=f"saferplaces-audit-{dt.date.today()}.csv",
    mime="text/csv",
    on_click=_exported,
)
