"""Samples and real data never mix: the first real import removes the synthetic samples.

The bundled samples fill a new store so the app can be tried at once (the demo analyst signs in
while every record is a sample). Real data must not be counted into the synthetic districts or
shown under a banner that says nothing is real, so the first real import (incidents, districts,
sites, assessments or actions) removes every sample first, and its report says so.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.models import (
    Action,
    Assessment,
    District,
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
    ImportBatch,
    Incident,
    IncidentSummary,
    MeetingNote,
    Site,
)
from assessments.permissions import Actor
from assessments.store import store_uses_samples

__all__ = ["REMOVED_NOTE", "remove_samples", "remove_samples_before_real_data"]

REMOVED_NOTE = (
    "The synthetic sample data were removed before this first real import: samples and real "
    "data are never mixed, and the demo sign-in is now off."
)


def remove_samples(engine: Engine, *, actor: Actor | str) -> dict[str, int]:
    """Delete every sample record (and the hotspot register built from them); return counts.

    Users, saved column mappings, site types and the audit trail stay. The register (runs,
    hotspots, decisions) is removed with the samples when no real incident is stored, since it
    was computed from them.
    """
    removed: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        sample_sites = select(Site.id).where(Site.is_sample)
        sample_assessments = select(Assessment.id).where(
            or_(Assessment.is_sample, Assessment.site_id.in_(sample_sites))
        )
        sample_batches = select(ImportBatch.id).where(ImportBatch.is_sample)
        real_incidents = session.scalar(
            select(func.count(Incident.id)).where(Incident.batch_id.not_in(sample_batches))
        )
        steps = [
            (
                "actions",
                delete(Action).where(
                    or_(Action.is_sample, Action.assessment_id.in_(sample_assessments))
                ),
            ),
            ("assessments", delete(Assessment).where(Assessment.id.in_(sample_assessments))),
            ("sites", delete(Site).where(Site.is_sample)),
        ]
        if not real_incidents:
            steps += [
                ("meeting notes", delete(MeetingNote)),
                ("status changes", delete(HotspotStatusChange)),
                ("hotspot observations", delete(HotspotObservation)),
                ("hotspot lineage", delete(HotspotLineage)),
                ("hotspots", delete(Hotspot)),
                ("hotspot runs", delete(HotspotRun)),
            ]
        steps += [
            ("incidents", delete(Incident).where(Incident.batch_id.in_(sample_batches))),
            (
                "incident summary",
                delete(IncidentSummary).where(IncidentSummary.batch_id.in_(sample_batches)),
            ),
            ("import batches", delete(ImportBatch).where(ImportBatch.is_sample)),
            ("districts", delete(District).where(District.is_sample)),
        ]
        for name, statement in steps:
            count = session.execute(statement.execution_options(synchronize_session=False))
            removed[name] = int(count.rowcount or 0)
        record_event(
            session,
            actor=actor,
            action="remove_samples",
            entity="store",
            detail={k: v for k, v in removed.items() if v},
        )
    return removed


def remove_samples_before_real_data(engine: Engine, *, actor: Actor | str) -> str | None:
    """Remove the samples if the store holds any; return the note to show, or ``None``."""
    if not store_uses_samples(engine):
        return None
    remove_samples(engine, actor=actor)
    return REMOVED_NOTE
