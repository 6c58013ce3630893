"""Import: bring anonymised incident extracts and district boundaries into the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from app_pages.common import current_user, get_engine, offer_download
from app_pages.episode_import import EPISODES, show_episode_import
from assessments import categories, imports
from assessments.permissions import can
from assessments.settings import get_settings
from geo import ConflictError, InputError, PersonalDataError
from geo.ingest import FIELDS, expand_sources, guess_mapping, open_table
from geo.schema import KINDS
from geo.text import safe_text

user = current_user()
assert user is not None
engine = get_engine()
settings = get_settings()

st.title("Import data")
what = INCIDENTS = "Incidents or locations"
if not can(user, "import"):
    st.info("Imports are done by analysts. You can see the batches below.")
else:
    what = st.radio(
        "What are you importing?",
        [INCIDENTS, EPISODES],
        horizontal=True,
        key="import_what",
        help="Missing episodes: one row per episode, with hashed references (see below).",
    )
if what == EPISODES:
    show_episode_import(engine, user)
elif can(user, "import"):
    st.caption(
        "Police.uk street CSVs (one file, or the zip police.uk gives you), or your own CSV, "
        "XLSX or GeoJSON with latitude/longitude or easting/northing. Each file is stored whole "
        "or not at all; rows that cannot be used are listed with their line number. Files with "
        "personal data (names, dates of birth, addresses, phone numbers, e-mails, identifiers, "
        "free-text narratives) are refused."
    )
    uploads = st.file_uploader(
        "Incident files",
        type=["csv", "xlsx", "geojson", "json", "gpkg", "zip"],
        accept_multiple_files=True,
        key="import_files",
    )
    kind = st.selectbox(
        "Kind of records",
        ["(from the file)", *KINDS],
        help="incident, or where children went missing from / were found",
    )
    mapping: dict[str, str] = {}
    drop: list[str] = []
    sheet = None
    saved = imports.list_mappings(engine)
    if uploads:
        too_big = [u.name for u in uploads if u.size > settings.max_upload_mb * 2**20]
        if too_big:
            st.error(
                f"Larger than {settings.max_upload_mb} MB: {', '.join(too_big)}. Use the "
                "command line (saferplaces import) for very large files."
            )
            st.stop()
        folder = Path(tempfile.mkdtemp(prefix="saferplaces-upload-"))
        paths = []
        for upload in uploads:
            path = folder / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            paths.append(path)
        try:
            first = expand_sources([paths[0]])[0]
            reader = open_table(first) if first.suffix not in {".xlsx", ".xlsm"} else None
        except InputError as exc:
            if "several sheets" in str(exc):
                sheet = st.text_input("Sheet to import", help=safe_text(exc))
                reader = open_table(first, sheet=sheet) if sheet else None
            else:
                st.error(safe_text(exc))
                st.stop()
        if reader is None and first.suffix in {".xlsx", ".xlsm"}:
            try:
                reader = open_table(first, sheet=sheet)
            except InputError as exc:
                sheet = st.text_input("Sheet to import", help=safe_text(exc))
                reader = open_table(first, sheet=sheet) if sheet else None
        if reader is not None and reader.format != "police_uk":
            with st.expander("Columns: check how they are read", expanded=True):
                choice = st.selectbox("Saved mapping", ["(none)", *saved["name"].tolist()])
                preset = (
                    dict(saved.set_index("name").loc[choice, "mapping"])
                    if choice != "(none)"
                    else guess_mapping(reader.columns)
                )
                cols = st.columns(3)
                for i, field in enumerate(FIELDS):
                    options = ["(not in this file)", *reader.columns]
                    current = preset.get(field)
                    picked = cols[i % 3].selectbox(
                        field,
                        options,
                        index=options.index(current) if current in options else 0,
                        key=f"import_map_{field}",
                    )
                    if picked != "(not in this file)":
                        mapping[field] = picked
                drop = st.multiselect(
                    "Columns to discard unread (e.g. a notes column you cannot remove)",
                    reader.columns,
                )
                name = st.text_input("Save this mapping as (optional)")
                if name and st.button("Save mapping"):
                    imports.save_mapping(engine, name, mapping, drop=drop, actor=user)
                    st.success(f"Saved mapping {safe_text(name)}.")
        elif reader is not None:
            st.caption("Recognised as a police.uk street file.")
        if st.button("Import", type="primary"):
            bar = st.progress(0.0, text="Importing...")

            def progress(name: str, rows: int, size: int) -> None:
                bar.progress(
                    min(0.99, rows / max(1, size / 110)), text=f"{safe_text(name)}: {rows:,} rows"
                )

            try:
                report = imports.import_files(
                    engine,
                    paths,
                    kind=None if kind == "(from the file)" else kind,
                    mapping=mapping or None,
                    drop=drop,
                    sheet=sheet,
                    actor=user,
                    progress=progress,
                )
            except PersonalDataError as exc:
                bar.empty()
                st.error(safe_text(exc))
            except (InputError, ConflictError) as exc:
                bar.empty()
                st.error(f"{safe_text(exc)}\n\nNothing from this file was stored.")
            else:
                bar.progress(1.0, text="Done")
                st.session_state["import_report"] = report

report = st.session_state.get("import_report")
if report is not None:
    st.subheader("Import report")
    rows = pd.DataFrame([b.as_json() for b in report.batches]).drop(columns="notes")
    st.dataframe(rows, hide_index=True, width="stretch")
    for batch in report.batches:
        for note in batch.notes:
            st.caption(f"{safe_text(batch.file)}: {safe_text(note)}")
    if user.is_demo and any(b.stored for b in report.batches):
        st.warning(
            "Your own data is now in the store, so the demo sign-in ends with your next click. "
            "Sign in as the administrator: `./start` printed its one-time password the first "
            "time it ran (more accounts: `saferplaces users add`)."
        )
    if report.rejected_by_reason:
        st.write("Rejected rows by reason:")
        st.dataframe(pd.Series(report.rejected_by_reason, name="rows"), width="stretch")
        rejects = report.rejects_frame()
        st.dataframe(rejects.head(1000), hide_index=True, width="stretch")
        offer_download(
            "Download every rejected row (CSV)",
            rejects,
            what="import_rejects",
            file_name="rejected-rows.csv",
            needs="import",
            user=user,
        )

st.subheader("Import batches")
batches = imports.list_batches(engine)
if batches.empty:
    st.caption("No import yet.")
else:
    st.dataframe(batches, hide_index=True, width="stretch")
    if can(user, "delete_import"):
        with st.form("delete_batch"):
            batch_id = st.selectbox("Undo an import: batch", batches["id"].tolist())
            confirm = st.checkbox("Yes, delete this batch and every row it stored")
            delete = st.form_submit_button("Delete batch")
        if delete:
            if not confirm:
                st.error("Tick the box to confirm.")
            else:
                removed = imports.delete_batch(engine, int(batch_id), actor=user)
                st.success(f"Deleted batch {batch_id} and its {removed:,} rows.")
                st.rerun()

if can(user, "manage_settings"):
    waiting = categories.pending_categories(engine)
    st.subheader("New categories")
    if not waiting:
        st.caption("No category is waiting for approval.")
    else:
        st.caption(
            "Categories that are not police.uk crime types or safeguarding categories are stored "
            "and counted, but the Map offers them as filters only once you approve them. Refuse "
            "one that looks like a person, a place or a description, and undo the import."
        )
        with st.form("category_approval"):
            chosen = st.selectbox("Category", waiting)
            decision = st.radio("Decision", ["approved", "refused"], horizontal=True, index=None)
            decide = st.form_submit_button("Save decision")
        if decide:
            if decision is None:
                st.error("Choose approve or refuse.")
            else:
                with Session(engine) as session, session.begin():
                    categories.decide_category(
                        session=session, actor=user, name=chosen, decision=decision
                    )
                st.cache_data.clear()
                st.success(f"Category {decision}.")
                st.rerun()

if can(user, "import"):
    st.subheader("District boundaries")
    boundary = st.file_uploader(
        "GeoJSON, TopoJSON or GeoPackage", type=["geojson", "json", "gpkg"], key="import_boundaries"
    )
    c1, c2 = st.columns(2)
    code_field = c1.text_input("Code field (blank: guess)")
    name_field = c2.text_input("Name field (blank: guess)")
    if boundary is not None and st.button("Import boundaries"):
        path = Path(tempfile.mkdtemp(prefix="saferplaces-districts-")) / Path(boundary.name).name
        path.write_bytes(boundary.getvalue())
        try:
            stored = imports.import_districts(
                engine,
                path,
                code_field=code_field or None,
                name_field=name_field or None,
                actor=user,
            )
        except InputError as exc:
            st.error(safe_text(exc))
        else:
            st.success(f"Stored {len(stored)} districts.")
