"""What every page shares: the cached engine, the data version for cache keys, the sample banner."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from assessments import db
from assessments.store import data_version, store_uses_samples

__all__ = ["current_data_version", "get_engine", "show_sample_banner"]


@st.cache_resource
def get_engine() -> Engine:
    """The database engine, migrated once per process."""
    engine = db.get_engine()
    db.migrate(engine)
    return engine


def current_data_version() -> str:
    """A string that changes whenever incidents or districts change: part of every cache key."""
    return data_version(get_engine())


def show_sample_banner() -> None:
    """Say clearly, on every page, when the store holds the synthetic samples."""
    if store_uses_samples(get_engine()):
        st.info(
            "**Synthetic sample data.** Everything shown comes from the bundled, computer-"
            "generated samples: no real place, incident or person. Import your own data on the "
            "Import page.",
            icon="🧪",
        )
