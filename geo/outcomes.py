"""Outcomes: how incidents around assessed sites changed, against the rest of their district.

A difference-in-differences on counts: for each site, incidents within a radius in equal windows
of whole months before and after a start month (the assessment, or the completion of its
actions), against the same change in the rest of the site's district. The effect is the ratio of
the two rate ratios, with a 95% confidence interval from the Poisson (log) approximation.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

__all__ = ["CAVEAT", "district_outcomes", "site_outcomes"]

#: The plain-English caveat shown with every outcome figure.
CAVEAT: Final[str] = (
    "Before-and-after figures show what changed, not why. Other things change at the same time "
    "(seasons, policing, how incidents are reported), so the comparison with the rest of the "
    "district only removes changes that happened everywhere. Small numbers make the figure "
    "unreliable: the interval is the range the data are consistent with, and an interval that "
    "includes 1.0 means no clear change."
)

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
_Z95: Final[float] = 1.959963984540054


def _month_index(values: pd.Series) -> np.ndarray:
    months = pd.to_datetime(values).dt.to_period("M")
    return (months.dt.year * 12 + months.dt.month - 1).to_numpy(dtype=np.int64)


def _ratio(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    """Ratio of rate ratios (a/b)/(c/d) with a 95% CI; 0.5 added to every cell of a zero row."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    aa, bb, cc, dd = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
    log_ratio = np.log(aa / bb) - np.log(cc / dd)
    se = np.sqrt(1 / aa + 1 / bb + 1 / cc + 1 / dd)
    return pd.DataFrame(
        {
            "effect": np.exp(log_ratio),
            "ci_low": np.exp(log_ratio - _Z95 * se),
            "ci_high": np.exp(log_ratio + _Z95 * se),
        }
    )


def site_outcomes(
    incidents: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    radius_m: float = 250.0,
    window_months: int = 6,
) -> pd.DataFrame:
    """Return before/after counts around each site and in the rest of its district.

    Parameters
    ----------
    incidents
        ``lat``, ``lon``, ``month`` (first of month) and ``district_code``.
    sites
        ``id``, ``lat``, ``lon``, ``district_code`` and ``start_month``: the month the
        assessment (or its actions) took effect. The start month itself is in neither window.
    radius_m
        Incidents within this distance of a site count as the site's.
    window_months
        Length of each window in months.

    Returns
    -------
    pandas.DataFrame
        One row per site: ``site_id``, ``site_before``, ``site_after``, ``rest_before``,
        ``rest_after``, ``effect`` (ratio of rate ratios: below 1 means the site improved more
        than its district), ``ci_low``, ``ci_high``, ``complete`` (both windows lie within the
        months the data cover). Raw counts: pass them through disclosure control before showing.
    """
    columns = [
        "site_id",
        "district_code",
        "start_month",
        "site_before",
        "site_after",
        "rest_before",
        "rest_after",
        "effect",
        "ci_low",
        "ci_high",
        "complete",
    ]
    if sites.empty:
        return pd.DataFrame(columns=columns)
    x, y = _TO_BNG.transform(incidents["lon"].to_numpy(), incidents["lat"].to_numpy())
    tree = cKDTree(np.column_stack([x, y]))
    month = _month_index(incidents["month"])
    district = incidents["district_code"].astype(object).to_numpy()
    first, last = (month.min(), month.max()) if len(month) else (0, -1)
    sx, sy = _TO_BNG.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    starts = _month_index(sites["start_month"])
    near = tree.query_ball_point(np.column_stack([sx, sy]), r=radius_m)
    rows = []
    for i, members in enumerate(near):
        start = starts[i]
        before = (month >= start - window_months) & (month < start)
        after = (month > start) & (month <= start + window_months)
        in_district = district == sites["district_code"].iloc[i]
        inside = np.zeros(len(month), dtype=bool)
        inside[np.asarray(members, dtype=np.int64)] = True
        rows.append(
            (
                sites["id"].iloc[i],
                sites["district_code"].iloc[i],
                pd.Period(ordinal=int(start) - 1970 * 12, freq="M").to_timestamp(),
                int((inside & before).sum()),
                int((inside & after).sum()),
                int((~inside & in_district & before).sum()),
                int((~inside & in_district & after).sum()),
                bool(start - window_months >= first and start + window_months <= last),
            )
        )
    out = pd.DataFrame(
        rows, columns=[c for c in columns if c not in ("effect", "ci_low", "ci_high")]
    )
    ratios = _ratio(out["site_after"], out["site_before"], out["rest_after"], out["rest_before"])
    return pd.concat([out, ratios], axis=1)[columns]


def district_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Pool :func:`site_outcomes` by district: summed counts and one effect with its interval.

    The rest-of-district counts are those of each district's sites' comparison areas, summed.
    """
    if outcomes.empty:
        return pd.DataFrame(
            columns=[
                "district_code",
                "sites",
                "site_before",
                "site_after",
                "rest_before",
                "rest_after",
                "effect",
                "ci_low",
                "ci_high",
            ]
        )
    pooled = outcomes.groupby("district_code", as_index=False).agg(
        sites=("site_id", "count"),
        site_before=("site_before", "sum"),
        site_after=("site_after", "sum"),
        rest_before=("rest_before", "sum"),
        rest_after=("rest_after", "sum"),
    )
    ratios = _ratio(
        pooled["site_after"], pooled["site_before"], pooled["rest_after"], pooled["rest_before"]
    )
    return pd.concat([pooled, ratios], axis=1)
