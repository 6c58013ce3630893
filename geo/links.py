"""Links between missing episodes and exploitation: co-location and a month-lagged comparison.

**Co-location quotient** (Leslie & Kronenfeld 2011, "The colocation quotient: a new measure of
spatial association between categorical subsets of points", *Geographical Analysis* 43): over
all points (episode locations, exploitation-flagged incidents and other incidents),

    CLQ(A→B) = (C(A→B) / N_A) / (N_B / (N − 1))

where C(A→B) counts the A points whose nearest neighbour is a B point (a point with several
nearest neighbours at the same distance counts each of them by 1/ties). 1 means A points have B
neighbours as often as the mix of all points would give; above 1, more often. Here A are the
missing-from and found-at points of missing episodes and B the exploitation-flagged incidents.
For an area (a resolution-7 cell, or the resolution-7 cells a hotspot touches) the numerator
runs over the A points in the area and the denominator stays the whole population's, so each
area's quotient is the mean of the local indicator of its A points.

**Permutation test** (Leslie & Kronenfeld's Monte Carlo test): the locations stay fixed and the
labels are shuffled among all points ``permutations`` times; the one-sided p-value of an area
is (1 + the shuffles giving a quotient at least the observed) / (1 + shuffles).

**Month-lagged comparison**: for each place, the Spearman rank correlation between the monthly
count of missing episodes in month *t* and of exploitation incidents in month *t + L*, for lags
L = 0 … ``max_lag`` months, over the months both are observed (months with neither count 0). The
episodes are said to *lead* when the best correlation is at a lag of one month or more, is at
least ``min_r`` and beats the lag-0 correlation, with at least ``min_months`` paired months. A
correlation, not a cause: it says where to look, not why.

Pure: frames in, frames out. Nothing here is finer than the areas the caller passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from pyproj import Transformer
from sklearn.neighbors import KDTree

from geo.disclosure import DisclosureProfile, protect_counts

__all__ = [
    "EPISODE",
    "EXPLOITATION",
    "EXPLOITATION_CATEGORIES",
    "EXPLOITATION_FLAGS",
    "LAG_METHOD",
    "OTHER",
    "colocation_quotients",
    "is_exploitation",
    "lagged_comparison",
    "lead_in_words",
    "protect_links",
    "to_metres",
]

EPISODE: Final = 1
EXPLOITATION: Final = 2
OTHER: Final = 0

LAG_METHOD: Final = (
    "Spearman rank correlation of monthly missing episodes (month t) with exploitation "
    "incidents (month t + lag), lags 0 to 3 months; episodes 'lead' when the best correlation "
    "is at a lag of 1 month or more, at least 0.3, above the same-month correlation, over 12 or "
    "more months. A correlation, not a cause."
)

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


def to_metres(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to British National Grid metres (x, y), vectorised."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def _nearest(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest neighbours (itself excluded) and their weights (1/ties).

    Up to ``k`` neighbours tied at the smallest distance are kept (coincident points, as on
    police.uk's snapped map points, tie at distance 0).
    """
    points = np.column_stack([x, y])
    n = len(points)
    kk = min(k + 1, n)
    dist, idx = KDTree(points).query(points, k=kk)
    own = idx == np.arange(n)[:, None]
    # a point coincident with others may not come back first: drop itself wherever it is
    dist = np.where(own, np.inf, dist)
    if not own.any(axis=1).all():  # more than k coincident points: drop the last column
        dist[~own.any(axis=1), -1] = np.inf
    nearest = dist.min(axis=1, keepdims=True)
    ties = dist <= nearest + 1e-9
    weights = ties / ties.sum(axis=1, keepdims=True)
    return idx, weights


