"""Helpers shared by the browser tests' app servers."""

from __future__ import annotations

import subprocess

from sqlalchemy import Engine, update

from assessments.models import Action, Assessment, District, ImportBatch, Site

__all__ = ["make_samples_real", "stop_server"]


def stop_server(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop a test's Streamlit server; on a busy machine, kill it rather than leave it behind."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def make_samples_real(engine: Engine) -> None:
    """Turn a store's samples into the council's own records (a store with real data in it).

    The journeys need a store a council would have (districts, incidents, hotspots, sites,
    assessments) with the demo sign-in off; the first real import would remove the samples.
    """
    with engine.begin() as conn:
        for model in (District, ImportBatch, Site, Assessment, Action):
            conn.execute(update(model).values(is_sample=False))
