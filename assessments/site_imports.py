"""Sites, assessments and actions from councils' spreadsheets (CSV/XLSX), and back out.

Same rules as incident imports: one transaction per file (every valid row or nothing), each
rejected row reported with its line number and reason, idempotent by the file's ``ref`` column
(a row whose ref is already stored is reported as a duplicate, not stored twice).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments import site_assessments as records
from assessments import sites
from assessments.audit import record_event
from assessments.exports import encode_table, record_export
from assessments.models import Action, Assessment, Site
from assessments.permissions import Actor, require
from assessments.questionnaire import QUESTIONS
from assessments.sample_removal import remove_samples_before_real_data
from geo._errors import InputError, PermissionDeniedError
from geo.ingest import expand_sources, open_table
from geo.ingest.personal import check_headers, normalise_header

__all__ = [
    "DATE_FORMATS",
    "RecordImport",
    "export_records",
    "import_actions",
    "import_assessments",
    "import_sites",
    "parse_date",
]


@dataclass
class RecordImport:
    """The per-row report of a sites/assessments/actions import."""

    file: str
    read: int = 0
    stored: int = 0
    rejected: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows by reason."""
        return dict(Counter(reason for _, reason in self.rejects))

    def as_json(self) -> dict[str, Any]:
        """Return the report for ``--json``."""
        return {
            "file": self.file,
            "read": self.read,
            "stored": self.stored,
            "rejected": self.rejected,
            "rejected_by_reason": self.rejected_by_reason,
            **({"notes": self.notes} if self.notes else {}),
        }


def _rows(
    path: Path, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], sheet: str | None
) -> tuple[str, pd.DataFrame]:
    source = expand_sources([path])[0]
    reader = open_table(source, sheet=sheet)
    normalised = {normalise_header(c): c for c in reader.columns}
    rename = {}
    for target, names in aliases.items():
        for name in (target.replace("_", " "), *names):
            if name in normalised:
                rename[normalised[name]] = target
                break
    # The place's own name and address are fields; any other personal-looking column is refused.
    findings = check_headers([c for c in reader.columns if c not in rename])
    if findings:
        msg = "refused: " + "; ".join(f.describe() for f in findings) + ". Remove the columns."
        raise InputError(msg)
    missing = [r for r in required if r not in rename.values()]
    if missing:
        msg = (
            f"{source.name}: cannot find the column(s) {', '.join(missing)} among "
            f"{', '.join(reader.columns)}"
        )
        raise InputError(msg)
    chunks = list(reader.chunks(50_000, None))
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    if frame.empty:
        msg = f"{source.name} has a header but no rows"
        raise InputError(msg)
    frame = frame.rename(columns=rename)
    return source.name, frame


def _text(row: pd.Series, key: str) -> str:
    value = row.get(key)
    return "" if value is None or pd.isna(value) else str(value).strip()


#: Date layouts read, tried in order: ISO first (year, month, day: never swapped), then the
#: UK's day/month/year. A month/day/year date is never guessed: 03/25/2026 is refused, and
#: 03/01/2026 is read as 3 January, as written in the UK.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d %b %Y",
    "%d %B %Y",
)


def parse_date(text: str) -> dt.date | None:
    """Read a date written as ISO (2025-03-01) or UK day/month/year (01/03/2025); else ``None``.

    Examples
    --------
    >>> parse_date("2025-03-01"), parse_date("01/03/2025"), parse_date("03/25/2025")
    (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1), None)
    """
    text = text.strip()
    for layout in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return None


def _date(row: pd.Series, key: str) -> dt.date | None:
    value = row.get(key)
    if isinstance(value, dt.datetime | pd.Timestamp):  # a real date cell of a spreadsheet
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(row, key)
    if not text:
        return None
    parsed = parse_date(text)
    if parsed is None:
        msg = (
            f"{key.replace('_', ' ')}: not a date ({text[:20]!r}), write it as 2025-03-01 "
            "or as day/month/year, 01/03/2025"
        )
        raise InputError(msg)
    return parsed


