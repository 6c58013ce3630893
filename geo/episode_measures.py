"""Measures of missing episodes for the performance framework (pure, raw counts).

* **Return home interviews (RHI)** by month and district: notifications (episodes),
  individuals (distinct children), interviews offered, accepted, and held within 72 hours.
* **Repeat missing**: children with two or more episodes (counted by the keyed hash of their
  reference, never listed) and their share of the episodes; the districts they go missing from.
* **Re-referral rate**: the share of episodes that started within 12 months (365 days) of the
  same child's previous episode (the previous one may fall before the period).
* **Monthly trends** of every measure.

Raw counts: every figure shown goes through ``geo.disclosure``. With ``record_key`` in the
episodes, every count also gets its *key sum* (a column or entry named ``"<count> keysum"``,
:func:`keysum_name`) for the cell key method: the sum of the record keys of the episodes
counted, or, for counts of children (individuals, repeat children), the sum of each child's
``child_record_key`` (the record key of the child's first stored episode, :func:`child_keys`),
so the same set of children always gets the same noise.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "RE_REFERRAL_DAYS",
    "RHI_COLUMNS",
    "child_keys",
    "keysum_name",
    "mark_re_referrals",
    "monthly_trends",
    "repeat_missing",
    "repeat_missing_keys",
    "rhi_table",
]

#: An episode is a re-referral when it starts within this many days of the child's previous one.
RE_REFERRAL_DAYS: Final = 365
#: The RHI counts, in the order they are shown.
RHI_COLUMNS: Final = ("notifications", "individuals", "offered", "accepted", "within 72 hours")
_REPEAT_NAMES: Final = ("episodes", "children", "repeat children", "episodes of repeat children")


def keysum_name(count: str) -> str:
    """Name of the key sum that goes with the count ``count``."""
    return f"{count} keysum"


def child_keys(episodes: pd.DataFrame) -> pd.Series:
    """Each episode's child key for the cell key method: the record key of the child's first episode.

    Computed over every stored episode, it is fixed per child: a count of distinct children is
    perturbed with the sum of these, one per child, so the same children get the same noise.

    Examples
    --------
    >>> eps = pd.DataFrame({"child_key": ["a", "a", "b"], "record_key": [7, 200, 31],
    ...                     "start_date": pd.to_datetime(["2024-05-01", "2024-01-01", "2024-03-01"])})
    >>> child_keys(eps).tolist()
    [200, 200, 31]
    """  # noqa: E501
    order = episodes.sort_values(["child_key", "start_date", "record_key"], kind="stable")
    first = order.groupby("child_key")["record_key"].first()
    return episodes["child_key"].map(first).astype("int64")


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
    if "record_key" in frame:
        frame = _with_child_keys(frame)
        key = frame["record_key"].astype("int64")
        keyed = frame.assign(
            k_all=key,
            k_offered=key.where(frame["offered"], 0),
            k_accepted=key.where(frame["accepted"], 0),
            k_within=key.where(frame["within"], 0),
        ).groupby(by, dropna=False)
        children = (
            frame.drop_duplicates([*by, "child_key"])
            .groupby(by, dropna=False)["child_record_key"]
            .sum()
        )
        for name, column in (
            ("notifications", "k_all"),
            ("offered", "k_offered"),
            ("accepted", "k_accepted"),
            ("within 72 hours", "k_within"),
        ):
            out[keysum_name(name)] = keyed[column].sum().astype("int64")
        out[keysum_name("individuals")] = children.reindex(out.index).astype("int64")
    return out.reset_index()


def _with_child_keys(episodes: pd.DataFrame) -> pd.DataFrame:
    """Return ``episodes`` with ``child_record_key``, computed here if the caller has not.

    Then it is only as fixed as the frame given: ``episode_report`` computes it over every
    stored episode.
    """
    if "child_record_key" in episodes:
        return episodes
    return episodes.assign(child_record_key=child_keys(episodes))


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


def repeat_missing_keys(episodes: pd.DataFrame) -> dict[str, int]:
    """Return the key sums of :func:`repeat_missing`'s counts (``record_key`` needed).

    Episodes sum their record keys; children sum their ``child_record_key`` (one per child).
    """
    if episodes.empty:
        return {keysum_name(n): 0 for n in _REPEAT_NAMES}
    frame = _with_child_keys(episodes)
    per_child = frame.groupby("child_key").agg(
        n=("record_key", "size"), keys=("record_key", "sum"), child=("child_record_key", "first")
    )
    repeat = per_child[per_child["n"] >= 2]
    return {
        keysum_name("episodes"): int(per_child["keys"].sum()),
        keysum_name("children"): int(per_child["child"].sum()),
        keysum_name("repeat children"): int(repeat["child"].sum()),
        keysum_name("episodes of repeat children"): int(repeat["keys"].sum()),
    }


def monthly_trends(episodes: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per month: every episode measure (raw counts; rates in percent).

    ``episodes`` needs ``month``, ``child_key``, the RHI answers and ``re_referral``; with
    ``record_key`` (and ``child_record_key``) each count also gets its key sum.
    """
    keyed = "record_key" in episodes
    rows = []
    for month in months:
        these = episodes[episodes["month"] == month]
        rhi = rhi_table(these.assign(all=1), ["all"]) if len(these) else None
        names = [*RHI_COLUMNS, *(keysum_name(c) for c in RHI_COLUMNS if keyed)]
        counts = (
            rhi.iloc[0][names].astype(int).to_dict() if rhi is not None else dict.fromkeys(names, 0)
        )
        repeat = repeat_missing(these)
        re_referrals = int(these["re_referral"].sum()) if len(these) else 0
        row = {
            "month": month,
            **counts,
            "repeat children": repeat["repeat children"],
            "re-referrals": re_referrals,
            "re-referral rate (%)": _rate(re_referrals, len(these)),
            "accepted rate (%)": _rate(counts["accepted"], counts["offered"]),
        }
        if keyed:
            name = keysum_name("repeat children")
            row[name] = repeat_missing_keys(these)[name]
            row[keysum_name("re-referrals")] = (
                int(these.loc[these["re_referral"].astype(bool), "record_key"].sum())
                if len(these)
                else 0
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else np.nan