def colocation_quotients(
    points: pd.DataFrame,
    *,
    groups: Mapping[Any, Iterable[Any]] | None = None,
    permutations: int = 99,
    k: int = 8,
    seed: int = 0,
) -> pd.DataFrame:
    """Co-location quotient of episode points with exploitation incidents, per area.

    Parameters
    ----------
    points
        One row per point: ``x`` and ``y`` in metres, ``label`` (:data:`EPISODE`,
        :data:`EXPLOITATION` or :data:`OTHER`) and ``area`` (e.g. a resolution-7 cell).
    groups
        Places made of areas (e.g. a hotspot → the resolution-7 cells it touches); default:
        each area on its own. The key ``"all"`` is added: every point.
    permutations
        Label shuffles for the p-value (0: no test).
    k
        Most nearest neighbours tied at the same distance that are counted.
    seed
        Seed of the shuffles.

    Returns
    -------
    pandas.DataFrame
        Indexed by place: ``episodes`` and ``exploitation`` (raw counts in the place: protect
        them before showing), ``clq`` (missing when the place has no episode point) and
        ``p_value`` (missing without a test or without episodes).

    Examples
    --------
    >>> pts = pd.DataFrame({"x": [0.0, 1, 3, 10, 11, 13], "y": 0.0,
    ...                     "label": [1, 2, 0, 1, 0, 2], "area": ["w", "w", "w", "e", "e", "e"]})
    >>> colocation_quotients(pts, permutations=0)["clq"].round(3).to_dict()
    {'e': 0.0, 'w': 2.5, 'all': 1.25}
    """
    labels = points["label"].to_numpy()
    n = len(points)
    codes, areas = pd.factorize(points["area"], sort=True)
    if groups is None:
        members: dict[object, np.ndarray] = {a: np.array([i]) for i, a in enumerate(areas)}
    else:
        lookup = {a: i for i, a in enumerate(areas)}
        members = {
            g: np.array([lookup[c] for c in cells if c in lookup], dtype=np.int64)
            for g, cells in groups.items()
        }
    members["all"] = np.arange(len(areas))
    keys = list(members)
    index = pd.Index(keys, name="place")
    n_b = int((labels == EXPLOITATION).sum())
    if n < 2 or len(areas) == 0:
        return pd.DataFrame(
            {"episodes": 0, "exploitation": 0, "clq": np.nan, "p_value": np.nan}, index=index
        )
    idx, weights = _nearest(points["x"].to_numpy(dtype=float), points["y"].to_numpy(dtype=float), k)
    ratio = n_b / (n - 1)

    def per_area(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.flatnonzero(lab == EPISODE)
        share = (weights[a] * (lab[idx[a]] == EXPLOITATION)).sum(axis=1)
        total = np.bincount(codes[a], weights=share, minlength=len(areas))
        count = np.bincount(codes[a], minlength=len(areas))
        return total, count

    def per_place(total: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sums = np.array([total[m].sum() for m in members.values()])
        counts = np.array([count[m].sum() for m in members.values()])
        with np.errstate(invalid="ignore", divide="ignore"):
            clq = np.where(counts > 0, sums / counts / ratio if ratio else np.nan, np.nan)
        return clq, counts

    clq, n_a = per_place(*per_area(labels))
    n_b_area = np.bincount(codes[labels == EXPLOITATION], minlength=len(areas))
    exploitation = np.array([n_b_area[m].sum() for m in members.values()])
    p_value = np.full(len(keys), np.nan)
    if permutations > 0 and ratio > 0:
        rng = np.random.default_rng(seed)
        at_least = np.zeros(len(keys))
        for _ in range(permutations):
            shuffled = rng.permutation(labels)
            simulated, _ = per_place(*per_area(shuffled))
            at_least += np.nan_to_num(simulated, nan=0.0) >= clq - 1e-12
        p_value = np.where(n_a > 0, (1 + at_least) / (1 + permutations), np.nan)
    return pd.DataFrame(
        {"episodes": n_a, "exploitation": exploitation, "clq": clq, "p_value": p_value},
        index=index,
    )


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return np.nan
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return np.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def lagged_comparison(
    episodes: pd.DataFrame,
    exploitation: pd.DataFrame,
    *,
    months: pd.DatetimeIndex,
    max_lag: int = 3,
    min_r: float = 0.3,
    min_months: int = 12,
) -> pd.DataFrame:
    """Compare monthly episodes with exploitation incidents some months later, per place.

    Parameters
    ----------
    episodes, exploitation
        Counts by place and month: columns ``place``, ``month`` (month start) and ``n``.
    months
        The months observed (month starts); months without a row count 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by place: ``r_lag0`` … ``r_lag{max_lag}``, ``best_lag``, ``best_r``,
        ``months`` (paired months at the best lag) and ``episodes_lead`` (bool).

    Examples
    --------
    >>> months = pd.date_range("2024-01-01", periods=14, freq="MS")
    >>> ep = pd.DataFrame({"place": "p", "month": months, "n": [0, 5, 1, 7, 2, 9, 3, 4, 8, 1,
    ...                                                          6, 2, 0, 3]})
    >>> ex = ep.assign(month=ep["month"] + pd.DateOffset(months=1))
    >>> out = lagged_comparison(ep, ex, months=months)
    >>> int(out.loc["p", "best_lag"]), round(float(out.loc["p", "best_r"]), 2), bool(out.loc["p", "episodes_lead"])
    (1, 1.0, True)
    """  # noqa: E501
    months = pd.DatetimeIndex(months)
    places = sorted(set(episodes["place"]) | set(exploitation["place"]), key=str)

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        wide = frame.pivot_table(index="place", columns="month", values="n", aggfunc="sum")
        return wide.reindex(index=places, columns=months).fillna(0)

    ep, ex = table(episodes).to_numpy(), table(exploitation).to_numpy()
    rows = []
    for i in range(len(places)):
        rs = []
        for lag in range(max_lag + 1):
            a = ep[i, : len(months) - lag]
            b = ex[i, lag:]
            rs.append(_spearman(a, b))
        finite = [r if r == r else -np.inf for r in rs]
        best = int(np.argmax(finite))
        paired = len(months) - best
        best_r = rs[best]
        lead = bool(
            best >= 1
            and best_r == best_r
            and best_r >= min_r
            and (rs[0] != rs[0] or best_r > rs[0])
            and paired >= min_months
        )
        rows.append(
            {
                **{f"r_lag{lag}": r for lag, r in enumerate(rs)},
                "best_lag": best if best_r == best_r else np.nan,
                "best_r": best_r,
                "months": paired,
                "episodes_lead": lead,
            }
        )
    return pd.DataFrame(rows, index=pd.Index(places, name="place"))


#: Flags that make an incident an exploitation incident, and categories that do on their own.
EXPLOITATION_FLAGS: Final = ("cse", "cce", "county_lines")
EXPLOITATION_CATEGORIES: Final = (
    "Child sexual exploitation",
    "Child criminal exploitation",
    "County lines",
)


def is_exploitation(flags: pd.Series, category: pd.Series) -> np.ndarray:
    """Whether each incident is exploitation-flagged (a flag above, or such a category).

    Examples
    --------
    >>> is_exploitation(pd.Series([",cse,", ",drugs,", ""]),
    ...                 pd.Series(["Drugs", "Drugs", "County lines"])).tolist()
    [True, False, True]
    """
    text = flags.fillna("").astype(str)
    flagged = np.zeros(len(text), dtype=bool)
    for flag in EXPLOITATION_FLAGS:
        flagged |= text.str.contains(f",{flag},", regex=False).to_numpy()
    return flagged | category.isin(EXPLOITATION_CATEGORIES).to_numpy()


def protect_links(frame: pd.DataFrame, profile: DisclosureProfile) -> pd.DataFrame:
    """Return the links as they may be shown.

    Counts are protected (with ``episodes_keysum`` and ``exploitation_keysum``, the sums of
    the record keys behind them, by the cell key method; without, rounded); the quotient and
    p-value are shown only with at least the threshold's number of episode locations in the
    place.

    Examples
    --------
    >>> f = pd.DataFrame({"episodes": [2, 30], "exploitation": [9, 40], "clq": [3.0, 1.52],
    ...                   "p_value": [0.01, 0.04]})
    >>> from geo.disclosure import INTERNAL
    >>> protect_links(f, INTERNAL).to_dict("list")["co-location quotient"]
    ['not shown (too few episodes)', '1.52']
    """

    def keys(column: str) -> pd.Series | None:
        name = f"{column}_keysum"
        return frame[name].fillna(0).astype("int64") if name in frame else None

    episodes = protect_counts(frame["episodes"].astype("int64"), profile, keys=keys("episodes"))
    enough = frame["episodes"].to_numpy() >= profile.threshold
    clq = np.where(
        enough & frame["clq"].notna().to_numpy(),
        frame["clq"].map(lambda v: f"{v:.2f}"),
        "not shown (too few episodes)",
    )
    p = np.where(
        enough & frame["p_value"].notna().to_numpy(),
        frame["p_value"].map(lambda v: f"{v:.2f}"),
        "-",
    )
    return pd.DataFrame(
        {
            "episode locations": episodes["label"].to_numpy(),
            "exploitation incidents": protect_counts(
                frame["exploitation"].astype("int64"), profile, keys=keys("exploitation")
            )["label"].to_numpy(),
            "co-location quotient": clq,
            "p-value": p,
        },
        index=frame.index,
    )


def lead_in_words(lag: pd.Series | None, episodes: int, profile: DisclosureProfile) -> str:
    """Say in one sentence what the month-lagged comparison found at a place.

    Examples
    --------
    >>> from geo.disclosure import INTERNAL
    >>> row = pd.Series({"best_lag": 2, "best_r": 0.61, "months": 22, "episodes_lead": True})
    >>> lead_in_words(row, 40, INTERNAL)[:60]
    'Missing episodes rose before exploitation incidents here: mo'
    >>> lead_in_words(row, 3, INTERNAL)
    'Too few missing episodes here to compare months.'
    """
    if lag is None or episodes < profile.threshold or pd.isna(lag.get("best_r")):
        return "Too few missing episodes here to compare months."
    best, r, months = int(lag["best_lag"]), float(lag["best_r"]), int(lag["months"])
    if bool(lag["episodes_lead"]):
        return (
            "Missing episodes rose before exploitation incidents here: months with more "
            f"episodes were followed {best} month{'s' if best > 1 else ''} later by more "
            f"exploitation incidents (Spearman r = {r:.2f} over {months} months)."
        )
    return (
        "No sign that missing episodes rise before exploitation incidents here (strongest "
        f"link at a lag of {best} month{'s' if best != 1 else ''}, Spearman r = {r:.2f})."
    )
