"""Categories outside the taxonomy: kept out of the Map's filters until an administrator approves.

Every import passes its categories through :func:`register_categories`: a category that is not a
police.uk crime type or a safeguarding category (and has passed the personal-data checks of
``geo.ingest``) is recorded as *pending*. Its incidents are stored and counted in every total; only
the filter lists wait until an administrator approves it (:func:`decide_category`), so a value that
slipped through the checks is not offered to every user as a choice.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.models import CategoryApproval
from assessments.permissions import Actor, require
from geo._errors import InputError
from geo.schema import POLICE_UK_CATEGORIES, SAFEGUARDING_CATEGORIES

__all__ = [
    "TAXONOMY",
    "approved_categories",
    "decide_category",
    "pending_categories",
    "register_categories",
    "shown_categories",
]

#: Categories shown without approval.
TAXONOMY: Final = frozenset((*POLICE_UK_CATEGORIES, *SAFEGUARDING_CATEGORIES))
_DECISIONS: Final = ("approved", "refused")


def register_categories(session: Session, categories: set[str], *, batch_id: int) -> list[str]:
    """Record the new categories of an import as pending; return those added."""
    new = sorted(c for c in categories if c and c not in TAXONOMY)
    if not new:
        return []
    known = set(
        session.scalars(select(CategoryApproval.name).where(CategoryApproval.name.in_(new)))
    )
    added = [c for c in new if c not in known]
    for name in added:
        session.add(CategoryApproval(name=name, status="pending", first_batch_id=batch_id))
    session.flush()
    return added


def pending_categories(engine: Engine) -> list[str]:
    """Categories waiting for an administrator's approval."""
    return _with_status(engine, "pending")


def approved_categories(engine: Engine) -> list[str]:
    """Categories outside the taxonomy that an administrator approved."""
    return _with_status(engine, "approved")


def shown_categories(engine: Engine, stored: list[str]) -> list[str]:
    """Of the categories ``stored``, those the filters may offer (taxonomy or approved)."""
    approved = set(approved_categories(engine))
    return [c for c in stored if c in TAXONOMY or c in approved]


def decide_category(*, session: Session, actor: Actor, name: str, decision: str) -> None:
    """Approve (shown in the filters) or refuse (kept out of them) a pending category."""
    require(actor, "manage_settings")
    if decision not in _DECISIONS:
        msg = f"decide 'approved' or 'refused', not {decision!r}"
        raise InputError(msg)
    record = session.scalar(select(CategoryApproval).where(CategoryApproval.name == name))
    if record is None:
        msg = "there is no such category waiting for approval"
        raise InputError(msg)
    before = record.status
    record.status = decision
    record.decided_by = actor.username
    record.decided_at = dt.datetime.now(dt.UTC)
    record_event(
        session,
        actor=actor,
        action=decision[:-1] if decision.endswith("d") else decision,
        entity="category",
        entity_id=record.id,
        before={"status": before},
        after={"status": decision},
    )


def _with_status(engine: Engine, status: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(CategoryApproval.name)
                .where(CategoryApproval.status == status)
                .order_by(CategoryApproval.name)
            ).scalars()
        )
