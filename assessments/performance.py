"""The partnership performance framework: whether the work happens and places get safer.

Figures for a period (and optionally a set of districts), from the register, the assessments,
the actions and the outcomes: hotspots identified, assessed and closed; assessments completed and
on time; actions completed and late by agency; the median time from a hotspot being identified to
its first assessment; incidents around assessed sites before and after against their district;
the repeat-location rate (places found by the hotspot runs in the period that came back after
dropping out of their scope's runs, over all such places).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments.coverage import hotspot_coverage, outcomes_for_sites
from assessments.models import (
    Action,
    Assessment,
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
    Site,
)
from geo.scope import RunScope

__all__ = [
    "ON_TIME_DAYS",
    "REPEAT_MEASURES",
    "PerformanceReport",
    "performance_report",
    "repeat_locations",
    "shown_headline",
]

#: Headline measures about places in the register (workflow figures: never suppressed).
REPEAT_MEASURES = ("Places found by runs", "Places that recurred", "Repeat-location rate (%)")

#: A first assessment counts as on time when submitted within this many days of the hotspot
#: being set to "assessment requested"; a repeat assessment when submitted by the review date.
ON_TIME_DAYS = 28


@dataclass
class PerformanceReport:
    """The framework's figures for one period and scope (raw counts; suppress before showing)."""

    start: dt.date
    end: dt.date
    districts: list[str]
    headline: pd.DataFrame
    by_district: pd.DataFrame
    actions_by_agency: pd.DataFrame
    outcomes_by_site: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcomes_by_district: pd.DataFrame = field(default_factory=pd.DataFrame)
    repeat_locations: pd.DataFrame = field(default_factory=pd.DataFrame)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def repeat_locations(
    engine: Engine, *, start: dt.date, end: dt.date, districts: list[str] | None = None
) -> pd.DataFrame:
    """Places found by hotspot runs in ``start``..``end``, and how many of them recurred.

    A place is a register hotspot of a run's scope that some run in the period saw; it
    *recurred* when, by ``end``, it came back after dropping out of its scope's runs (a
    ``recurred`` lineage edge). One row per scope (in words), then ``all scopes``: ``places``,
    ``recurred``, ``rate`` (percent, one decimal; empty without places). Places named by hand are
    not counted: no run looks for them.
    """
    first = pd.Timestamp(start, tz="UTC")
    last = pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    with Session(engine) as session:
        seen = pd.DataFrame(
            session.execute(
                select(
                    HotspotObservation.hotspot_id,
                    HotspotRun.ran_at,
                    Hotspot.scope,
                    Hotspot.scope_key,
                    Hotspot.districts,
                )
                .join(HotspotRun, HotspotRun.id == HotspotObservation.run_id)
                .join(Hotspot, Hotspot.id == HotspotObservation.hotspot_id)
                .where(Hotspot.source == "dbscan")
            ).all(),
            columns=["id", "ran_at", "scope", "scope_key", "districts"],
        )
        back = pd.DataFrame(
            session.execute(
                select(HotspotLineage.child_id, HotspotRun.ran_at)
                .join(HotspotRun, HotspotRun.id == HotspotLineage.run_id)
                .where(HotspotLineage.kind == "recurred")
            ).all(),
            columns=["id", "ran_at"],
        )
    columns = ["scope", "places", "recurred", "rate"]
    if not seen.empty:
        at = pd.to_datetime(seen["ran_at"], utc=True)
        seen = seen[(at >= first) & (at < last)].drop_duplicates("id")
    if districts and not seen.empty:
        wanted = set(districts)
        seen = seen[seen["districts"].map(lambda ds: bool(set(ds or []) & wanted))]
    if seen.empty:
        return pd.DataFrame([("all scopes", 0, 0, None)], columns=columns)
    came_back = set(back.loc[pd.to_datetime(back["ran_at"], utc=True) < last, "id"])
    seen = seen.assign(
        recurred=seen["id"].isin(came_back),
        scope=[
            RunScope.from_json(s).describe() if k else ""
            for s, k in zip(seen["scope"], seen["scope_key"], strict=True)
        ],
    )
    rows = [
        (
            scope,
            len(group),
            int(group["recurred"].sum()),
            _rate(group["recurred"].sum(), len(group)),
        )
        for scope, group in seen.groupby("scope", sort=True)
    ]
    total = int(seen["recurred"].sum())
    rows.append(("all scopes", len(seen), total, _rate(total, len(seen))))
    return pd.DataFrame(rows, columns=columns)


