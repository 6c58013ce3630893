"""Audit trail (administrators): who changed what, when; filter and export."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import get_engine, offer_download, require_action
from assessments.audit import list_events, verify_chain

actor = require_action("view_audit")
engine = get_engine()

st.title("Audit trail")
st.caption(
    "Every change, import, export and sign-in. The trail is append-only: the database refuses "
    "edits and deletions, sets each event's time itself, and chains each event to the one "
    "before it by its hash."
)
if st.button("Check the chain", help="recompute every event's hash, oldest first"):
    check = verify_chain(engine, actor=actor)
    if check.ok:
        st.success(check.describe().capitalize() + ".")
    else:
        st.error(
            check.describe().capitalize() + ". Someone changed the database outside the app: "
            "keep a copy of the database as it is and tell whoever is responsible for security."
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


offer_download(
    "Download CSV",
    events.astype(str),
    what="audit_event",
    file_name=f"saferplaces-audit-{dt.date.today()}.csv",
    filters={"from": str(since), "to": str(until), "who": who, "action": action},
    needs="view_audit",
)
