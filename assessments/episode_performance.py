"""Missing episodes in the performance framework: RHI, repeat missing, re-referrals, trends.

:func:`episode_report` gathers the raw figures for a period and districts;
:func:`shown_episode_report` protects them (``geo.disclosure``): what the Performance page,
its XLSX export and ``saferplaces performance --json`` show. Every count is perturbed by the
cell key method with its key sum (episodes: the sum of their record keys; children: the sum of
each child's first episode's record key, see ``geo.episode_measures``), so asking about
overlapping periods or districts does not average the noise away. A rate is shown only when its
denominator reaches the threshold and its numerator is not itself hidden, and it is worked out
from the two counts as shown (perturbed), never from the true ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from assessments.episodes import load_episodes
from assessments.models import Hotspot
from geo.disclosure import DisclosureProfile, protect_counts, protected_rate
from geo.episode_measures import (
    RHI_COLUMNS,
    child_keys,
    keysum_name,
    mark_re_referrals,
    monthly_trends,
    repeat_missing,
    repeat_missing_keys,
    rhi_table,
)
from geo.profiles import ordered_profile

__all__ = ["EpisodeReport", "episode_report", "shown_episode_report", "workflow_trends"]


@dataclass
class EpisodeReport:
    """Raw episode figures for one period and set of districts (protect before showing).

    ``keys`` holds the key sum of each of ``counts`` (``"<count> keysum"``); the frames carry
    their key sums as columns of that name. Key sums are never shown.
    """

    counts: dict[str, int]
    rhi_by_month_district: pd.DataFrame
    monthly: pd.DataFrame
    repeat_by_district: pd.DataFrame
    age_profile: pd.Series
    keys: dict[str, int] = field(default_factory=dict)
    #: The key sums of ``age_profile`` (missing where a place's keys were not kept: rounded).
    age_keys: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))


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
    everything["child_record_key"] = (
        child_keys(everything) if len(everything) else pd.Series(dtype="int64")
    )
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
    rhi_keys = [keysum_name(c) for c in RHI_COLUMNS]
    keys = {
        **repeat_missing_keys(episodes),
        **(
            rhi_all.iloc[0][rhi_keys].astype(int).to_dict()
            if rhi_all is not None
            else dict.fromkeys(rhi_keys, 0)
        ),
        keysum_name("re-referrals"): int(
            episodes.loc[episodes["re_referral"].astype(bool), "record_key"].sum()
        ),
    }
    months = pd.date_range(first, last, freq="MS")
    by_month_district = (
        rhi_table(episodes, ["month", "district"])
        if len(episodes)
        else pd.DataFrame(
            columns=["month", "district", *RHI_COLUMNS, *(keysum_name(c) for c in RHI_COLUMNS)]
        )
    )
    per_child = episodes.groupby("child_key").size()
    repeaters = episodes[episodes["child_key"].isin(per_child[per_child >= 2].index)]
    repeat_by_district = (
        repeaters.groupby("district")
        .agg(**{"repeat children": ("child_key", "nunique"), "episodes": ("child_key", "size")})
        .join(
            repeaters.groupby("district")
            .agg(**{keysum_name("episodes"): ("record_key", "sum")})
            .join(
                repeaters.drop_duplicates(["district", "child_key"])
                .groupby("district")
                .agg(**{keysum_name("repeat children"): ("child_record_key", "sum")})
            )
        )
        .reset_index()
    )
    ages, age_keys = _hotspot_ages(engine, districts)
    return EpisodeReport(
        counts=counts,
        rhi_by_month_district=by_month_district,
        monthly=monthly_trends(episodes, months),
        repeat_by_district=repeat_by_district,
        age_profile=ages,
        age_keys=age_keys,
        keys=keys,
    )


def _hotspot_ages(engine: Engine, districts: list[str] | None) -> tuple[pd.Series, pd.Series]:
    """Return incidents in active hotspots by age band, summed over the places' profiles.

    And the key sums of those counts (missing for a band where some place kept no keys).
    """
    total: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    unkeyed: set[str] = set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Hotspot.profiles, Hotspot.key_sums, Hotspot.districts).where(
                Hotspot.is_active.is_(True)
            )
        ).all()
    for profiles, sums, where in rows:
        if districts and not set(where or []) & set(districts):
            continue
        ages = (profiles or {}).get("age_band", {})
        age_keys = ((sums or {}).get("profiles") or {}).get("age_band") or {}
        total.update({k: int(v) for k, v in ages.items()})
        for band in ages:
            if band in age_keys:
                keys[band] += int(age_keys[band])
            else:
                unkeyed.add(band)
    if not total:
        return pd.Series(dtype="int64"), pd.Series(dtype="float64")
    counts = ordered_profile("age_band", total)
    key_sums = pd.Series(
        [np.nan if band in unkeyed else float(keys[band]) for band in counts.index],
        index=counts.index,
        dtype="float64",
    )
    return counts, key_sums


def _labels(
    values: pd.Series, profile: DisclosureProfile, keys: pd.Series | None = None
) -> np.ndarray:
    """Protected labels; with ``keys`` (key sums) by the cell key method, else rounded."""
    if keys is not None:
        keys = pd.Series(np.asarray(keys), index=values.index).fillna(0).astype("int64")
    return protect_counts(values.fillna(0).astype("int64"), profile, keys=keys)["label"].to_numpy()


def _keyed_labels(frame: pd.DataFrame, column: str, profile: DisclosureProfile) -> np.ndarray:
    """Labels of ``frame[column]`` with its key sum column (every episode count has one)."""
    return _labels(frame[column], profile, frame[keysum_name(column)])


def shown_episode_report(report: EpisodeReport, profile: DisclosureProfile) -> dict[str, Any]:
    """Protect every figure of ``report``: frames of text, ready to show or export.

    Headline rows, monthly trends (and a chart frame of protected counts), RHI by month and
    district, repeat missing by district, and the age profile of incidents in hotspots.
    """
    c, k = report.counts, report.keys

    def keyed(*names: str) -> np.ndarray:
        return _labels(
            pd.Series([c[n] for n in names]), profile, pd.Series([k[keysum_name(n)] for n in names])
        )

    def rate(part: str, whole: str) -> str:
        return protected_rate(
            c[part],
            c[whole],
            profile,
            part_key=k[keysum_name(part)],
            whole_key=k[keysum_name(whole)],
        )

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
                *keyed("notifications", "individuals", "repeat children"),
                rate("episodes of repeat children", "episodes"),
                *keyed("offered", "accepted", "within 72 hours"),
                rate("accepted", "offered"),
                *keyed("re-referrals"),
                rate("re-referrals", "episodes"),
            ],
        }
    )
    monthly = report.monthly.copy()
    count_columns = [*RHI_COLUMNS, "repeat children", "re-referrals"]
    shown_monthly = pd.DataFrame(
        {"month": monthly["month"].dt.strftime("%b %Y") if len(monthly) else []}
    )
    for column in count_columns:
        shown_monthly[column] = _keyed_labels(monthly, column, profile) if len(monthly) else []

    def monthly_rates(part: str, whole: str) -> list[str]:
        if not len(monthly):
            return []
        return [
            protected_rate(int(p), int(w), profile, part_key=int(pk), whole_key=int(wk))
            for p, w, pk, wk in zip(
                monthly[part],
                monthly[whole],
                monthly[keysum_name(part)],
                monthly[keysum_name(whole)],
                strict=True,
            )
        ]

    shown_monthly["re-referral rate"] = monthly_rates("re-referrals", "notifications")
    shown_monthly["accepted, of offered"] = monthly_rates("accepted", "offered")
    charted = ["notifications", "offered", "accepted", "within 72 hours"]
    chart = (
        pd.DataFrame(
            {
                column: protect_counts(
                    monthly[column].astype("int64"),
                    profile,
                    keys=monthly[keysum_name(column)].astype("int64"),
                )["count"].to_numpy()
                for column in charted
            },
            index=pd.DatetimeIndex(monthly["month"], name="month"),
        ).astype(float)
        if len(monthly)
        else pd.DataFrame()
    )
    rhi = report.rhi_by_month_district.copy()
    if len(rhi):
        rhi["month"] = pd.to_datetime(rhi["month"]).dt.strftime("%b %Y")
        for column in RHI_COLUMNS:
            rhi[column] = _keyed_labels(rhi, column, profile)
    rhi = rhi.drop(columns=[keysum_name(c) for c in RHI_COLUMNS])
    repeat = report.repeat_by_district.copy()
    for column in ("repeat children", "episodes"):
        repeat[column] = _keyed_labels(repeat, column, profile)
    repeat = repeat.drop(columns=[keysum_name(c) for c in ("repeat children", "episodes")])
    ages = report.age_profile
    age_table = pd.DataFrame(
        {
            "age band": ages.index.astype(str),
            "incidents in hotspots": protect_counts(
                ages.astype("int64"), profile, keys=report.age_keys.reindex(ages.index)
            )["label"].to_numpy(),
        }
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
