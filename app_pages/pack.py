"""Meeting pack: the PDF or XLSX a strategy meeting reads before it meets."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import current_user, disclosure_profile, get_engine
from assessments import packs
from assessments.imports import load_districts
from assessments.permissions import can

user = current_user()
assert user is not None
engine = get_engine()

st.title("Meeting pack")
st.caption(
    "For a strategy meeting or MACE panel: what changed since the last meeting, the "
    "prioritised hotspots with maps and trends, overdue reviews and late actions. Marked "
    f"{packs.MARKING}; every number protected by the disclosure profile."
)
if not can(user, "export"):
    st.info("Viewers read the pages; analysts and district officers make packs.")
    st.stop()
names = load_districts(engine).set_index("code")["name"].to_dict()
with st.form("pack"):
    c1, c2 = st.columns(2)
    meeting = c1.date_input("Meeting date", value=dt.date.today())
    previous = c2.date_input("Previous meeting", value=dt.date.today() - dt.timedelta(days=28))
    districts = st.multiselect(
        "Districts (blank: all)", list(names), format_func=lambda c: names.get(c, c)
    )
    c3, c4 = st.columns(2)
    profile_name = c3.radio(
        "Disclosure profile",
        ["internal", "publication"],
        horizontal=True,
        help="publication: counts under 10 suppressed (c), others perturbed (±3) or rounded",
    )
    fmt = c4.radio("Format", ["pdf", "xlsx"], horizontal=True)
    make = st.form_submit_button("Make the pack", type="primary")
if make:
    with st.status("Making the pack...") as status:
        pack = packs.build_pack(
            engine,
            actor=user,
            meeting_date=meeting,
            previous_meeting=previous,
            districts=districts or None,
            profile=disclosure_profile(profile_name),
        )
        data = packs.pack_pdf(pack) if fmt == "pdf" else packs.pack_xlsx(pack)
        status.update(label="Pack ready", state="complete")
    st.download_button(
        f"Download the {fmt.upper()}",
        data=data,
        file_name=f"meeting-pack-{meeting}.{fmt}",
        mime="application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
