"""Missing episodes in the performance framework: RHI, repeat missing, re-referrals, trends.

:func:`episode_report` gathers the raw figures for a period and districts;
:func:`shown_episode_report` protects them (``geo.disclosure``): what the Performance page,
its XLSX export and ``saferplaces performance --json`` show. A rate is shown only when its
denominator reaches the threshold and its numerator is not itself hidden.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from assessments.episodes import load_episodes
from assessments.models import Hotspot
from geo.disclosure import DisclosureProfile, protect_counts
from geo.episode_measures import (
    RHI_COLUMNS,
    mark_re_referrals,
    monthly_trends,
    repeat_missing,
    rhi_table,
)
from geo.profiles import ordered_profile

__all__ = ["EpisodeReport", "episode_report", "shown_episode_report", "workflow_trends"]


@dataclass
class EpisodeReport:
    """Raw episode figures for one period and set of districts (protect before showing)."""

    counts: dict[str, int]
    rhi_by_month_district: pd.DataFrame
    monthly: pd.DataFrame
    repeat_by_district: pd.DataFrame
    age_profile: pd.Series


def _district(episodes: pd.DataFrame) -> pd.Series:
    return episodes["from_district"].fillna(episodes["found_district"]).fillna("unknown")


def episode_report(
    engine: Engine, *, start: dt.date, end: dt.date, districts: list[str] | None = None
) -> EpisodeReport:
    """Compute the episode measures for ``start``..``end`` (by start month) and ``districts``."""
    everything = load_episodes(engine)
    everything["re_referral"] = (
        mark_re_referrals(everything) if len(everything) else pd.Series(dtype=bool)
    )
    everything["district"] = _district(everything) if len(everything) else pd.Series(dtype=str)
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    last = pd.Timestamp(end).to_period("M").to_timestamp()
    episodes = everything[(everything["month"] >= first) & (everything["month"] <= last)]
    if districts:
        episodes = episodes[
            episodes["from_district"].isin(districts) | episodes["found_district"].isin(districts)
        ]
    repeat = repeat_missing(episodes)
    rhi_all = rhi_table(episodes.assign(all=1), ["all"]) if len(episodes) else None
    counts = {
        **repeat,
        **(
            rhi_all.iloc[0][list(RHI_COLUMNS)].astype(int).to_dict()
            if rhi_all is not None
            else dict.fromkeys(RHI_COLUMNS, 0)
        ),
        "re-referrals": int(episodes["re_referral"].sum()),
    }
    months = pd.date_range(first, last, freq="MS")
    by_month_district = (
        rhi_table(episodes, ["month", "district"])
        if len(episodes)
        else pd.DataFrame(columns=["month", "district", *RHI_COLUMNS])
    )
    per_child = episodes.groupby("child_key").size()
    repeaters = episodes[episodes["child_key"].isin(per_child[per_child >= 2].index)]
    repeat_by_district = (
        repeaters.groupby("district")
        .agg(**{"repeat children": ("child_key", "nunique"), "episodes": ("child_key", "size")})
        .reset_index()
    )
    return EpisodeReport(
        counts=counts,
        rhi_by_month_district=by_month_district,
        monthly=monthly_trends(episodes, months),
        repeat_by_district=repeat_by_district,
        age_profile=_hotspot_ages(engine, districts),
    )


def _hotspot_ages(engine: Engine, districts: list[str] | None) -> pd.Series:
    """Incidents in active hotspots by age band (summed over the places' profiles)."""
    total: Counter[str] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Hotspot.profiles, Hotspot.districts).where(Hotspot.is_active.is_(True))
        ).all()
    for profiles, where in rows:
        if districts and not set(where or []) & set(districts):
            continue
        total.update({k: int(v) for k, v in (profiles or {}).get("age_band", {}).items()})
    return ordered_profile("age_band", total) if total else pd.Series(dtype="int64")


def _rate(part: int, whole: int, profile: DisclosureProfile) -> str:
    if whole < profile.threshold or 0 < part < profile.threshold:
        return profile.suppressed_label if whole else profile.not_applicable
    return f"{100.0 * part / whole:.1f}%"


def _labels(values: pd.Series, profile: DisclosureProfile) -> np.ndarray:
    return protect_counts(values.fillna(0).astype("int64"), profile)["label"].to_numpy()


