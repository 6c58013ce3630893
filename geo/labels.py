"""Plain words for every code the app stores: one place, so pages, packs and the CLI agree.

Busy officers and panel chairs read these, not programmers: a stored code (``found_at``,
``cce``, ``n_incidents``, ``X00000001``) is never shown where a word can be. Dates read
"3 Nov 2026", months "Nov 2026" (always with the year), never a time of ``00:00:00``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import pandas as pd

__all__ = [
    "COLUMN_LABELS",
    "COVERAGE_LABELS",
    "EMERGING_COLOURS",
    "EMERGING_LABELS",
    "FLAG_LABELS",
    "GLOSSARY",
    "KIND_LABELS",
    "TREND_ARROWS",
    "TREND_LABELS",
    "chart_summary",
    "district_label",
    "district_names",
    "flag_label",
    "format_date",
    "format_datetime",
    "format_month",
    "kind_label",
    "label_columns",
    "parameters_in_words",
    "trend_label",
]

#: What each kind of record is, in words.
KIND_LABELS: Final[dict[str, str]] = {
    "incident": "incident",
    "missing_from": "missing from (where a child went missing)",
    "found_at": "found at (where a missing child was found)",
}

#: Exploitation indicators in words (lower case, to sit inside a sentence).
FLAG_LABELS: Final[dict[str, str]] = {
    "cse": "child sexual exploitation",
    "cce": "child criminal exploitation",
    "county_lines": "county lines",
    "weapon": "weapon involved",
    "drugs": "drugs involved",
    "gang": "gang or group association",
    "online": "online grooming or contact",
}

#: Mann-Kendall trend directions (``geo.trend``) as an arrow and a word.
TREND_ARROWS: Final[dict[str, str]] = {
    "increasing": "↑",
    "decreasing": "↓",
    "no trend": "→",
    "too short": "·",
}
TREND_LABELS: Final[dict[str, str]] = {
    "increasing": "rising",
    "decreasing": "falling",
    "no trend": "steady",
    "too short": "too few months to tell",
}

#: Coverage states (``geo.coverage``) explained.
COVERAGE_LABELS: Final[dict[str, str]] = {
    "unassessed": "not assessed",
    "overdue": "assessment overdue",
    "in progress": "assessment in progress",
    "assessed": "assessed",
}

#: Column names as people read them, for tables, exports and packs.
COLUMN_LABELS: Final[dict[str, str]] = {
    "id": "no.",
    "n_incidents": "incidents",
    "n_cells": "hexagons",
    "area_m2": "area (m²)",
    "state": "assessment coverage",
    "trend": "trend",
    "trend_direction": "trend",
    "trend_p": "trend p-value",
    "first_month": "first month",
    "last_month": "last month",
    "first_seen_at": "first seen",
    "last_seen_at": "last seen",
    "district_code": "district",
    "districts": "districts",
    "kind": "kind",
    "age_band": "age band",
    "flags": "exploitation flags",
    "h3_cell": "hexagon",
    "risk_rating": "risk rating",
    "next_review_on": "next review",
    "assessed_on": "assessed on",
    "due_on": "due",
    "due": "due",
    "site_type": "type of place",
    "site_before": "incidents near the site, before",
    "site_after": "incidents near the site, after",
    "rest_before": "rest of the district, before",
    "rest_after": "rest of the district, after",
    "effect": "change relative to the district",
    "ci_low": "lower 95% bound",
    "ci_high": "upper 95% bound",
    "z": "Gi* z-score (how unusual: above 1.96 is a hot spot)",
    "p": "p-value",
    "q": "p-value after false-discovery correction",
    "from": "from",
    "to": "to",
    "at": "when",
    "by": "by",
    "rows_stored": "rows stored",
    "rows_read": "rows read",
    "rows_rejected": "rows rejected",
    "file_name": "file",
    "meeting": "meeting",
    "meeting_date": "meeting",
    "hotspot_id": "hotspot",
    "site_id": "site",
    "complete": "whole period in the data",
    "sites": "sites",
    "parent_id": "from hotspot",
    "child_id": "to hotspot",
}

#: Emerging hot-spot classes (``geo.stats.EMERGING_CLASSES`` without "hot/cold spot"):
#: one sentence each, for the glossary and the map legend.
EMERGING_LABELS: Final[dict[str, str]] = {
    "new": "significant in the latest month for the first time",
    "consecutive": "significant for an unbroken run of recent months, never before",
    "intensifying": "significant in almost every month, and getting stronger",
    "persistent": "significant in almost every month, no clear change",
    "diminishing": "significant in almost every month, but getting weaker",
    "sporadic": "on and off: significant in the latest month and some earlier ones",
    "oscillating": "significant in the latest month, the opposite in some earlier months",
    "historical": "significant in almost every month, but not the latest",
}

#: One colour per emerging class: hot classes in oranges/reds/purples (stronger = darker),
#: cold classes in blues; chosen to stay distinct for colour-blind readers where possible
#: and always named in the legend, never colour alone.
EMERGING_COLOURS: Final[dict[str, str]] = {
    "new hot spot": "#fdae61",
    "consecutive hot spot": "#f46d43",
    "intensifying hot spot": "#a50026",
    "persistent hot spot": "#d73027",
    "diminishing hot spot": "#e7298a",
    "sporadic hot spot": "#b8860b",
    "oscillating hot spot": "#7b3294",
    "historical hot spot": "#8c6d31",
    "new cold spot": "#9ecae1",
    "consecutive cold spot": "#6baed6",
    "intensifying cold spot": "#08306b",
    "persistent cold spot": "#2171b5",
    "diminishing cold spot": "#4eb3d3",
    "sporadic cold spot": "#41b6c4",
    "oscillating cold spot": "#253494",
    "historical cold spot": "#5e7fa3",
}

#: Terms a user meets in the app, explained once (the Glossary page and the pack appendix).
GLOSSARY: Final[dict[str, str]] = {
    "Hotspot": (
        "A place where incidents cluster: many incidents close together over the period. Found "
        "by DBSCAN (below) and kept in the register with a stable number, so a meeting's "
        "decisions stay attached to the same place when the data are refreshed."
    ),
    "Place of concern": (
        "A place a panel added to the register by hand, from referrals or local knowledge "
        "rather than from the data."
    ),
    "DBSCAN": (
        "The method that finds hotspots. An incident with at least the chosen number of other "
        "incidents within the chosen distance (150 metres and 10 incidents unless the analyst "
        "changed them) starts a cluster; neighbours of neighbours join it. Isolated incidents "
        "belong to no hotspot."
    ),
    "Hexagon (H3 resolution)": (
        "The map counts incidents in hexagons of a standard grid (Uber's H3). The resolution "
        "sets their size: 7 about 5 km², 8 about 0.7 km² (a town-centre scale), 9 about "
        "0.1 km², 10 about 0.015 km² (a street), 11 about 0.002 km²."
    ),
    "Gi* (Getis-Ord)": (
        "A test of whether a hexagon and its neighbours together hold more incidents (a hot "
        "spot) or fewer (a cold spot) than chance would give across the study area. Its z-score "
        "says how unusual: above 1.96 is significant at 95%. The app corrects for testing many "
        "hexagons at once (false discovery rate), so few hexagons are flagged by chance."
    ),
    "False discovery rate (FDR)": (
        "When hundreds of hexagons are tested, some look significant by chance. The correction "
        "keeps the expected share of such false alarms among the flagged hexagons below 5%."
    ),
    "Emerging hot spot classes": (
        "Gi* month by month, then each hexagon's history is named: "
        + "; ".join(f"{name}: {text}" for name, text in EMERGING_LABELS.items())
        + ". The same names apply to cold spots. 'Almost every month' means at least 90%."
    ),
    "Trend": (
        "Whether a place's monthly incidents are rising (↑), falling (↓) or steady (→), by the "
        "Mann-Kendall test: a rise or fall is only called when it is unlikely to be chance "
        "(p < 0.05)."
    ),
    "Priority": (
        "The order a meeting works through: more incidents (with diminishing returns), a "
        "rising trend, a Gi* hot spot and no current assessment move a place up."
    ),
    "Assessment coverage": (
        "Whether a current site assessment covers the place: not assessed, assessment overdue "
        "(past its review date), in progress (a draft), or assessed."
    ),
    "Disclosure profiles": (
        "How numbers are protected before anyone sees them. Internal: counts under 5 shown as "
        "'fewer than 5', other counts rounded. Publication (for public minutes and reports): "
        "counts under 10 shown as 'c'. Custom: set by an administrator. Missing-from "
        "locations are never mapped finer than H3 resolution 7."
    ),
    "Missing from / found at": (
        "Where a child went missing from, and where they were found: locations of missing "
        "episodes, never anything about the child."
    ),
}


def kind_label(kind: str) -> str:
    """Return the words for a kind of record (``found_at`` → "found at (...)").

    Examples
    --------
    >>> kind_label("found_at")
    'found at (where a missing child was found)'
    """
    return KIND_LABELS.get(kind, str(kind).replace("_", " "))


def flag_label(flag: str) -> str:
    """Return the words for an exploitation flag (``cce`` → "child criminal exploitation").

    Examples
    --------
    >>> flag_label("cce")
    'child criminal exploitation'
    """
    return FLAG_LABELS.get(flag, str(flag).replace("_", " "))


def trend_label(direction: str | None, *, arrow: bool = True) -> str:
    """Return a trend direction as "↑ rising" (``None``/missing: "no data").

    Examples
    --------
    >>> trend_label("increasing"), trend_label(None), trend_label("no trend", arrow=False)
    ('↑ rising', 'no data', 'steady')
    """
    if direction is None or (isinstance(direction, float) and math.isnan(direction)):
        return "no data"
    word = TREND_LABELS.get(direction, str(direction))
    return f"{TREND_ARROWS[direction]} {word}" if arrow and direction in TREND_ARROWS else word


def format_date(value: Any) -> str:
    """Return a date as "3 Nov 2026" (no time); missing as "".

    Examples
    --------
    >>> import datetime as dt
    >>> format_date(dt.date(2026, 11, 3)), format_date("2026-11-03 00:00:00"), format_date(None)
    ('3 Nov 2026', '3 Nov 2026', '')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return ""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def format_month(value: Any) -> str:
    """Return a month as "Nov 2026", always with its year.

    Examples
    --------
    >>> import datetime as dt
    >>> format_month("2026-11-01"), format_month(dt.date(2025, 1, 1))
    ('Nov 2026', 'Jan 2025')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return ""
    return f"{pd.Timestamp(value):%b %Y}"


def format_datetime(value: Any) -> str:
    """Return a moment as "3 Nov 2026, 14:05" in UTC: minutes, never microseconds.

    Examples
    --------
    >>> format_datetime("2026-11-03 14:05:31.123456+00:00")
    '3 Nov 2026, 14:05'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return f"{stamp.day} {stamp:%b %Y, %H:%M}"