def _run(
    engine: Engine,
    name: str,
    frame: pd.DataFrame,
    actor: Actor,
    entity: str,
    handle: Any,
    *,
    is_sample: bool = False,
) -> RecordImport:
    # The file's own name may be personal: the report and the audit trail keep a label only.
    del name
    require(actor, "import_records")  # then each row is checked for its own district
    report = RecordImport(file=f"{entity.replace('_', ' ')} file", read=len(frame))
    if not is_sample:  # samples and real records never mix
        note = remove_samples_before_real_data(engine, actor=actor)
        if note:
            report.notes.append(note)
    with Session(engine) as session, session.begin():
        for i, row in frame.iterrows():  # tens to hundreds of records, each through a service
            line = int(i) + 2
            try:
                with session.begin_nested():
                    stored = handle(session, row)
            except (InputError, PermissionDeniedError) as exc:
                report.rejects.append((line, str(exc).split(";")[0][:200]))
                continue
            if stored:
                report.stored += 1
            else:
                report.rejects.append((line, "already imported (same ref)"))
        report.rejected = len(report.rejects)
        record_event(session, actor=actor, action="import", entity=entity, after=report.as_json())
    return report


def import_sites(
    engine: Engine, path: Path, *, actor: Actor, sheet: str | None = None, is_sample: bool = False
) -> RecordImport:
    """Import sites (ref, name, type, latitude, longitude, address)."""
    aliases = {
        "ref": ("id", "site ref", "site id", "reference"),
        "name": ("site name", "site"),
        "site_type": ("type", "site type", "category"),
        "latitude": ("lat",),
        "longitude": ("lon", "lng", "long"),
        "address_line": ("address", "address line", "location", "place address", "site address"),
        "district_code": ("district", "district code"),
    }
    name, frame = _rows(path, aliases, ("name", "site_type", "latitude", "longitude"), sheet)

    def handle(session: Session, row: pd.Series) -> bool:
        ref = _text(row, "ref") or None
        if ref and session.scalar(select(Site.id).where(Site.external_ref == ref)):
            return False
        try:
            lat, lon = float(_text(row, "latitude")), float(_text(row, "longitude"))
        except ValueError as exc:
            raise InputError("location: latitude and longitude must be numbers") from exc
        sites.create_site(
            session,
            actor=actor,
            is_sample=is_sample,
            data=sites.SiteIn(
                name=_text(row, "name"),
                site_type=_text(row, "site_type").lower().replace(" ", "_"),
                lat=lat,
                lon=lon,
                address_line=_text(row, "address_line"),
                district_code=_text(row, "district_code") or None,
                external_ref=ref,
            ),
        )
        return True

    return _run(engine, name, frame, actor, "site", handle, is_sample=is_sample)


def import_assessments(
    engine: Engine, path: Path, *, actor: Actor, sheet: str | None = None, is_sample: bool = False
) -> RecordImport:
    """Import assessments (ref, site_ref, assessed_on, organisation, officer, answers, risk...)."""
    aliases = {
        "ref": ("id", "assessment ref", "reference"),
        "site_ref": ("site", "site id", "site reference"),
        "assessed_on": ("date", "assessment date", "assessed"),
        "organisation": ("organization", "assessing organisation", "agency"),
        "officer": ("assessing officer", "assessor"),
        "status": ("state",),
        "risk_rating": ("risk", "risk level"),
        "risk_reasons": ("reasons", "risk reasons"),
        "findings": ("finding", "summary of findings"),
        "next_review_on": ("review date", "next review", "review due"),
        "reviewed_by": ("reviewer", "reviewed by"),
    }
    aliases.update({q.key: (q.label.lower(),) for q in QUESTIONS})
    name, frame = _rows(
        path, aliases, ("site_ref", "assessed_on", "organisation", "officer"), sheet
    )

    def handle(session: Session, row: pd.Series) -> bool:
        ref = _text(row, "ref") or None
        if ref and session.scalar(select(Assessment.id).where(Assessment.external_ref == ref)):
            return False
        site_id = session.scalar(select(Site.id).where(Site.external_ref == _text(row, "site_ref")))
        if site_id is None:
            raise InputError(f"site: no site with ref {_text(row, 'site_ref')!r}")
        answers: dict[str, Any] = {}
        for question in QUESTIONS:
            value = _text(row, question.key)
            if value:
                answers[question.key] = (
                    [v.strip() for v in value.split(";")] if question.kind == "multi" else value
                )
        assessed_on = _date(row, "assessed_on")
        if assessed_on is None:
            raise InputError("assessed on: give the date of the assessment")
        data = records.AssessmentIn(
            site_id=site_id,
            assessed_on=assessed_on,
            organisation=_text(row, "organisation"),
            officer=_text(row, "officer"),
            answers=answers,
            risk_rating=_text(row, "risk_rating").lower() or None,
            risk_reasons=_text(row, "risk_reasons"),
            findings=_text(row, "findings"),
            next_review_on=_date(row, "next_review_on"),
            external_ref=ref,
        )
        status = _text(row, "status").lower() or "draft"
        if status not in ("draft", "submitted", "reviewed"):
            raise InputError(f"status: unknown status {status!r}")
        reviewer = _text(row, "reviewed_by") or "imported"
        if status == "reviewed":
            _check_imported_review(actor, reviewer, officer=data.officer)
        if status != "draft":
            records.validate_assessment(data, complete=True)
        assessment = records.create_assessment(session, actor=actor, data=data, is_sample=is_sample)
        if status != "draft":
            assessment.status = status
            assessment.submitted_at = dt.datetime.combine(assessed_on, dt.time(12), dt.UTC)
            if status == "reviewed":
                assessment.reviewed_by = reviewer
                assessment.reviewed_at = assessment.submitted_at
        return True

    return _run(engine, name, frame, actor, "assessment", handle, is_sample=is_sample)


