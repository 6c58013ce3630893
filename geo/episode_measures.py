"""Measures of missing episodes for the performance framework (pure, raw counts).

* **Return home interviews (RHI)** by month and district: notifications (episodes),
  individuals (distinct children), interviews offered, accepted, and held within 72 hours.
* **Repeat missing**: children with two or more episodes (counted by the keyed hash of their
  reference, never listed) and their share of the episodes; the districts they go missing from.
* **Re-referral rate**: the share of episodes that started within 12 months (365 days) of the
  same child's previous episode (the previous one may fall before the period).
* **Monthly trends** of every measure.

Raw counts: every figure shown goes through ``geo.disclosure``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "RE_REFERRAL_DAYS",
    "RHI_COLUMNS",
    "mark_re_referrals",
    "monthly_trends",
    "repeat_missing",
    "rhi_table",
]

#: An episode is a re-referral when it starts within this many days of the child's previous one.
RE_REFERRAL_DAYS: Final = 365
#: The RHI counts, in the order they are shown.
RHI_COLUMNS: Final = ("notifications", "individuals", "offered", "accepted", "within 72 hours")


def mark_re_referrals(episodes: pd.DataFrame) -> pd.Series:
    """Whether each episode started within 12 months of the same child's previous episode.

    Examples
    --------
    >>> eps = pd.DataFrame({"child_key": ["a", "a", "a", "b"],
    ...                     "start_date": pd.to_datetime(["2024-01-01", "2024-06-01",
    ...                                                   "2025-09-01", "2024-03-01"])})
    >>> mark_re_referrals(eps).tolist()
    [False, True, False, False]
    """
    order = episodes.sort_values(["child_key", "start_date"], kind="stable")
    previous = order.groupby("child_key")["start_date"].shift()
    gap = (order["start_date"] - previous).dt.days
    marked = gap.notna() & (gap <= RE_REFERRAL_DAYS)
    return marked.reindex(episodes.index).astype(bool)


def rhi_table(episodes: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """RHI counts grouped by ``by`` (e.g. ``["month", "district"]``).

    Examples
    --------
    >>> eps = pd.DataFrame({"district": ["A", "A", "A"], "child_key": ["x", "x", "y"],
    ...                     "rhi_offered": [True, True, False],
    ...                     "rhi_accepted": [True, False, None],
    ...                     "rhi_within_72h": [True, None, None]})
    >>> rhi_table(eps, ["district"]).to_dict("records")
    [{'district': 'A', 'notifications': 3, 'individuals': 2, 'offered': 2, 'accepted': 1, 'within 72 hours': 1}]
    """  # noqa: E501
    frame = episodes.assign(
        offered=episodes["rhi_offered"].fillna(False).astype(bool),
        accepted=episodes["rhi_accepted"].fillna(False).astype(bool),
        within=episodes["rhi_within_72h"].fillna(False).astype(bool),
    )
    grouped = frame.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "notifications": grouped.size(),
            "individuals": grouped["child_key"].nunique(),
            "offered": grouped["offered"].sum(),
            "accepted": grouped["accepted"].sum(),
            "within 72 hours": grouped["within"].sum(),
        }
    ).astype("int64")
    return out.reset_index()


def repeat_missing(episodes: pd.DataFrame) -> dict[str, int]:
    """Children with several episodes and their episodes (counts only: no one is listed).

    Examples
    --------
    >>> repeat_missing(pd.DataFrame({"child_key": ["a", "a", "b", "c", "c", "c"]}))
    {'episodes': 6, 'children': 3, 'repeat children': 2, 'episodes of repeat children': 5}
    """
    per_child = episodes.groupby("child_key").size()
    repeat = per_child[per_child >= 2]
    return {
        "episodes": len(episodes),
        "children": len(per_child),
        "repeat children": len(repeat),
        "episodes of repeat children": int(repeat.sum()),
    }


def monthly_trends(episodes: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per month: every episode measure (raw counts; rates in percent).

    ``episodes`` needs ``month``, ``child_key``, the RHI answers and ``re_referral``.
    """
    rows = []
    for month in months:
        these = episodes[episodes["month"] == month]
        rhi = rhi_table(these.assign(all=1), ["all"]) if len(these) else None
        counts = (
            rhi.iloc[0][list(RHI_COLUMNS)].astype(int).to_dict()
            if rhi is not None
            else dict.fromkeys(RHI_COLUMNS, 0)
        )
        repeat = repeat_missing(these)
        re_referrals = int(these["re_referral"].sum()) if len(these) else 0
        rows.append(
            {
                "month": month,
                **counts,
                "repeat children": repeat["repeat children"],
                "re-referrals": re_referrals,
                "re-referral rate (%)": _rate(re_referrals, len(these)),
                "accepted rate (%)": _rate(counts["accepted"], counts["offered"]),
            }
        )
    return pd.DataFrame(rows)


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else np.nan