def district_label(code: str, names: Mapping[str, str]) -> str:
    """Return a district's name (its code only where no name is known).

    Examples
    --------
    >>> district_label("X00000001", {"X00000001": "Northbrook"}), district_label("E1", {})
    ('Northbrook', 'E1')
    """
    return names.get(code) or str(code)


def district_names(codes: Iterable[str] | None, names: Mapping[str, str]) -> str:
    """Return districts as "Northbrook, Southmere" (names, sorted as given).

    Examples
    --------
    >>> district_names(["X2", "X1"], {"X1": "Ashby", "X2": "Brook"})
    'Brook, Ashby'
    """
    return ", ".join(district_label(c, names) for c in (codes or []))


def label_columns(frame: pd.DataFrame, extra: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rename a frame's columns to words (unknown names: underscores become spaces)."""
    labels = {**COLUMN_LABELS, **(extra or {})}
    return frame.rename(columns=lambda c: labels.get(str(c), str(c).replace("_", " ")))


def parameters_in_words(params: Mapping[str, Any]) -> list[str]:
    """Return a hotspot run's parameters as sentences (no ``eps_m``, no ``min_samples``).

    ``incidents`` (the number the run used) is left out: it is a count that disclosure control
    must protect, so callers show it through ``geo.disclosure``.

    Examples
    --------
    >>> parameters_in_words({"eps_m": 150.0, "min_samples": 10, "cell_res": 10,
    ...                      "match_threshold": 0.5, "filter": "Nov 2025 to Oct 2026"})[0][:49]
    'Incidents within 150 metres of each other form a '
    """
    lines = []
    if "eps_m" in params or "min_samples" in params:
        eps = params.get("eps_m")
        eps_text = f"{float(eps):g} metres" if eps is not None else "the chosen distance"
        lines.append(
            f"Incidents within {eps_text} of each other form a hotspot when at least "
            f"{params.get('min_samples', 'the chosen number')} of them are that close (DBSCAN)."
        )
    if params.get("filter"):
        lines.append(f"Incidents used: {params['filter']}.")
    if "cell_res" in params:
        lines.append(
            f"Each hotspot's outline is made of hexagons at H3 resolution {params['cell_res']} "
            "(about 130 metres across at 10), smoothed by 25 metres, so it never traces a "
            "single incident."
        )
    if "match_threshold" in params:
        share = float(params["match_threshold"])
        lines.append(
            f"A new run keeps a hotspot's number when at least {share:.0%} of the smaller of the "
            "two outlines overlaps the register's, so decisions stay with the same place."
        )
    return lines


def chart_summary(frame: pd.DataFrame | pd.Series, suppressed: str = "suppressed") -> str:
    """Return a chart's text alternative: per series, its months, low, high and latest value.

    ``frame`` is indexed by month, one column per series, values already protected (missing
    where suppressed).

    Examples
    --------
    >>> f = pd.DataFrame({"x": [10.0, 30.0, None]},
    ...                  index=pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]))
    >>> chart_summary(f, "c").split(". ")  # doctest: +NORMALIZE_WHITESPACE
    ['Chart, Jan 2025 to Mar 2025',
     'x: lowest 10 (Jan 2025), highest 30 (Feb 2025), latest c (Mar 2025).']
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(frame.name or "value")
    if frame.empty:
        return "Chart: no data."
    parts = [f"Chart, {format_month(frame.index.min())} to {format_month(frame.index.max())}."]
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.notna().any():
            low, high = values.idxmin(), values.idxmax()
            last = values.iloc[-1]
            latest = suppressed if pd.isna(last) else f"{last:g}"
            parts.append(
                f"{column}: lowest {values[low]:g} ({format_month(low)}), highest "
                f"{values[high]:g} ({format_month(high)}), latest {latest} "
                f"({format_month(values.index[-1])})."
            )
        else:
            parts.append(f"{column}: every month {suppressed}.")
    return " ".join(parts)
