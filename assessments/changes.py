"""What changed in the register since a date (the previous meeting), read from its history.

New, grown, shrunk, merged, split and no-longer-active hotspots; status changes; decisions taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments.models import (
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
    MeetingNote,
)

__all__ = ["GROWTH_THRESHOLD", "changes_since"]

#: A hotspot has grown (shrunk) when its incident count changed by at least this fraction
#: between the last run before the meeting and the latest run.
GROWTH_THRESHOLD: Final[float] = 0.2


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def changes_since(session: Session, since: dt.datetime) -> dict[str, pd.DataFrame]:
    """Return the register's changes after ``since``, one frame per kind of change.

    Keys: ``new``, ``grown``, ``shrunk``, ``merged``, ``split``, ``inactive``, ``status``,
    ``decisions``.
    """
    since = _aware(since)
    runs = pd.DataFrame(
        session.execute(select(HotspotRun.id, HotspotRun.ran_at)).all(),
        columns=["run_id", "ran_at"],
    )
    runs["ran_at"] = pd.to_datetime(runs["ran_at"], utc=True)
    before = runs[runs["ran_at"] <= pd.Timestamp(since)]
    after = runs[runs["ran_at"] > pd.Timestamp(since)]
    baseline_run = int(before["run_id"].max()) if not before.empty else None
    latest_run = int(runs["run_id"].max()) if not runs.empty else None

    hotspots = pd.DataFrame(
        session.execute(
            select(
                Hotspot.id,
                Hotspot.name,
                Hotspot.status,
                Hotspot.is_active,
                Hotspot.first_seen_at,
                Hotspot.last_seen_at,
                Hotspot.last_run_id,
                Hotspot.n_incidents,
                Hotspot.districts,
            )
        ).all(),
        columns=[
            "id",
            "name",
            "status",
            "active",
            "first_seen_at",
            "last_seen_at",
            "last_run_id",
            "n_incidents",
            "districts",
        ],
    )
    hotspots["first_seen_at"] = pd.to_datetime(hotspots["first_seen_at"], utc=True)
    hotspots["name"] = hotspots["name"].where(
        hotspots["name"] != "", "Hotspot " + hotspots["id"].astype(str)
    )
    new = hotspots[hotspots["first_seen_at"] > pd.Timestamp(since)]

    observations = pd.DataFrame(
        session.execute(
            select(
                HotspotObservation.run_id,
                HotspotObservation.hotspot_id,
                HotspotObservation.n_incidents,
            )
        ).all(),
        columns=["run_id", "hotspot_id", "n_incidents"],
    )
    grown = shrunk = hotspots.iloc[0:0].assign(before=[], after=[], change=[])
    if baseline_run is not None and latest_run is not None and latest_run != baseline_run:
        then = observations[observations["run_id"] == baseline_run].set_index("hotspot_id")
        now = observations[observations["run_id"] == latest_run].set_index("hotspot_id")
        both = pd.DataFrame({"before": then["n_incidents"], "after": now["n_incidents"]}).dropna()
        both["change"] = (both["after"] - both["before"]) / both["before"].clip(lower=1)
        merged_frame = hotspots.join(both, on="id", how="inner")
        grown = merged_frame[merged_frame["change"] >= GROWTH_THRESHOLD]
        shrunk = merged_frame[merged_frame["change"] <= -GROWTH_THRESHOLD]

    lineage = pd.DataFrame(
        session.execute(
            select(
                HotspotLineage.run_id,
                HotspotLineage.parent_id,
                HotspotLineage.child_id,
                HotspotLineage.kind,
            )
        ).all(),
        columns=["run_id", "parent_id", "child_id", "kind"],
    )
    lineage = lineage[lineage["run_id"].isin(after["run_id"])]
    # No longer active: seen by the last run before the meeting, not active now.
    seen_then = observations.loc[observations["run_id"] == baseline_run, "hotspot_id"]
    inactive = hotspots[~hotspots["active"].astype(bool) & hotspots["id"].isin(seen_then)]

    status = pd.DataFrame(
        session.execute(
            select(
                HotspotStatusChange.hotspot_id,
                HotspotStatusChange.at,
                HotspotStatusChange.by,
                HotspotStatusChange.from_status,
                HotspotStatusChange.to_status,
                HotspotStatusChange.reason,
            ).order_by(HotspotStatusChange.at)
        ).all(),
        columns=["hotspot_id", "at", "by", "from", "to", "reason"],
    )
    status = status[pd.to_datetime(status["at"], utc=True) > pd.Timestamp(since)]
    decisions = pd.DataFrame(
        session.execute(
            select(
                MeetingNote.hotspot_id,
                MeetingNote.meeting_date,
                MeetingNote.decision,
                MeetingNote.owner,
                MeetingNote.due_on,
            ).order_by(MeetingNote.meeting_date)
        ).all(),
        columns=["hotspot_id", "meeting", "decision", "owner", "due"],
    )
    decisions = decisions[pd.to_datetime(decisions["meeting"]) >= pd.Timestamp(since.date())]
    return {
        "new": new.reset_index(drop=True),
        "grown": grown.reset_index(drop=True),
        "shrunk": shrunk.reset_index(drop=True),
        "merged": lineage[lineage["kind"] == "merged"].reset_index(drop=True),
        "split": lineage[lineage["kind"] == "split"].reset_index(drop=True),
        "inactive": inactive.reset_index(drop=True),
        "status": status.reset_index(drop=True),
        "decisions": decisions.reset_index(drop=True),
    }