def _check_imported_review(actor: Actor, reviewer: str, *, officer: str) -> None:
    """Refuse an imported review that would be the importer reviewing their own assessment.

    The importer becomes the assessment's author, so a district officer importing
    ``status=reviewed`` would review their own work: they import it as submitted and a colleague
    reviews it in the app (or with ``saferplaces assessments review``). The partnership's central
    team may bring in reviews done before Safer Places, naming someone else as the reviewer.
    """
    if actor.role not in ("admin", "analyst"):
        msg = (
            "status: a district officer cannot import an assessment as reviewed (it would be "
            "reviewed by its own author); import it as submitted and ask a colleague to review it"
        )
        raise InputError(msg)
    if reviewer.casefold() in {actor.username.casefold(), officer.strip().casefold()}:
        msg = "reviewed by: an assessment is reviewed by someone other than its author"
        raise InputError(msg)


def import_actions(
    engine: Engine, path: Path, *, actor: Actor, sheet: str | None = None, is_sample: bool = False
) -> RecordImport:
    """Import actions (ref, assessment_ref, description, agency, owner, due, status...)."""
    aliases = {
        "ref": ("id", "action ref", "reference"),
        "assessment_ref": ("assessment", "assessment id"),
        "description": ("action",),
        "agency": ("owning agency", "organisation"),
        "owner": ("action owner",),
        "due_on": ("due", "due date"),
        "status": ("state",),
        "completed_on": ("completed", "completion date"),
        "completion_note": ("note", "completion note"),
    }
    name, frame = _rows(path, aliases, ("assessment_ref", "description", "agency"), sheet)

    def handle(session: Session, row: pd.Series) -> bool:
        ref = _text(row, "ref") or None
        if ref and session.scalar(select(Action.id).where(Action.external_ref == ref)):
            return False
        assessment_id = session.scalar(
            select(Assessment.id).where(Assessment.external_ref == _text(row, "assessment_ref"))
        )
        if assessment_id is None:
            raise InputError(f"assessment: no assessment with ref {_text(row, 'assessment_ref')!r}")
        records.add_action(
            session,
            actor=actor,
            assessment_id=assessment_id,
            is_sample=is_sample,
            data=records.ActionIn(
                description=_text(row, "description"),
                agency=_text(row, "agency"),
                owner=_text(row, "owner"),
                due_on=_date(row, "due_on"),
                status=_text(row, "status").lower() or "open",
                completed_on=_date(row, "completed_on"),
                completion_note=_text(row, "completion_note"),
                external_ref=ref,
            ),
        )
        return True

    return _run(engine, name, frame, actor, "action", handle, is_sample=is_sample)


def export_records(engine: Engine, *, fmt: str = "csv", actor: Actor) -> dict[str, bytes] | bytes:
    """Export sites, assessments and actions (formula-safe): CSVs by name, or one XLSX."""
    require(actor, "export")
    with Session(engine) as session:
        frames = {
            "sites": sites.list_sites(session),
            "assessments": records.list_assessments(session, details=True),
            "actions": records.list_actions(session),
        }
        record_export(
            session,
            actor=actor,
            what="records",
            rows=sum(len(f) for f in frames.values()),
            filters={name: len(f) for name, f in frames.items()},
            fmt=fmt,
        )
        session.commit()
    if fmt == "xlsx":
        return encode_table(frames, fmt="xlsx")
    return {name: encode_table(frame) for name, frame in frames.items()}
