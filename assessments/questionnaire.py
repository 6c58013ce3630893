"""The "spaces and places" location assessment: questions, risk ratings and the review policy.

The questions follow the contextual safeguarding location-assessment practice councils use:
who uses the place and when, what makes it safe or unsafe, who could act as a guardian, what
signs of exploitation have been seen, and what young people themselves say about it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACTION_STATUSES",
    "ASSESSMENT_STATUSES",
    "QUESTIONS",
    "RISK_RATINGS",
    "Question",
    "next_review_date",
    "review_policy",
]


@dataclass(frozen=True)
class Question:
    """One question of the location assessment."""

    key: str
    label: str
    kind: str  # "choice", "multi" or "text"
    options: tuple[str, ...] = ()
    help: str = ""


_LEVEL = ("good", "adequate", "poor", "none", "not assessed")
_SEEN = ("not seen", "suspected", "seen", "not assessed")

#: The questions, in the order the form asks them.
QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        "users_and_times",
        "Who uses the place, and when?",
        "text",
        help="Groups and times of day or week; no names.",
    ),
    Question(
        "times_of_concern",
        "Times of concern",
        "multi",
        (
            "weekday daytime",
            "after school",
            "evenings",
            "late night",
            "weekends",
            "school holidays",
        ),
    ),
    Question("lighting", "Lighting", "choice", _LEVEL),
    Question(
        "sightlines",
        "Sightlines and hiding places",
        "choice",
        ("open, clear sightlines", "some hidden areas", "many hidden areas", "not assessed"),
    ),
    Question(
        "entrances_exits",
        "Entrances and exits",
        "choice",
        ("single, visible", "several", "many, unmonitored", "not assessed"),
    ),
    Question(
        "cctv",
        "CCTV and its coverage",
        "choice",
        ("full, monitored", "partial", "present, not monitored", "none", "not assessed"),
    ),
    Question(
        "natural_guardians",
        "Natural guardians and staff",
        "choice",
        _LEVEL,
        help="Staff, security, residents overlooking, regular users who would intervene.",
    ),
    Question(
        "community_guardians",
        "Community guardians",
        "choice",
        _LEVEL,
        help="Youth workers, street pastors, wardens, shopkeepers.",
    ),
    Question(
        "licensed_premises",
        "Licensed, late-night and takeaway premises nearby",
        "multi",
        ("pub or bar", "off-licence", "takeaway", "late-night venue", "none"),
    ),
    Question(
        "hotels_taxis",
        "Hotels, short lets and taxis",
        "multi",
        ("hotel", "short-let", "taxi rank", "private hire pick-ups", "none"),
    ),
    Question(
        "transport_links",
        "Transport links",
        "multi",
        ("bus", "rail", "tram", "major road", "cycle route", "none"),
    ),
    Question(
        "signs_of_exploitation",
        "Signs of exploitation",
        "choice",
        _SEEN,
        help="Older people with young people, young people out of area, gifts, new phones.",
    ),
    Question("drug_activity", "Drug activity", "choice", _SEEN),
    Question("weapon_activity", "Weapon activity", "choice", _SEEN),
    Question(
        "young_peoples_views",
        "Young people's own views of the place",
        "text",
        help="What young people say about it (no names or identifying details).",
    ),
    Question("existing_interventions", "Existing interventions", "text"),
)

#: Risk ratings, lowest first.
RISK_RATINGS: Final[tuple[str, ...]] = ("low", "medium", "high", "very high")

#: Assessment lifecycle.
ASSESSMENT_STATUSES: Final[tuple[str, ...]] = ("draft", "submitted", "reviewed")

#: Action lifecycle.
ACTION_STATUSES: Final[tuple[str, ...]] = ("open", "in progress", "done", "cancelled")

_DEFAULT_POLICY: Final[dict[str, int]] = {"very high": 1, "high": 3, "medium": 6, "low": 12}


def review_policy() -> dict[str, int]:
    """Months from assessment to next review for each risk rating.

    Configurable with ``SAFERPLACES_REVIEW_MONTHS``, e.g. ``"very high=1,high=2,medium=6,low=12"``.
    """
    policy = dict(_DEFAULT_POLICY)
    text = os.environ.get("SAFERPLACES_REVIEW_MONTHS", "")
    for part in filter(None, (p.strip() for p in text.split(","))):
        rating, _, months = part.partition("=")
        rating = rating.strip().lower()
        if rating not in RISK_RATINGS or not months.strip().isdigit():
            msg = f"SAFERPLACES_REVIEW_MONTHS: cannot read {part!r} (use e.g. 'high=3')"
            raise ValueError(msg)
        policy[rating] = int(months)
    return policy


def next_review_date(assessed_on: dt.date, risk_rating: str) -> dt.date:
    """Return the review date the policy sets for an assessment.

    Examples
    --------
    >>> next_review_date(dt.date(2026, 1, 31), "high")
    datetime.date(2026, 4, 30)
    """
    months = review_policy()[risk_rating]
    month_index = assessed_on.month - 1 + months
    year, month = assessed_on.year + month_index // 12, month_index % 12 + 1
    for day in range(assessed_on.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(assessed_on.day, 28))
