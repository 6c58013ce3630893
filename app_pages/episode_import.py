"""The missing-episode part of the Import page: one file, all or nothing, references hashed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from assessments.episodes import EpisodeRowsError, import_episodes
from assessments.settings import get_settings
from geo import ConflictError, InputError, PersonalDataError
from geo.export import to_safe_csv
from geo.ingest import expand_sources, open_table
from geo.ingest.episodes import EPISODE_FIELDS, guess_episode_mapping

__all__ = ["EPISODES", "show_episode_import"]

EPISODES = "Missing episodes"


def show_episode_import(engine: Any, user: Any) -> None:
    """Upload, check the columns and import one file of missing episodes."""
    settings = get_settings()
    st.caption(
        "One row per missing episode (CSV or XLSX): an episode reference, a child reference, "
        "where the child went missing from and where they were found (either may be blank; "
        "latitude/longitude or easting/northing), start and end dates, age or age band, and "
        "whether a return home interview was offered, accepted and held within 72 hours. "
        "Both references are stored only as keyed hashes: a child's episodes are counted "
        "together, never named. Any row that cannot be used stops the whole file, with its line "
        "number. Files with personal data are refused."
    )
    upload = st.file_uploader("Episode file", type=["csv", "xlsx"], key="import_episode_file")
    if upload is None:
        return
    if upload.size > settings.max_upload_mb * 2**20:
        st.error(
            f"Larger than {settings.max_upload_mb} MB: use the command line "
            "(saferplaces import episodes FILE)."
        )
        return
    path = Path(tempfile.mkdtemp(prefix="saferplaces-episodes-")) / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    try:
        reader = open_table(expand_sources([path])[0])
    except InputError as exc:
        st.error(str(exc))
        return
    guessed = guess_episode_mapping(reader.columns)
    mapping: dict[str, str] = {}
    with st.expander("Columns: check how they are read", expanded=True):
        cols = st.columns(3)
        for i, field in enumerate(EPISODE_FIELDS):
            options = ["(not in this file)", *reader.columns]
            current = guessed.get(field)
            picked = cols[i % 3].selectbox(
                field.replace("_", " "),
                options,
                index=options.index(current) if current in options else 0,
                key=f"import_episode_map_{field}",
            )
            if picked != "(not in this file)":
                mapping[field] = picked
        drop = st.multiselect("Columns to discard unread", reader.columns)
    if not st.button("Import episodes", type="primary"):
        return
    try:
        report = import_episodes(engine, path, actor=user, mapping=mapping, drop=drop)
    except EpisodeRowsError as exc:
        st.error(str(exc))
        st.dataframe(exc.rejects.head(1000), hide_index=True, width="stretch")
        st.download_button(
            "Download every rejected row (CSV)",
            data=to_safe_csv(exc.rejects),
            file_name="rejected-episodes.csv",
            mime="text/csv",
        )
    except PersonalDataError as exc:
        st.error(str(exc))
    except (InputError, ConflictError) as exc:
        st.error(f"{exc}\n\nNothing from this file was stored.")
    else:
        if report.duplicate:
            st.info(f"{report.file}: already imported as batch {report.batch_id}; nothing stored.")
        else:
            st.success(
                f"{report.file}: batch {report.batch_id}: {report.stored:,} episodes stored."
            )
        st.dataframe(pd.DataFrame([report.as_json()]), hide_index=True, width="stretch")
