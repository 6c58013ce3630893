"""Load the bundled SYNTHETIC samples into the store (for the zero-configuration start).

Everything loaded is marked as sample data, so the app shows the "synthetic" banner and signs in
the demo analyst only while nothing real is held.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from assessments import db, episodes, hotspot_runs, imports, register, site_imports, store
from assessments.incidents import month_range
from assessments.models import District, Hotspot, HotspotRun, ImportBatch
from assessments.permissions import Actor, require
from assessments.settings import SAMPLES_DIR
from geo._errors import ConflictError
from geo.filters import IncidentFilter

__all__ = ["SAMPLE_ACTOR", "load_samples", "load_samples_if_empty", "real_records"]


class _SampleLoader:
    """The system actor that loads samples (administrator rights, audited as ``samples``)."""

    username = "samples"
    role = "admin"
    districts: list[str] = []  # noqa: RUF012
    is_active = True
    is_demo = False


SAMPLE_ACTOR = _SampleLoader()
#: The samples' hotspot runs ask for 30 incidents within 150 m over a year: the planted places,
#: not every busy street.
SAMPLE_MIN_SAMPLES = 30


def real_records(engine: Engine) -> dict[str, int]:
    """Count the records that are not synthetic samples, by table (empty: nothing real held).

    Users are left out here (accounts may exist before samples are loaded); the demo sign-in rule
    counts them too (:func:`assessments.store.real_records`, the one place that counts).
    """
    return {k: n for k, n in store.real_records(engine).items() if k != "users"}


def load_samples(engine: Engine | None = None, *, actor: Actor | None = None) -> dict[str, Any]:
    """Load districts, incidents, missing episodes, sites, assessments, actions and hotspots.

    Only an administrator may load them (``actor``; the start-up loader acts as ``samples``),
    and never into a store holding real records: samples and real data are never mixed.

    Raises
    ------
    PermissionDeniedError
        ``actor`` is not an administrator.
    ConflictError
        The store holds real (non-sample) records.
    """
    engine = engine or db.get_engine()
    require(actor or SAMPLE_ACTOR, "load_samples")
    real = real_records(engine)
    if real:
        held = ", ".join(f"{n:,} {name}" for name, n in real.items())
        msg = (
            f"the store holds real data ({held}): the synthetic samples are never loaded "
            "beside it; nothing was loaded"
        )
        raise ConflictError(msg)
    actor = SAMPLE_ACTOR
    summary: dict[str, Any] = {}
    districts = imports.import_districts(
        engine, SAMPLES_DIR / "synthetic_districts.geojson", is_sample=True, actor=actor
    )
    summary["districts"] = len(districts)
    report = imports.import_files(
        engine,
        [SAMPLES_DIR / "synthetic_incidents.csv", SAMPLES_DIR / "synthetic_missing_episodes.csv"],
        is_sample=True,
        actor="samples",
    )
    summary["incidents"] = report.as_json()
    summary["episodes"] = episodes.import_episodes(
        engine, SAMPLES_DIR / "synthetic_episodes.csv", actor="samples", is_sample=True
    ).as_json()
    for name, loader in (
        ("sites", site_imports.import_sites),
        ("assessments", site_imports.import_assessments),
        ("actions", site_imports.import_actions),
    ):
        summary[name] = loader(
            engine, SAMPLES_DIR / f"synthetic_{name}.csv", actor=actor, is_sample=True
        ).as_json()
    # Two runs of the same scope ("the last 12 months"), as a partnership would have made them:
    # a year ago (as of the month twelve months back), and now.
    last = pd.Timestamp(month_range(engine)[1])
    year_ago = (last - pd.DateOffset(months=12)).date()
    earlier = IncidentFilter(
        kinds=("incident",), start_month=(last - pd.DateOffset(months=23)).date()
    )
    recent = IncidentFilter(
        kinds=("incident",), start_month=(last - pd.DateOffset(months=11)).date()
    )
    first = hotspot_runs.register_run(
        engine, actor=actor, filt=earlier, min_samples=SAMPLE_MIN_SAMPLES, as_of=year_ago
    )
    with Session(engine) as session, session.begin():
        session.execute(
            update(HotspotRun)
            .where(HotspotRun.id == first.run_id)
            .values(ran_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=28))
        )
        session.execute(
            update(Hotspot).values(first_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=28))
        )
    second = hotspot_runs.register_run(
        engine, actor=actor, filt=recent, min_samples=SAMPLE_MIN_SAMPLES
    )
    # A register of another scope: where children go missing from (resolution-7 cells only).
    missing = hotspot_runs.register_run(
        engine,
        actor=actor,
        filt=IncidentFilter(kinds=("missing_from",), start_month=recent.start_month),
        min_samples=SAMPLE_MIN_SAMPLES,
    )
    summary["hotspots"] = [first.as_json(), second.as_json(), missing.as_json()]
    _plausible_register(engine, scope_key=second.params["scope_key"])
    return summary


def _plausible_register(engine: Engine, *, scope_key: str) -> None:
    """Give the sample register a history: statuses, decisions, and a place named by a panel."""
    today = dt.date.today()
    with Session(engine) as session, session.begin():
        hotspots = session.scalars(
            select(Hotspot)
            .where(Hotspot.scope_key == scope_key)
            .order_by(Hotspot.n_incidents.desc())
        ).all()
        steps = ["under review", "assessment requested", "assessed", "monitoring"]
        for i, hotspot in enumerate(hotspots[:4]):
            for step in steps[: i + 1]:
                register.set_status(
                    session,
                    actor=SAMPLE_ACTOR,
                    hotspot_id=hotspot.id,
                    expected_version=hotspot.version,
                    status=step,
                    reason="Sample strategy meeting decision",
                )
            register.add_meeting_note(
                session,
                actor=SAMPLE_ACTOR,
                hotspot_id=hotspot.id,
                meeting_date=today - dt.timedelta(days=14),
                decision=[
                    "Ask the district for a spaces and places assessment",
                    "Share with the neighbourhood policing team for patrols",
                    "Licensing to visit late-night premises",
                    "Keep under monitoring for three months",
                ][i],
                owner=["District council", "Police", "Licensing", "Community safety"][i],
                due_on=today + dt.timedelta(days=28),
            )
        register.add_place_of_concern(
            session,
            actor=SAMPLE_ACTOR,
            name="Old quarry lane (named by the MACE panel)",
            lat=52.905,
            lon=-2.155,
            radius_m=200,
            reason="Named in several referrals: young people taken there by car at night",
        )


def load_samples_if_empty(engine: Engine | None = None) -> bool:
    """Load the samples when the store holds no batch and no district; return whether it did."""
    engine = engine or db.get_engine()
    with engine.connect() as conn:
        batches = conn.execute(select(func.count()).select_from(ImportBatch)).scalar_one()
        districts = conn.execute(select(func.count()).select_from(District)).scalar_one()
    if batches or districts:
        return False
    load_samples(engine)
    return True
