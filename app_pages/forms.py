"""The assessment form, shared by the pages that edit assessments (not a page itself)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from assessments import site_assessments as records
from assessments.db import session_scope
from assessments.questionnaire import QUESTIONS, RISK_RATINGS
from assessments.users import SignedInUser
from geo import ConflictError, InputError
from geo.text import safe_text

__all__ = ["FLASH", "PENDING_CHOICE", "assessment_form"]

#: A confirmation shown once, after the rerun that clears a saved form.
FLASH = "sites_flash"
#: (site id, assessment id) to open after a save, set before the chooser is drawn again.
PENDING_CHOICE = "sites_assessment_pending"


def _field_error(errors: dict[str, str], key: str) -> None:
    if key in errors:
        st.markdown(f":red[⚠ {safe_text(errors[key])}]")


def _show_conflict(exc: ConflictError) -> None:
    st.error(safe_text(exc))
    keys = [k for k in exc.attempted if k in exc.current and exc.attempted[k] != exc.current[k]]
    if keys:
        st.dataframe(
            pd.DataFrame(
                {
                    "field": keys,
                    "saved by someone else": [str(exc.current[k]) for k in keys],
                    "your version": [str(exc.attempted[k]) for k in keys],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "Your version is kept in the form: reload the assessment, merge, and save again."
        )


def assessment_form(
    engine: Engine, user: SignedInUser, *, site_id: int, assessment_id: int | None
) -> None:
    """Render the assessment form for a new (``None``) or an existing draft/submitted assessment."""
    key = f"assess_{site_id}_{assessment_id}"
    errors: dict[str, str] = st.session_state.get(f"{key}_errors", {})
    if assessment_id is not None:
        with session_scope(engine) as session:
            current = records.get_assessment(session, assessment_id)
            loaded = records.AssessmentIn(
                site_id=site_id,
                assessed_on=current.assessed_on,
                organisation=current.organisation,
                officer=current.officer,
                answers=dict(current.answers),
                risk_rating=current.risk_rating,
                risk_reasons=current.risk_reasons,
                findings=current.findings,
                next_review_on=current.next_review_on,
            )
            version, status = current.version, current.status
    else:
        loaded = records.AssessmentIn(
            site_id=site_id, assessed_on=dt.date.today(), organisation="", officer=user.display_name
        )
        version, status = 0, "new"

    st.markdown(f"**Assessment** · {status}" + (f" · version {version}" if version else ""))
    if errors:
        st.error("Some answers need attention: see the messages next to the fields.")
    with st.form(key):
        c1, c2, c3 = st.columns(3)
        assessed_on = c1.date_input(
            "Assessed on", value=loaded.assessed_on, max_value=dt.date.today()
        )
        with c1:
            _field_error(errors, "assessed_on")
        organisation = c2.text_input("Assessing organisation", value=loaded.organisation)
        with c2:
            _field_error(errors, "organisation")
        officer = c3.text_input("Assessing officer", value=loaded.officer)
        with c3:
            _field_error(errors, "officer")
        answers: dict[str, object] = {}
        for question in QUESTIONS:
            value = loaded.answers.get(question.key)
            if question.kind == "choice":
                options = ["", *question.options]
                answers[question.key] = (
                    st.selectbox(
                        question.label,
                        options,
                        help=question.help or None,
                        index=options.index(value) if value in options else 0,
                        key=f"{key}_{question.key}",
                    )
                    or None
                )
            elif question.kind == "multi":
                answers[question.key] = st.multiselect(
                    question.label,
                    list(question.options),
                    help=question.help or None,
                    default=[v for v in (value or []) if v in question.options],
                    key=f"{key}_{question.key}",
                )
            else:
                answers[question.key] = st.text_area(
                    question.label,
                    value=value or "",
                    help=question.help or None,
                    key=f"{key}_{question.key}",
                    max_chars=4000,
                )
            _field_error(errors, question.key)
        _field_error(errors, "answers")
        risk_options = ["", *RISK_RATINGS]
        risk = st.selectbox(
            "Risk rating", risk_options, index=risk_options.index(loaded.risk_rating or "")
        )
        _field_error(errors, "risk_rating")
        risk_reasons = st.text_area("Reasons for the risk rating", value=loaded.risk_reasons)
        _field_error(errors, "risk_reasons")
        findings = st.text_area("Findings", value=loaded.findings)
        _field_error(errors, "findings")
        review = st.date_input(
            "Next review (blank: set from the risk rating by policy)", value=loaded.next_review_on
        )
        _field_error(errors, "next_review_on")
        b1, b2 = st.columns(2)
        save = b1.form_submit_button("Save draft")
        submit = b2.form_submit_button("Save and submit for review", type="primary")

    if not (save or submit):
        return
    data = records.AssessmentIn(
        site_id=site_id,
        assessed_on=assessed_on,
        organisation=organisation,
        officer=officer,
        answers={k: v for k, v in answers.items() if v not in (None, "", [])},
        risk_rating=risk or None,
        risk_reasons=risk_reasons,
        findings=findings,
        next_review_on=review,
    )
    try:
        records.validate_assessment(data, complete=submit)
        with session_scope(engine) as session:
            if assessment_id is None:
                saved = records.create_assessment(session, actor=user, data=data)
            else:
                saved = records.save_assessment(
                    session,
                    actor=user,
                    assessment_id=assessment_id,
                    expected_version=version,
                    data=data,
                )
            if submit:
                saved = records.submit_assessment(
                    session, actor=user, assessment_id=saved.id, expected_version=saved.version
                )
            saved_id = saved.id
    except records.FieldError as exc:
        st.session_state[f"{key}_errors"] = exc.errors
        st.rerun()
    except ConflictError as exc:
        _show_conflict(exc)
    except (InputError, PermissionError) as exc:
        st.error(safe_text(exc))
    else:
        # Clear the form's errors (the red banner and the notes next to the fields) and its
        # entries by rerunning; the confirmation is shown once after the rerun.
        st.session_state.pop(f"{key}_errors", None)
        if assessment_id is None:
            for stale in [k for k in st.session_state if str(k).startswith(f"{key}_")]:
                del st.session_state[stale]
        st.session_state[PENDING_CHOICE] = (site_id, saved_id)
        st.session_state[FLASH] = (
            f"Assessment {saved_id} {'submitted for review' if submit else 'saved as a draft'}."
        )
        st.rerun()
