"""Site assessments and their actions: drafts, submission, review, optimistic locking.

Two officers saving the same assessment never silently overwrite each other: every save names
the version the user opened, and a save against an older version raises :class:`ConflictError`
carrying both versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import case, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assessments.audit import record_event, snapshot
from assessments.models import Action, Assessment, Site, utcnow
from assessments.permissions import Actor, require
from assessments.questionnaire import (
    ACTION_STATUSES,
    QUESTIONS,
    RISK_RATINGS,
    next_review_date,
)
from geo._errors import ConflictError, InputError
from geo.ingest.personal import personal_text_message, personal_text_problem

__all__ = [
    "ActionIn",
    "AssessmentIn",
    "FieldError",
    "add_action",
    "answers_in_words",
    "create_assessment",
    "get_assessment",
    "list_actions",
    "list_assessments",
    "review_assessment",
    "save_assessment",
    "submit_assessment",
    "update_action",
    "validate_assessment",
]

_QUESTIONS = {q.key: q for q in QUESTIONS}


class FieldError(InputError):
    """Validation failed; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class AssessmentIn:
    """What an officer enters in the assessment form."""

    site_id: int
    assessed_on: dt.date
    organisation: str
    officer: str
    answers: dict[str, Any] = field(default_factory=dict)
    risk_rating: str | None = None
    risk_reasons: str = ""
    findings: str = ""
    next_review_on: dt.date | None = None
    external_ref: str | None = None


@dataclass
class ActionIn:
    """An action agreed in an assessment."""

    description: str
    agency: str
    owner: str = ""
    due_on: dt.date | None = None
    status: str = "open"
    completed_on: dt.date | None = None
    completion_note: str = ""
    external_ref: str | None = None


def _check_answers(answers: dict[str, Any], errors: dict[str, str]) -> None:
    for key, value in answers.items():
        question = _QUESTIONS.get(key)
        if question is None:
            errors[key] = "not a question of the assessment"
        elif question.kind == "choice" and value not in (None, "", *question.options):
            errors[key] = f"choose one of: {', '.join(question.options)}"
        elif question.kind == "multi":
            values = value if isinstance(value, list | tuple) else [value]
            unknown = [v for v in values if v not in question.options]
            if unknown:
                errors[key] = f"unknown option(s) {unknown}; choose from {list(question.options)}"
        elif question.kind == "text" and value is not None and len(str(value)) > 4000:
            errors[key] = "4000 characters at most"


