"""Personal data detection: headers and values that must never enter the store.

A file is refused before anything is stored when a column looks like names, dates of birth,
addresses or full postcodes, phone numbers, e-mail addresses, personal identifiers (NHS number,
National Insurance number, pupil numbers, case or person ids) or free-text narratives. Values are
checked as well as headers: an e-mail address in a "notes" column counts. The user can remove the
columns, or name them with ``drop`` so they are discarded unread.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import pandas as pd

from geo.schema import POLICE_UK_CATEGORIES, SAFEGUARDING_CATEGORIES

__all__ = [
    "PLACE_HEADERS",
    "ROLES",
    "Finding",
    "check_headers",
    "check_values",
    "name_lists",
    "normalise_header",
    "personal_text_message",
    "personal_text_problem",
]

_HARD_HEADERS: Final[list[tuple[str, re.Pattern[str]]]] = [
    ("a date of birth", re.compile(r"\b(dob|d o b|date of birth|birth ?date|birthday|born)\b")),
    (
        "names",
        re.compile(
            r"^(names?|nm|full ?name|first ?names?|last ?names?|given ?names?|family ?names?|"
            r"forenames?|surnames?|middle ?names?|maiden ?names?|alias(es)?|nick ?names?|"
            r"child|children|young (person|people)|yp|pupils?|students?|victims?|suspects?|"
            r"offenders?|patients?|clients?|persons?|people|missing person|subject|"
            r"parents?|carers?|guardians?|mother|father|witness(es)?)$|"
            r"\b(person|persons|victim|suspect|offender|child|children|young person|yp|parent|"
            r"carer|mother|father|guardian|subject|client|patient|pupil|student|missing person|"
            r"witness)( s)? ?(first |last |full |sur|fore)?names?\b|\b(forename|surname)s?\b"
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
            r"\b(nhs( number| no)?|ni (number|no)|national insurance|nino|upn|crn|"
            r"unique pupil( number)?|pupil (number|no|id)|child reference( number)?"
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
_NHS: Final = r"(?<![\dA-Za-z])(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})(?![\dA-Za-z])"
_NHS_RE: Final = re.compile(_NHS)
_NINO: Final = r"\b[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]\b"
#: A full date (day, month and year) inside a text value: a possible date of birth.
_FULL_DATE: Final = (
    r"(?<!\d)(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2})"
    r"(?!\d)"
)
#: A house number and a street ("14 Acacia Avenue", "3a Mill Lane").
_ADDRESS: Final = (
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Za-z'-]+\s+){1,3}(?:road|rd|street|st|avenue|ave|close|lane|"
    r"drive|way|crescent|grove|place|court|gardens|terrace|walk|square|mews|row|hill|green)\b"
)
_PATTERNS: Final = (
    ("e-mail addresses", re.compile(_EMAIL)),
    ("addresses", re.compile(_ADDRESS, re.IGNORECASE)),
    ("National Insurance numbers", re.compile(_NINO)),
    ("phone numbers", re.compile(_PHONE)),
    ("full postcodes", re.compile(_POSTCODE)),
    ("dates (possible dates of birth)", re.compile(_FULL_DATE)),
)
_WORD: Final = re.compile(r"[A-Za-z][A-Za-z'-]*")

#: Headers (normalised) of columns that describe places, not people: street names there
#: ("On or near Victoria Road") are not taken for people's names.
PLACE_HEADERS: Final = frozenset(
    {
        "location",
        "lsoa code",
        "lsoa name",
        "reported by",
        "falls within",
        "last outcome category",
        "outcome",
        "street",
        "street name",
        "road",
        "beat",
        "ward",
        "area",
        "neighbourhood",
        "force",
        "district",
        "town",
    }
)

_TAXONOMY: Final = frozenset(
    c.lower() for c in (*POLICE_UK_CATEGORIES, *SAFEGUARDING_CATEGORIES, "cse", "cce", "syv", "asb")
)

#: Roles a checked column can have (see :func:`check_values`).
ROLES: Final = ("category", "ref", "place", "text")

#: Words that are also in the name lists but are ordinary words in categories and notes.
_COMMON_WORDS: Final = frozenset(
    re.findall(
        r"\w+",
        """
    a an and the of in on at to for by with from near or not no yes other unknown none all
    theft burglary robbery drugs arson violence fraud damage order public vehicle crime
    shoplifting weapons possession exploitation missing episode lines county youth serious
    child sexual criminal behaviour anti social person persons people male female man woman boy
    girl young adult older station bus park street road lane close house shop school north
    south east west upper lower high low long short new old little great
        """,
    )
)


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """Return (first names, surnames), lower-case, from the Faker package's person lists.

    Faker (MIT licence) ships the common first names and surnames of the UK (``en_GB``, from
    ONS birth registrations and surname frequencies), Ireland and the US; about 1,700 first names
    and 1,500 surnames. Ordinary English words that are also names ("Long", "Young", "Park") are
    left out, so categories and notes made of them are not taken for names.
    """
    from faker.providers.person.en_GB import Provider as Gb
    from faker.providers.person.en_IE import Provider as Ie
    from faker.providers.person.en_US import Provider as Us

    first: set[str] = set()
    last: set[str] = set()
    for provider in (Gb, Ie, Us):
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            first.update(str(n).lower() for n in getattr(provider, attribute, ()))
        last.update(str(n).lower() for n in getattr(provider, "last_names", ()))
    return frozenset(first - _COMMON_WORDS), frozenset(last - _COMMON_WORDS)


@dataclass(frozen=True)
class Finding:
    """A column that looks personal: what it looks like and the lines where it shows."""

    column: str
    looks_like: str
    lines: tuple[int, ...] = ()

    def describe(self) -> str:
        """Say it in one line, naming lines but never quoting values."""
        if not self.lines:
            return f"'{self.column}' looks like {self.looks_like}"
        shown = ", ".join(map(str, self.lines[:5]))
        more = f" and {len(self.lines) - 5} more" if len(self.lines) > 5 else ""
        word = "line" if len(self.lines) == 1 else "lines"
        return f"'{self.column}' looks like {self.looks_like} ({word} {shown}{more})"

    def rows(self) -> list[tuple[int, str]]:
        """Every flagged line with its reason, for the per-row report."""
        return [(line, f"'{self.column}' looks like {self.looks_like}") for line in self.lines]


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

    Examples
    --------
    >>> [f.column for f in check_headers(["Nm", "Child's name", "CRN", "Crime type"])]
    ['Nm', "Child's name", 'CRN']
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


def _nhs_valid(number: str) -> bool:
    """Apply the NHS number modulus-11 check to a 10-digit string.

    Examples
    --------
    >>> _nhs_valid("9434765919"), _nhs_valid("9434765918")
    (True, False)
    """
    digits = [int(c) for c in number]
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def _has_nhs_number(values: pd.Series) -> pd.Series:
    """Whether each value holds a 10-digit number passing the NHS checksum (spaced or not)."""
    found = pd.Series(False, index=values.index)
    for index, value in values.items():
        for match in _NHS_RE.finditer(value):
            if _nhs_valid("".join(match.groups())):
                found[index] = True
                break
    return found


def _name_tokens(value: str) -> list[str]:
    return [w.lower().strip("'-") for w in _WORD.findall(value)]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word.lower().strip("'-") not in _COMMON_WORDS


def _is_name(value: str) -> bool:
    """Whether a value is only a person's name ("Chloe Smith", "SMITH, Jane", "Jane").

    Every word a known first name or surname; or a known first name with capitalised words
    around it (a surname not in the lists: "Chloe Whitmore", "Whitmore, Chloe").
    """
    first, last = name_lists()
    words = _WORD.findall(value)
    tokens = [w.lower().strip("'-") for w in words]
    if not 1 <= len(tokens) <= 4 or re.search(r"\d", value):
        return False
    if all(t in first or t in last for t in tokens):
        return True
    return len(tokens) >= 2 and any(t in first for t in tokens) and all(map(_capitalised, words))


def _contains_name(value: str) -> bool:
    """Whether a longer value holds a first name then a surname ("... Jane Smith (14)")."""
    first, last = name_lists()
    words = _WORD.findall(value)
    tokens = [w.lower().strip("'-") for w in words]
    return any(
        a in first and (b in last or (_capitalised(words[i]) and _capitalised(words[i + 1])))
        for i, (a, b) in enumerate(itertools.pairwise(tokens))
    )


def _looks_like(values: pd.Series, role: str, header: str) -> pd.Series:
    """For each distinct value, what personal data it looks like ("" for none)."""
    out = pd.Series("", index=values.index, dtype=object)

    def mark(mask: pd.Series, looks_like: str) -> None:
        mask = mask.fillna(False).astype(bool) & (out == "")
        out[mask] = looks_like

    # Identifiers, contacts and dates all hold a digit or an "@": only those values are searched
    # (a police.uk Crime ID, 64 hexadecimal digits, is an anonymous hash and is left alone).
    maybe = values.str.contains(r"[0-9@]", regex=True).fillna(False).astype(bool)
    maybe &= ~values.str.fullmatch(r"[0-9a-f]{64}").fillna(False).astype(bool)
    if maybe.any():
        some = values[maybe].astype(object)
        for looks_like, pattern in _PATTERNS:
            hits = some.map(lambda v, p=pattern: p.search(v) is not None)
            mark(hits.reindex(values.index, fill_value=False), looks_like)
        mark(_has_nhs_number(some).reindex(values.index, fill_value=False), "NHS numbers")
    # A name holds no digit (``_is_name``): the name lists are searched only for values without
    # one, so a column of reference numbers (police.uk Crime IDs) costs one vectorised test.
    wordy = ~values.str.contains(r"\d", regex=True).fillna(False).astype(bool)

    def only_wordy(test: Callable[[str], bool]) -> pd.Series:
        found = pd.Series(False, index=values.index)
        if wordy.any():
            found[wordy] = values[wordy].astype(object).map(test).astype(bool)
        return found

    if role == "ref":  # a reference made of a person's name
        mark(only_wordy(lambda v: len(_name_tokens(v)) >= 2 and _is_name(v)), "names")
        return out
    words = values.str.count(r"\s+") + 1
    if role == "place":
        mark((words >= 10) | (values.str.len() > 80), "free-text narratives")
        return out
    if role == "category":
        mark((words >= 7) | (values.str.len() > 50), "free-text narratives")
    else:
        mark((words >= 8) | (values.str.len() > 60), "free-text narratives")
    names = only_wordy(_is_name)
    mark(names & only_wordy(lambda v: len(_name_tokens(v)) >= 2), "names")
    if role == "category" or names.mean() >= 0.5:  # lone names: a category, or a name column
        mark(names, "names")
    mark(values.map(_contains_name), "names")
    del header
    return out


def check_values(
    frame: pd.DataFrame,
    *,
    columns: list[str] | dict[str, str],
    first_line: int,
    narrative_columns: list[str] | None = None,
    max_lines: int = 1000,
) -> list[Finding]:
    """Return the columns whose *values* look personal, with the lines where they show.

    Every value is checked, whatever the column is called: e-mail addresses, phone numbers,
    full postcodes, NHS numbers (passing the modulus-11 check), National Insurance numbers,
    full dates (possible dates of birth), people's names (from :func:`name_lists`) and free-text
    narratives. A single value is enough to refuse a column.

    Parameters
    ----------
    frame
        A chunk of the file with string values.
    columns
        The columns to check, or a mapping column → role: ``category`` (stored as a category:
        a lone first name or surname counts as a name; narratives from 7 words or 50
        characters), ``ref`` (a partner's reference: identifiers, contacts and dates only),
        ``place`` (a location or outcome described in words: street names are not taken for
        people; narratives from 10 words or 80 characters) or ``text`` (anything else: full
        names anywhere, a column of lone names, narratives from 8 words or 60 characters).
    first_line
        The file line number of the chunk's first row (header is line 1).
    narrative_columns
        Unused; kept for callers of the earlier signature (every column is now checked).
    max_lines
        Lines kept per finding.

    Examples
    --------
    >>> frame = pd.DataFrame({"Crime type": ["Burglary", "Chloe Smith", "Drugs"]})
    >>> check_values(frame, columns={"Crime type": "category"}, first_line=2)[0].describe()
    "'Crime type' looks like names (line 3)"
    """
    del narrative_columns
    roles = (
        dict(columns)
        if isinstance(columns, dict)
        else {c: _role_for(normalise_header(c)) for c in columns}
    )
    findings: list[Finding] = []
    for column, role in roles.items():
        text = frame[column].astype("string").str.strip()
        text = text[text.notna() & (text != "")]
        if text.empty:
            continue
        uniques = pd.Series(text.unique(), dtype="string")
        if role == "category":
            uniques = uniques[~uniques.str.lower().isin(_TAXONOMY)]
        uniques.index = uniques.to_numpy()
        if uniques.empty:
            continue
        looks = _looks_like(uniques.reset_index(drop=True), role, normalise_header(column))
        looks.index = uniques.index
        flagged = looks[looks != ""]
        if flagged.empty:
            continue
        per_row = text.map(flagged).fillna("")
        for looks_like in dict.fromkeys(flagged):
            mask = (per_row == looks_like).to_numpy()
            lines = tuple(int(i) + first_line for i in text.index[mask][:max_lines])
            findings.append(Finding(column, looks_like, lines))
    return findings


def _role_for(header: str) -> str:
    return "place" if header in PLACE_HEADERS else "text"


_BIRTH_WORDS: Final = re.compile(r"\b(dob|d\.o\.b\.?|date of birth|born( on)?)\b", re.IGNORECASE)


def personal_text_problem(value: str, *, addresses: bool = False) -> str | None:
    """Say what personal data a typed text (a site's name, findings, a decision) holds, or None.

    E-mail addresses, phone numbers, NHS numbers (checksum-tested), National Insurance numbers,
    dates of birth (a full date with "DOB"/"born", or any full date before 2000), a person's
    name (a known first name followed by a surname or a capitalised word) and, unless
    ``addresses`` (a site's own address), a house-number address or a full postcode. The answer
    names what was found, never the value.

    Examples
    --------
    >>> personal_text_problem("Poor lighting along the canal path")
    >>> personal_text_problem("Spoke to Jane Smith about the gate")
    "a person's name"
    >>> personal_text_problem("call 07700 900123")
    'a phone number'
    """
    text = str(value or "").strip()
    if not text:
        return None
    checks = [
        (_PATTERNS[0][1], "an e-mail address"),
        (re.compile(_PHONE), "a phone number"),
        (re.compile(_NINO), "a National Insurance number"),
    ]
    for pattern, what in checks:
        if pattern.search(text):
            return what
    if _has_nhs_number(pd.Series([text])).iloc[0]:
        return "an NHS number"
    for match in re.finditer(_FULL_DATE, text):
        year = int(re.findall(r"(?:19|20)\d{2}", match.group(0))[0])
        if year < 2000 or _BIRTH_WORDS.search(text):
            return "a date of birth"
    if _BIRTH_WORDS.search(text) and re.search(r"\d", text):
        return "a date of birth"
    if not addresses:
        if re.search(_ADDRESS, text, re.IGNORECASE):
            return "a home address (house number and street)"
        if re.search(_POSTCODE, text):
            return "a full postcode"
    if _contains_name(text) or (_is_name(text) and len(_name_tokens(text)) >= 2):
        return "a person's name"
    return None


def personal_text_message(problem: str) -> str:
    """Return the message for a field holding personal data: what it holds, what to do."""
    return (
        f"this looks like it holds {problem}: describe the place and what was done, "
        "never the people involved (no names, contact details, dates of birth or home addresses)"
    )