def _in(series: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    values = pd.to_datetime(series, utc=True).dt.tz_localize(None).dt.normalize()
    return (values >= pd.Timestamp(start)) & (values <= pd.Timestamp(end))


def performance_report(
    engine: Engine,
    *,
    start: dt.date,
    end: dt.date,
    districts: list[str] | None = None,
    outcome_radius_m: float = 250.0,
    outcome_window_months: int = 6,
) -> PerformanceReport:
    """Compute the framework for ``start``..``end`` (inclusive) and ``districts`` (all if None)."""
    with Session(engine) as session:
        hotspots = pd.DataFrame(
            session.execute(
                select(Hotspot.id, Hotspot.first_seen_at, Hotspot.districts, Hotspot.status)
            ).all(),
            columns=["id", "first_seen_at", "districts", "status"],
        )
        changes = pd.DataFrame(
            session.execute(
                select(
                    HotspotStatusChange.hotspot_id,
                    HotspotStatusChange.at,
                    HotspotStatusChange.to_status,
                )
            ).all(),
            columns=["hotspot_id", "at", "to_status"],
        )
        assessments = pd.DataFrame(
            session.execute(
                select(
                    Assessment.id,
                    Assessment.site_id,
                    Assessment.status,
                    Assessment.submitted_at,
                    Assessment.assessed_on,
                    Assessment.next_review_on,
                    Site.district_code,
                ).join(Site, Site.id == Assessment.site_id)
            ).all(),
            columns=[
                "id",
                "site_id",
                "status",
                "submitted_at",
                "assessed_on",
                "next_review_on",
                "district_code",
            ],
        )
        actions = pd.DataFrame(
            session.execute(
                select(
                    Action.id,
                    Action.agency,
                    Action.status,
                    Action.due_on,
                    Action.completed_on,
                    Site.district_code,
                )
                .join(Assessment, Assessment.id == Action.assessment_id)
                .join(Site, Site.id == Assessment.site_id)
            ).all(),
            columns=["id", "agency", "status", "due_on", "completed_on", "district_code"],
        )

    def scoped_hotspots(frame: pd.DataFrame) -> pd.DataFrame:
        if not districts:
            return frame
        return frame[frame["districts"].apply(lambda ds: bool(set(ds or []) & set(districts)))]

    hotspots = scoped_hotspots(hotspots)
    if districts:
        assessments = assessments[assessments["district_code"].isin(districts)]
        actions = actions[actions["district_code"].isin(districts)]
    changes = changes[changes["hotspot_id"].isin(hotspots["id"])]

    identified = hotspots[_in(hotspots["first_seen_at"], start, end)]
    to_assessed = changes[(changes["to_status"] == "assessed") & _in(changes["at"], start, end)]
    to_closed = changes[(changes["to_status"] == "closed") & _in(changes["at"], start, end)]
    completed = assessments[
        assessments["submitted_at"].notna() & _in(assessments["submitted_at"], start, end)
    ]

    # On time: a repeat assessment by the previous one's review date; a first one within
    # ON_TIME_DAYS of its hotspot being set to "assessment requested" (else no deadline).
    ordered = assessments.sort_values(["site_id", "assessed_on"])
    ordered["previous_review"] = ordered.groupby("site_id")["next_review_on"].shift()
    completed = completed.join(ordered.set_index("id")["previous_review"], on="id")
    deadline_known = completed["previous_review"].notna()
    on_time = deadline_known & (
        pd.to_datetime(completed["assessed_on"]) <= pd.to_datetime(completed["previous_review"])
    )

    # Median days from identification to the first completed assessment of a site inside.
    coverage = hotspot_coverage(engine, active_only=False, today=end)
    firsts = (
        assessments[assessments["submitted_at"].notna()].groupby("site_id")["assessed_on"].min()
    )
    delays = []
    for row in coverage.itertuples():
        if row.id not in set(hotspots["id"]) or not row.site_ids:
            continue
        first_seen = pd.Timestamp(hotspots.set_index("id").loc[row.id, "first_seen_at"])
        dates = [pd.Timestamp(firsts[s]) for s in row.site_ids if s in firsts.index]
        after = [d for d in dates if d >= first_seen.tz_localize(None).normalize()]
        if after:
            delays.append((min(after) - first_seen.tz_localize(None).normalize()).days)
    median_days = float(pd.Series(delays).median()) if delays else None

    actions_done = actions[(actions["status"] == "done") & _in(actions["completed_on"], start, end)]
    is_open = actions["status"].isin(["open", "in progress"])
    late_open = actions[is_open & (pd.to_datetime(actions["due_on"]) < pd.Timestamp(end))]
    done_late = actions_done[
        pd.to_datetime(actions_done["completed_on"]) > pd.to_datetime(actions_done["due_on"])
    ]
    by_agency = (
        pd.DataFrame(
            {
                "completed": actions_done.groupby("agency").size(),
                "completed late": done_late.groupby("agency").size(),
                "open and late": late_open.groupby("agency").size(),
            }
        )
        .fillna(0)
        .astype(int)
        .sort_values("open and late", ascending=False)
    )

    headline = pd.DataFrame(
        [
            ("Hotspots identified", len(identified)),
            ("Hotspots assessed", to_assessed["hotspot_id"].nunique()),
            ("Hotspots closed", to_closed["hotspot_id"].nunique()),
            ("Assessments completed", len(completed)),
            ("Assessments with a deadline", int(deadline_known.sum())),
            ("Assessments on time", int(on_time.sum())),
            ("Actions completed", len(actions_done)),
            ("Actions open and late", len(late_open)),
            ("Median days from hotspot to assessment", median_days),
        ],
        columns=["measure", "value"],
    )
    repeats = repeat_locations(engine, start=start, end=end, districts=districts)
    overall = repeats.iloc[-1]
    headline = pd.concat(
        [
            headline,
            pd.DataFrame(
                {
                    "measure": list(REPEAT_MEASURES),
                    "value": [int(overall["places"]), int(overall["recurred"]), overall["rate"]],
                }
            ),
        ],
        ignore_index=True,
    )

    by_district = (
        pd.DataFrame(
            {
                "assessments completed": completed.groupby("district_code").size(),
                "actions completed": actions_done.groupby("district_code").size(),
                "actions open and late": late_open.groupby("district_code").size(),
            }
        )
        .fillna(0)
        .astype(int)
    )
    by_district.index.name = "district"

    per_site, per_district = outcomes_for_sites(
        engine, radius_m=outcome_radius_m, window_months=outcome_window_months
    )
    if districts and not per_site.empty:
        per_site = per_site[per_site["district_code"].isin(districts)]
        per_district = per_district[per_district["district_code"].isin(districts)]
    return PerformanceReport(
        start=start,
        end=end,
        districts=list(districts or []),
        headline=headline,
        by_district=by_district.reset_index(),
        actions_by_agency=by_agency.reset_index(names="agency"),
        outcomes_by_site=per_site,
        outcomes_by_district=per_district,
        repeat_locations=repeats,
    )


def shown_headline(headline: pd.DataFrame) -> pd.DataFrame:
    """Return the headline as shown (``measure``, ``shown`` text), the same on page and CLI.

    Hotspots, assessments and actions are workflow figures, not counts of incidents or people:
    shown exactly, as on the Coverage page (only incident and episode counts go through
    disclosure control). The median and the repeat-location rate are shown as they are.
    """
    rate_or_days = headline["measure"].isin(
        ["Median days from hotspot to assessment", REPEAT_MEASURES[2]]
    )
    shown = [
        ("-" if value is None or pd.isna(value) else str(value))
        if keep
        else ("-" if value is None or pd.isna(value) else f"{int(value):,}")
        for value, keep in zip(headline["value"], rate_or_days, strict=True)
    ]
    return pd.DataFrame({"measure": headline["measure"].to_numpy(), "shown": shown})