def _validate(data: AssessmentIn, *, complete: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = dt.date.today()
    if not isinstance(data.assessed_on, dt.date):
        errors["assessed_on"] = "give the date of the assessment"
    elif data.assessed_on > today:
        errors["assessed_on"] = "the assessment date is in the future"
    if not data.organisation.strip():
        errors["organisation"] = "name the assessing organisation"
    if not data.officer.strip():
        errors["officer"] = "name the assessing officer"
    if data.risk_rating is not None and data.risk_rating not in RISK_RATINGS:
        errors["risk_rating"] = f"unknown risk rating; choose one of: {', '.join(RISK_RATINGS)}"
    if (
        data.next_review_on is not None
        and isinstance(data.assessed_on, dt.date)
        and data.next_review_on <= data.assessed_on
    ):
        errors["next_review_on"] = "the review date must be after the assessment date"
    if len(data.findings) > 8000:
        errors["findings"] = "8000 characters at most"
    if len(data.risk_reasons) > 4000:
        errors["risk_reasons"] = "4000 characters at most"
    _check_answers(data.answers, errors)
    texts = {"risk_reasons": data.risk_reasons, "findings": data.findings}
    texts |= {"answers": " ".join(str(v) for v in data.answers.values() if isinstance(v, str))}
    for key, value in texts.items():
        problem = personal_text_problem(value)
        if problem:
            errors.setdefault(key, personal_text_message(problem))
    if complete:
        if not data.risk_rating:
            errors.setdefault("risk_rating", "rate the risk before submitting")
        if not data.risk_reasons.strip():
            errors.setdefault("risk_reasons", "give the reasons for the risk rating")
        if not data.findings.strip():
            errors.setdefault("findings", "record the findings before submitting")
        missing = [q.label for q in QUESTIONS if q.kind == "choice" and not data.answers.get(q.key)]
        if missing:
            errors.setdefault("answers", "answer every question first: " + ", ".join(missing))
    return errors


def validate_assessment(data: AssessmentIn, *, complete: bool) -> None:
    """Raise :class:`FieldError` naming every problem (``complete``: as needed to submit)."""
    errors = _validate(data, complete=complete)
    if errors:
        raise FieldError(errors)


def _apply(assessment: Assessment, data: AssessmentIn) -> None:
    assessment.assessed_on = data.assessed_on
    assessment.organisation = data.organisation.strip()
    assessment.officer = data.officer.strip()
    assessment.answers = dict(data.answers)
    assessment.risk_rating = data.risk_rating
    assessment.risk_reasons = data.risk_reasons.strip()
    assessment.findings = data.findings.strip()
    if data.next_review_on is not None:
        assessment.next_review_on = data.next_review_on
    elif data.risk_rating:
        assessment.next_review_on = next_review_date(data.assessed_on, data.risk_rating)
    else:
        assessment.next_review_on = None


def _site_for(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise FieldError({"site_id": f"there is no site {site_id}"})
    return site


def create_assessment(
    session: Session, *, actor: Actor, data: AssessmentIn, is_sample: bool = False
) -> Assessment:
    """Start a draft assessment of a site in one of the actor's districts."""
    site = _site_for(session, data.site_id)
    require(actor, "edit_assessment", district=site.district_code)
    errors = _validate(data, complete=False)
    if errors:
        raise FieldError(errors)
    assessment = Assessment(
        site_id=site.id,
        status="draft",
        external_ref=data.external_ref,
        is_sample=is_sample,
        created_by=actor.username,
        updated_by=actor.username,
    )
    _apply(assessment, data)
    session.add(assessment)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity="assessment",
        entity_id=assessment.id,
        after=snapshot(assessment),
    )
    return assessment


def get_assessment(session: Session, assessment_id: int) -> Assessment:
    """Return an assessment or raise :class:`InputError`."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        msg = f"there is no assessment {assessment_id}"
        raise InputError(msg)
    return assessment


def _guard_version(
    record: Any, expected_version: int, attempted: dict[str, Any], what: str
) -> None:
    if record.version != expected_version:
        raise ConflictError(
            f"{what} was saved by {getattr(record, 'updated_by', '') or 'someone else'} since you "
            "opened it; compare the two versions and save again",
            current=snapshot(record),
            attempted=attempted,
        )


def _flush(session: Session, what: str, attempted: dict[str, Any]) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        msg = f"{what} was saved by someone else while you saved it; reload and try again"
        raise ConflictError(msg, attempted=attempted) from exc


def save_assessment(
    session: Session,
    *,
    actor: Actor,
    assessment_id: int,
    expected_version: int,
    data: AssessmentIn,
) -> Assessment:
    """Save changes to a draft or submitted assessment opened at ``expected_version``."""
    assessment = get_assessment(session, assessment_id)
    require(actor, "edit_assessment", district=assessment.site.district_code)
    attempted = asdict(data)
    _guard_version(assessment, expected_version, attempted, f"Assessment {assessment_id}")
    if assessment.status == "reviewed":
        msg = "a reviewed assessment cannot be changed; start a new assessment of the site"
        raise InputError(msg)
    errors = _validate(data, complete=assessment.status == "submitted")
    if errors:
        raise FieldError(errors)
    before = snapshot(assessment)
    _apply(assessment, data)
    assessment.updated_by = actor.username
    _flush(session, f"Assessment {assessment_id}", attempted)
    record_event(
        session,
        actor=actor,
        action="update",
        entity="assessment",
        entity_id=assessment.id,
        before=before,
        after=snapshot(assessment),
    )
    return assessment


def submit_assessment(
    session: Session, *, actor: Actor, assessment_id: int, expected_version: int
) -> Assessment:
    """Submit a complete draft for review."""
    assessment = get_assessment(session, assessment_id)
    require(actor, "edit_assessment", district=assessment.site.district_code)
    _guard_version(assessment, expected_version, {}, f"Assessment {assessment_id}")
    if assessment.status != "draft":
        msg = f"only a draft can be submitted; this assessment is {assessment.status}"
        raise InputError(msg)
    data = AssessmentIn(
        site_id=assessment.site_id,
        assessed_on=assessment.assessed_on,
        organisation=assessment.organisation,
        officer=assessment.officer,
        answers=dict(assessment.answers),
        risk_rating=assessment.risk_rating,
        risk_reasons=assessment.risk_reasons,
        findings=assessment.findings,
        next_review_on=assessment.next_review_on,
    )
    errors = _validate(data, complete=True)
    if errors:
        raise FieldError(errors)
    before = snapshot(assessment)
    assessment.status = "submitted"
    assessment.submitted_at = utcnow()
    assessment.updated_by = actor.username
    _flush(session, f"Assessment {assessment_id}", {})
    record_event(
        session,
        actor=actor,
        action="submit",
        entity="assessment",
        entity_id=assessment.id,
        before=before,
        after=snapshot(assessment),
    )
    return assessment


def review_assessment(
    session: Session, *, actor: Actor, assessment_id: int, expected_version: int
) -> Assessment:
    """Mark a submitted assessment as reviewed (by someone other than its author)."""
    assessment = get_assessment(session, assessment_id)
    require(actor, "review_assessment", district=assessment.site.district_code)
    _guard_version(assessment, expected_version, {}, f"Assessment {assessment_id}")
    if assessment.status != "submitted":
        msg = f"only a submitted assessment can be reviewed; this one is {assessment.status}"
        raise InputError(msg)
    if actor.username == assessment.created_by:
        msg = "an assessment is reviewed by someone other than the officer who wrote it"
        raise InputError(msg)
    before = snapshot(assessment)
    assessment.status = "reviewed"
    assessment.reviewed_by = actor.username
    assessment.reviewed_at = utcnow()
    assessment.updated_by = actor.username
    _flush(session, f"Assessment {assessment_id}", {})
    record_event(
        session,
        actor=actor,
        action="review",
        entity="assessment",
        entity_id=assessment.id,
        before=before,
        after=snapshot(assessment),
    )
    return assessment


def _validate_action(data: ActionIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.description.strip():
        errors["description"] = "describe the action"
    elif len(data.description) > 2000:
        errors["description"] = "2000 characters at most"
    problem = personal_text_problem(data.description)
    if problem:
        errors.setdefault("description", personal_text_message(problem))
    if not data.agency.strip():
        errors["agency"] = "name the owning agency"
    if data.status not in ACTION_STATUSES:
        errors["status"] = f"choose one of: {', '.join(ACTION_STATUSES)}"
    if data.status == "done" and data.completed_on is None:
        errors["completed_on"] = "give the date the action was completed"
    if data.completed_on and data.completed_on > dt.date.today():
        errors["completed_on"] = "the completion date is in the future"
    return errors


def add_action(
    session: Session, *, actor: Actor, assessment_id: int, data: ActionIn, is_sample: bool = False
) -> Action:
    """Add an agreed action to an assessment."""
    assessment = get_assessment(session, assessment_id)
    require(actor, "edit_action", district=assessment.site.district_code)
    errors = _validate_action(data)
    if errors:
        raise FieldError(errors)
    action = Action(
        assessment_id=assessment.id,
        description=data.description.strip(),
        agency=data.agency.strip(),
        owner=data.owner.strip(),
        due_on=data.due_on,
        status=data.status,
        completed_on=data.completed_on,
        completion_note=data.completion_note.strip(),
        external_ref=data.external_ref,
        is_sample=is_sample,
        created_by=actor.username,
    )
    session.add(action)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity="action",
        entity_id=action.id,
        after=snapshot(action),
    )
    return action


def update_action(
    session: Session, *, actor: Actor, action_id: int, expected_version: int, data: ActionIn
) -> Action:
    """Change an action (status, completion...) opened at ``expected_version``."""
    action = session.get(Action, action_id)
    if action is None:
        msg = f"there is no action {action_id}"
        raise InputError(msg)
    require(actor, "edit_action", district=action.assessment.site.district_code)
    attempted = asdict(data)
    _guard_version(action, expected_version, attempted, f"Action {action_id}")
    errors = _validate_action(data)
    if errors:
        raise FieldError(errors)
    before = snapshot(action)
    action.description, action.agency = data.description.strip(), data.agency.strip()
    action.owner, action.due_on, action.status = data.owner.strip(), data.due_on, data.status
    action.completed_on = data.completed_on
    action.completion_note = data.completion_note.strip()
    _flush(session, f"Action {action_id}", attempted)
    record_event(
        session,
        actor=actor,
        action="update",
        entity="action",
        entity_id=action.id,
        before=before,
        after=snapshot(action),
    )
    return action


def answers_in_words(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Each question of the form with its answer in words ("not answered" when blank)."""
    out = []
    for question in QUESTIONS:
        value = answers.get(question.key)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        out.append((question.label, str(value) if value not in (None, "") else "not answered"))
    return out


def list_assessments(
    session: Session, *, site_id: int | None = None, details: bool = False
) -> pd.DataFrame:
    """Assessments (newest first), optionally of one site.

    ``details`` adds what was found: the reasons for the risk rating, the findings, who
    submitted and reviewed it and when, and one column per question of the form (its key).
    """
    query = (
        select(
            Assessment.id,
            Assessment.site_id,
            Site.name.label("site"),
            Site.district_code,
            Assessment.assessed_on,
            Assessment.organisation,
            Assessment.officer,
            Assessment.risk_rating,
            Assessment.status,
            Assessment.next_review_on,
            Assessment.created_by,
            Assessment.reviewed_by,
            Assessment.version,
        )
        .join(Site, Site.id == Assessment.site_id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    )
    if site_id is not None:
        query = query.where(Assessment.site_id == site_id)
    if details:
        query = query.add_columns(
            Assessment.risk_reasons,
            Assessment.findings,
            Assessment.submitted_at,
            Assessment.reviewed_at,
            Assessment.answers,
        )
    frame = pd.DataFrame(
        session.execute(query).mappings().all(), columns=[c.name for c in query.selected_columns]
    )
    if details:
        answers = frame.pop("answers")
        for question in QUESTIONS:
            frame[question.key] = [
                "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
                for v in answers.map(lambda a, k=question.key: (a or {}).get(k))
            ]
    return frame


def list_actions(
    session: Session,
    *,
    districts: list[str] | None = None,
    agencies: list[str] | None = None,
    open_only: bool = False,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Actions with their site, late ones first (then by due date), with a ``late`` column."""
    today = today or dt.date.today()
    is_open = Action.status.in_(("open", "in progress"))
    late = case((is_open & (Action.due_on < today), 1), else_=0)
    query = (
        select(
            Action.id,
            Action.description,
            Action.agency,
            Action.owner,
            Action.due_on,
            Action.status,
            Action.completed_on,
            Action.version,
            Action.assessment_id,
            Site.id.label("site_id"),
            Site.name.label("site"),
            Site.district_code,
            late.label("late"),
        )
        .join(Assessment, Assessment.id == Action.assessment_id)
        .join(Site, Site.id == Assessment.site_id)
        .order_by(late.desc(), Action.due_on.is_(None), Action.due_on, Action.id)
    )
    if districts:
        query = query.where(Site.district_code.in_(districts))
    if agencies:
        query = query.where(Action.agency.in_(agencies))
    if open_only:
        query = query.where(is_open)
    frame = pd.DataFrame(
        session.execute(query).mappings().all(), columns=[c.name for c in query.selected_columns]
    )
    frame["late"] = frame["late"].astype(bool)
    return frame
