"""AppTest: the district officer's job on the Sites page: a site placed by choice, never twice;
an assessment submitted (the red banner gone), read, reviewed by a colleague; actions added."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from assessments import site_assessments as records
from assessments import sites, users
from assessments.models import Action, Assessment, Site
from assessments.questionnaire import QUESTIONS
from cli.identity import OPERATOR
from tests.app.test_sites_pages import _app, _labelled
from tests.conftest import add_north_district

PASSWORD = "a long pass phrase"


@pytest.fixture
def officers(configured):
    """Two district officers of N1 (nora writes, olu reviews), signed in, and a park."""
    with Session(configured) as session, session.begin():
        add_north_district(session)
        for name in ("nora", "olu"):
            users.add_user(
                session,
                actor=OPERATOR,
                username=name,
                role="district",
                districts=["N1"],
                password=PASSWORD,
            )
        sites.create_site(
            session,
            actor=OPERATOR,
            data=sites.SiteIn(name="Riverside Park", site_type="park", lat=52.75, lon=-2.0),
        )
    return (
        users.authenticate(configured, "nora", PASSWORD),
        users.authenticate(configured, "olu", PASSWORD),
    )


def _sites_page(user):
    at = _app(user).run()
    at.switch_page("app_pages/sites.py").run()
    assert not at.exception
    return at


def test_a_site_needs_a_chosen_place_and_is_not_added_twice(configured, officers):
    at = _sites_page(officers[0])
    _labelled(at.text_input, "Name of the place").input("Bus station")
    _labelled(at.button, "Add site").click()
    at.run()
    assert not at.exception
    assert any("Choose the place first" in e.value for e in at.error)
    with Session(configured) as session:
        assert session.query(Site).count() == 1  # the default coordinates were not taken
    _labelled(at.number_input, "Latitude").set_value(52.8)
    _labelled(at.number_input, "Longitude").set_value(-2.1)
    _labelled(at.button, "Add site").click()
    at.run()
    assert not at.exception
    assert any("Added Bus station" in s.value for s in at.success)
    _labelled(at.button, "Add site").click()  # the same form, sent again
    at.run()
    assert any("Bus station is already a site at this place" in e.value for e in at.error)
    with Session(configured) as session:
        assert session.query(Site).filter_by(name="Bus station").count() == 1


def _fill_and_submit(at):
    _labelled(at.text_input, "Assessing organisation").input("North District Council")
    for question in QUESTIONS:
        if question.kind == "choice":
            _labelled(at.selectbox, question.label).set_value(question.options[0])
    _labelled(at.selectbox, "Risk rating").set_value("high")
    _labelled(at.text_area, "Reasons for the risk rating").input("Dark after 6pm")
    _labelled(at.text_area, "Findings").input("No natural guardians after dark")
    _labelled(at.button, "Save and submit for review").click()
    return at.run()


def test_submit_clears_the_red_banner_then_a_colleague_reviews(configured, officers):
    nora, olu = officers
    at = _sites_page(nora)
    _labelled(at.button, "Save and submit for review").click()
    at.run()
    assert "Some answers need attention" in at.error[0].value
    _fill_and_submit(at)
    assert not at.exception
    assert any("submitted for review" in s.value for s in at.success)
    assert not [e for e in at.error if "need attention" in e.value]  # the banner is gone
    shown = " ".join(m.value for m in at.markdown)
    assert "⚠" not in shown  # and so are the notes next to the fields
    with Session(configured) as session:
        assessment = session.query(Assessment).one()
        assert assessment.status == "submitted"
    # The author cannot review their own assessment; they can add an action.
    assert not [b for b in at.button if b.label == "Mark reviewed"]
    assert any("a colleague reviews it" in c.value for c in at.caption)
    _labelled(at.text_area, "What will be done").input("Ask highways to fix the lights")
    _labelled(at.text_input, "Owning agency").input("Highways")
    _labelled(at.button, "Add action").click()
    at.run()
    assert not at.exception
    assert any("Action added for Highways" in s.value for s in at.success)
    with Session(configured) as session:
        assert session.query(Action).one().description == "Ask highways to fix the lights"

    # A colleague reads the answers and findings, and reviews it.
    at = _sites_page(olu)
    _labelled(at.selectbox, "Assessment").set_value(assessment.id)
    at.run()
    answers = next(d.value for d in at.dataframe if "question" in d.value.columns)
    by_question = dict(zip(answers["question"], answers["answer"], strict=True))
    guardians = next(q for q in QUESTIONS if q.key == "natural_guardians")
    assert by_question[guardians.label] == guardians.options[0]
    assert "No natural guardians after dark" in " ".join(m.value for m in at.markdown)
    _labelled(at.button, "Mark reviewed").click()
    at.run()
    assert not at.exception
    assert any("marked reviewed" in s.value for s in at.success)
    with Session(configured) as session:
        done = session.get(Assessment, assessment.id)
        assert (done.status, done.reviewed_by) == ("reviewed", "olu")
    assert "Reviewed by **olu**" in " ".join(m.value for m in at.markdown)


def test_an_officer_edits_their_actions_on_the_actions_page(configured, officers):
    nora, _ = officers
    with Session(configured) as session, session.begin():
        site_id = int(sites.list_sites(session)["id"].iloc[0])
        assessment = records.create_assessment(
            session,
            actor=nora,
            data=records.AssessmentIn(
                site_id=site_id, assessed_on=dt.date.today(), organisation="NDC", officer="N"
            ),
        )
        records.add_action(
            session,
            actor=nora,
            assessment_id=assessment.id,
            data=records.ActionIn("Trim the hedges", "Parks"),
        )
    at = _app(nora).run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    _labelled(at.text_area, "What will be done").input("Trim the hedges by the gate")
    _labelled(at.text_input, "Owner (a role or team)").input("Parks team")
    _labelled(at.button, "Save").click()
    at.run()
    assert not at.exception
    with Session(configured) as session:
        action = session.query(Action).one()
        assert (action.description, action.owner) == ("Trim the hedges by the gate", "Parks team")