def shown_episode_report(report: EpisodeReport, profile: DisclosureProfile) -> dict[str, Any]:
    """Protect every figure of ``report``: frames of text, ready to show or export.

    Headline rows, monthly trends (and a chart frame of protected counts), RHI by month and
    district, repeat missing by district, and the age profile of incidents in hotspots.
    """
    c = report.counts
    headline = pd.DataFrame(
        {
            "measure": [
                "Missing episodes (notifications)",
                "Children (individuals)",
                "Children with two or more episodes",
                "Share of episodes by those children",
                "Return home interviews offered",
                "Return home interviews accepted",
                "Accepted within 72 hours",
                "Accepted, of offered",
                "Re-referrals (within 12 months of the previous episode)",
                "Re-referral rate",
            ],
            "shown": [
                *_labels(
                    pd.Series([c["episodes"], c["individuals"], c["repeat children"]]), profile
                ),
                _rate(c["episodes of repeat children"], c["episodes"], profile),
                *_labels(pd.Series([c["offered"], c["accepted"], c["within 72 hours"]]), profile),
                _rate(c["accepted"], c["offered"], profile),
                *_labels(pd.Series([c["re-referrals"]]), profile),
                _rate(c["re-referrals"], c["episodes"], profile),
            ],
        }
    )
    monthly = report.monthly.copy()
    count_columns = [*RHI_COLUMNS, "repeat children", "re-referrals"]
    shown_monthly = pd.DataFrame(
        {"month": monthly["month"].dt.strftime("%b %Y") if len(monthly) else []}
    )
    for column in count_columns:
        shown_monthly[column] = _labels(monthly[column], profile) if len(monthly) else []
    shown_monthly["re-referral rate"] = [
        _rate(int(p), int(w), profile)
        for p, w in zip(
            monthly.get("re-referrals", []), monthly.get("notifications", []), strict=True
        )
    ]
    shown_monthly["accepted, of offered"] = [
        _rate(int(p), int(w), profile)
        for p, w in zip(monthly.get("accepted", []), monthly.get("offered", []), strict=True)
    ]
    chart = (
        monthly.set_index("month")[["notifications", "offered", "accepted", "within 72 hours"]]
        .apply(lambda col: protect_counts(col.astype("int64"), profile)["count"])
        .astype(float)
        if len(monthly)
        else pd.DataFrame()
    )
    rhi = report.rhi_by_month_district.copy()
    if len(rhi):
        rhi["month"] = pd.to_datetime(rhi["month"]).dt.strftime("%b %Y")
        for column in RHI_COLUMNS:
            rhi[column] = _labels(rhi[column], profile)
    repeat = report.repeat_by_district.copy()
    for column in ("repeat children", "episodes"):
        if column in repeat:
            repeat[column] = _labels(repeat[column], profile)
    ages = report.age_profile
    age_table = pd.DataFrame(
        {"age band": ages.index.astype(str), "incidents in hotspots": _labels(ages, profile)}
    )
    return {
        "headline": headline,
        "monthly": shown_monthly,
        "chart": chart,
        "rhi by month and district": rhi,
        "repeat missing by district": repeat,
        "ages in hotspots": age_table,
    }


def workflow_trends(
    engine: Engine, *, start: dt.date, end: dt.date, districts: list[str] | None = None
) -> pd.DataFrame:
    """Return the workflow measures month by month (raw counts).

    Hotspots identified, assessed and closed, assessments completed and actions completed, as
    the Performance page counts them over the whole period.
    """
    from sqlalchemy.orm import Session

    from assessments.models import Action, Assessment, HotspotStatusChange, Site

    with Session(engine) as session:
        hotspots = pd.DataFrame(
            session.execute(select(Hotspot.id, Hotspot.first_seen_at, Hotspot.districts)).all(),
            columns=["id", "at", "districts"],
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
                select(Assessment.submitted_at, Site.district_code).join(
                    Site, Site.id == Assessment.site_id
                )
            ).all(),
            columns=["at", "district_code"],
        )
        actions = pd.DataFrame(
            session.execute(
                select(Action.completed_on, Action.status, Site.district_code)
                .join(Assessment, Assessment.id == Action.assessment_id)
                .join(Site, Site.id == Assessment.site_id)
            ).all(),
            columns=["at", "status", "district_code"],
        )
    if districts:
        wanted = set(districts)
        hotspots = hotspots[hotspots["districts"].map(lambda d: bool(set(d or []) & wanted))]
        assessments = assessments[assessments["district_code"].isin(wanted)]
        actions = actions[actions["district_code"].isin(wanted)]
    changes = changes[changes["hotspot_id"].isin(hotspots["id"])]
    months = pd.date_range(
        pd.Timestamp(start).to_period("M").to_timestamp(),
        pd.Timestamp(end).to_period("M").to_timestamp(),
        freq="MS",
    )

    def monthly(at: pd.Series) -> pd.Series:
        stamps = pd.to_datetime(at, utc=True).dt.tz_localize(None).dropna()
        counts = stamps.dt.to_period("M").dt.to_timestamp().value_counts()
        return counts.reindex(months, fill_value=0).astype("int64")

    def status(name: str) -> pd.Series:
        chosen = changes[changes["to_status"] == name].drop_duplicates("hotspot_id")
        return monthly(chosen["at"])

    done = actions[actions["status"] == "done"]
    return pd.DataFrame(
        {
            "hotspots identified": monthly(hotspots["at"]),
            "hotspots assessed": status("assessed"),
            "hotspots closed": status("closed"),
            "assessments completed": monthly(assessments["at"]),
            "actions completed": monthly(done["at"]),
        },
        index=months,
    ).rename_axis("month")
