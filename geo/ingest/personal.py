"""Personal data detection: headers and values that must never enter the store.

A file is refused before anything is stored when a column looks like names, dates of birth,
addresses or full postcodes, phone numbers, e-mail addresses, personal identifiers (NHS number,
National Insurance number, pupil numbers, case or person ids) or free-text narratives. Values are
checked as well as headers: an e-mail address in a "notes" column counts. The user can remove the
columns, or name them with ``drop`` so they are discarded unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

__all__ = ["Finding", "check_headers", "check_values", "normalise_header"]

_HARD_HEADERS: Final[list[tuple[str, re.Pattern[str]]]] = [
    ("a date of birth", re.compile(r"\b(dob|d o b|date of birth|birth ?date|birthday|born)\b")),
    (
        "names",
        re.compile(
            r"^(names?|full ?name|first ?names?|last ?names?|given ?names?|family ?names?|"
            r"forenames?|surnames?|middle ?names?|maiden ?names?|alias(es)?|nick ?names?)$|"
            r"\b(person|persons|victim|suspect|offender|child|children|young person|yp|parent|"
            r"carer|mother|father|guardian|subject|client|patient|pupil|student|missing person)"
            r" ?(first |last |full |sur|fore)?names?\b|\b(forename|surname)s?\b"
        ),
    ),
    (
        "addresses",
        re.compile(
            r"\b(address(es)?|addr|home address|house (number|no|name)|flat (number|no)|"
            r"street address|residence|place of residence|home)\b"
        ),
    ),
    ("phone numbers", re.compile(r"\b(phone|telephone|tel|mobile|contact (number|no))\b")),
    ("e-mail addresses", re.compile(r"\b(e ?mail|email address)\b")),
    (
        "personal identifiers",
        re.compile(
            r"\b(nhs( number| no)?|ni (number|no)|national insurance|nino|upn|"
            r"unique pupil( number)?"
            r"|pnc( id| number)?|cro( number)?|passport|driving licen[cs]e|person id|child id|"
            r"subject id|client id|case (number|no|id|ref)|mosaic|eclipse id|lcs id|social care id"
            r"|chi number|warrant)\b"
        ),
    ),
]
_POSTCODE_HEADER: Final = re.compile(r"\b(post ?code|postal code|zip( code)?)\b")
_NARRATIVE_HEADER: Final = re.compile(
    r"\b(narrative|description|details?|summary|circumstances|free ?text|comments?|notes?|"
    r"remarks|observations?|account|modus operandi|mo|story|text|information|info)\b"
)

_EMAIL: Final = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_PHONE: Final = r"(?:\+44\s?\(?0?\)?\s?|\b0)(?:7\d{3}|[1-9]\d{2,3})[\s-]?\d{3,4}[\s-]?\d{3,4}\b"
_POSTCODE: Final = r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b"
_NHS: Final = r"\b\d{3}\s?\d{3}\s?\d{4}\b"
_NINO: Final = r"\b[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]\b"


@dataclass(frozen=True)
class Finding:
    """A column that looks personal: what it looks like and the first lines where it shows."""

    column: str
    looks_like: str
    lines: tuple[int, ...] = ()

    def describe(self) -> str:
        """Say it in one line, naming lines but never quoting values."""
        where = f" (e.g. line {', '.join(map(str, self.lines[:3]))})" if self.lines else ""
        return f"'{self.column}' looks like {self.looks_like}{where}"


def normalise_header(name: object) -> str:
    """Lower-case a header and turn punctuation and underscores into single spaces.

    Examples
    --------
    >>> normalise_header("Date_Of-Birth ")
    'date of birth'
    """
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


def check_headers(
    columns: list[str], *, allowed: set[str] | frozenset[str] = frozenset()
) -> list[Finding]:
    """Return the columns whose *name* alone says they hold personal data.

    ``allowed`` lists columns known to be safe (e.g. police.uk's ``LSOA name``).
    """
    findings = []
    for column in columns:
        if column in allowed:
            continue
        header = normalise_header(column)
        for looks_like, pattern in _HARD_HEADERS:
            if pattern.search(header):
                findings.append(Finding(column, looks_like))
                break
    return findings


def _nhs_valid(digits: pd.Series) -> pd.Series:
    """Vectorised NHS number modulus-11 check on 10-digit strings."""
    d = np.array([list(map(int, s)) for s in digits], dtype=np.int64).reshape(-1, 10)
    total = (d[:, :9] * np.arange(10, 1, -1)).sum(axis=1)
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    return pd.Series((check != 10) & (check == d[:, 9]), index=digits.index)


def check_values(
    frame: pd.DataFrame,
    *,
    columns: list[str],
    first_line: int,
    narrative_columns: list[str] | None = None,
) -> list[Finding]:
    """Return the columns whose *values* look personal, with example line numbers.

    Parameters
    ----------
    frame
        A chunk of the file with string values.
    columns
        The columns to check.
    first_line
        The file line number of the chunk's first row (header is line 1).
    narrative_columns
        Columns also tested for free-text narratives (long, many-word values).
    """
    findings: list[Finding] = []
    narrative = set(narrative_columns or [])
    for column in columns:
        text = frame[column].astype("string").str.strip()
        text = text[text.notna() & (text != "")]
        if text.empty:
            continue
        header = normalise_header(column)
        checks: list[tuple[str, pd.Series]] = [
            ("e-mail addresses", text.str.contains(_EMAIL, regex=True)),
            ("phone numbers", text.str.contains(_PHONE, regex=True)),
            ("National Insurance numbers", text.str.contains(_NINO, regex=True)),
        ]
        if _POSTCODE_HEADER.search(header) or column in narrative:
            checks.append(("full postcodes", text.str.contains(_POSTCODE, regex=True)))
        else:
            # A full postcode alone in a cell (not inside a category name).
            checks.append(("full postcodes", text.str.fullmatch(_POSTCODE)))
        nhs_like = text.str.fullmatch(_NHS)
        if nhs_like.any():
            digits = text[nhs_like].str.replace(" ", "", regex=False)
            valid = pd.Series(False, index=text.index)
            valid.loc[digits.index] = _nhs_valid(digits)
            checks.append(("NHS numbers", valid))
        for looks_like, mask in checks:
            mask = mask.fillna(False).astype(bool)
            if mask.any():
                findings.append(Finding(column, looks_like, _lines(text, mask, first_line)))
                break
        else:
            if column in narrative or _NARRATIVE_HEADER.search(header):
                words = text.str.count(r"\s+") + 1
                long = (words >= 8) | (text.str.len() > 60)
                if long.mean() > 0.1:
                    findings.append(
                        Finding(column, "free-text narratives", _lines(text, long, first_line))
                    )
    return findings


def _lines(text: pd.Series, mask: pd.Series, first_line: int) -> tuple[int, ...]:
    """File line numbers of the first three flagged values (the frame index is 0-based rows)."""
    return tuple(int(i) + first_line for i in text.index[mask.to_numpy()][:3])
