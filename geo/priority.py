"""A transparent priority score for the hotspot list a strategy meeting works through.

``priority = log2(1 + incidents) × trend weight × significance weight × coverage weight``, where
the trend weight is 1.5 for a significant increase, 0.7 for a significant decrease and 1.0
otherwise; the significance weight is 1.2 when part of the hotspot is a Getis-Ord Gi* hot spot
(FDR-corrected) and 1.0 otherwise; the coverage weight is 1.3 when no current assessment covers
the hotspot (unassessed or overdue), 1.1 while one is in progress and 0.8 when it is assessed.
Size matters, but with diminishing returns; a worsening, significant place or one nobody has
assessed moves up. A place a panel added by hand (``source`` "manual", named from referrals rather
than data) counts at least as much as a small hotspot of 15 incidents, so it is never at the
bottom of the list for lack of data. The formula is shown beside the
list so a meeting can see why a place is where it is.

With a disclosure ``profile`` the score takes the incidents *as shown* (``protect_counts``: a
suppressed count counts as 0), so the score gives back nothing the incidents column does not.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo.disclosure import DisclosureProfile, protect_counts

__all__ = ["FORMULA", "priority_scores"]

FORMULA: Final[str] = (
    "priority = log2(1 + incidents as shown) × trend (increasing 1.5, decreasing 0.7, else 1.0) × "
    "significance (Gi* hot spot 1.2, else 1.0) × "
    "coverage (unassessed or overdue 1.3, in progress 1.1, assessed 0.8)"
)
_TREND: Final = {"increasing": 1.5, "decreasing": 0.7}
_COVERAGE: Final = {"unassessed": 1.3, "overdue": 1.3, "in progress": 1.1, "assessed": 0.8}


def priority_scores(
    frame: pd.DataFrame,
    *,
    profile: DisclosureProfile | None = None,
    keys: pd.Series | np.ndarray | None = None,
) -> pd.Series:
    """Score hotspots from ``n_incidents``, ``trend``, ``state`` (coverage) and ``significant``.

    With ``profile`` (and the counts' ``keys``, if any), ``n_incidents`` is first protected as
    the incidents column shows it: the score cannot be inverted to the exact count.

    Examples
    --------
    >>> f = pd.DataFrame({"n_incidents": [100, 100], "trend": ["increasing", "no trend"],
    ...                   "state": ["unassessed", "assessed"]})
    >>> priority_scores(f).round(2).tolist()
    [12.98, 5.33]
    >>> panel = pd.DataFrame({"n_incidents": [0], "trend": [None], "state": ["unassessed"],
    ...                       "source": ["manual"]})
    >>> priority_scores(panel).round(2).tolist()
    [5.2]
    >>> from geo.disclosure import INTERNAL
    >>> g = pd.DataFrame({"n_incidents": [18, 20, 22], "trend": None, "state": "assessed"})
    >>> priority_scores(g, profile=INTERNAL).round(2).tolist()  # all shown as 20
    [3.51, 3.51, 3.51]
    """
    incidents = frame["n_incidents"].fillna(0).astype("int64")
    if profile is not None:
        incidents = protect_counts(incidents, profile, keys=keys)["count"].fillna(0)
    size = np.log2(1 + incidents.astype(float))
    if "source" in frame:
        size = size.where(frame["source"] != "manual", np.maximum(size, np.log2(16)))
    trend = frame["trend"].map(_TREND).fillna(1.0)
    coverage = frame["state"].map(_COVERAGE).fillna(1.0)
    significant = frame["significant"] if "significant" in frame else pd.Series(False, frame.index)
    significance = np.where(significant.fillna(False).astype(bool), 1.2, 1.0)
    return (size * trend * significance * coverage).rename("priority")
