"""AppTest: the Sites & assessments and Actions pages, with a form that fails validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import site_assessments as records
from assessments import sites, users
from assessments.models import Assessment
from cli.identity import OPERATOR
from tests.app.signin import signed_in
from tests.conftest import add_north_district

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def officer(configured):
    """A district officer for N1, a district with one park; signed in."""
    with Session(configured) as session, session.begin():
        add_north_district(session)
        users.add_user(
            session,
            actor=OPERATOR,
            username="nora",
            role="district",
            districts=["N1"],
            password="a long pass phrase",
        )
        sites.create_site(
            session,
            actor=OPERATOR,
            data=sites.SiteIn(name="Riverside <b>Park</b>", site_type="park", lat=52.75, lon=-2.0),
        )
    return users.authenticate(configured, "nora", "a long pass phrase")


def _app(user) -> AppTest:
    return signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), user)


def _labelled(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_assessment_form_shows_errors_next_to_fields_then_saves(configured, officer):
    at = _app(officer).run()
    at.switch_page("app_pages/sites.py").run()
    assert not at.exception
    assert "Riverside <b>Park</b>" in at.dataframe[0].value["name"].tolist()
    _labelled(at.button, "Save and submit for review").click()
    at.run()
    assert not at.exception
    assert "Some answers need attention" in at.error[0].value
    shown = " ".join(m.value for m in at.markdown)
    assert "name the assessing organisation" in shown
    assert "rate the risk before submitting" in shown
    with Session(configured) as session:
        assert session.query(Assessment).count() == 0  # nothing stored

    _labelled(at.text_input, "Assessing organisation").input("North District Council")
    _labelled(at.selectbox, "Lighting").set_value("poor")
    _labelled(at.button, "Save draft").click()
    at.run()
    assert not at.exception
    assert "saved as a draft" in at.success[0].value
    with Session(configured) as session:
        saved = session.query(Assessment).one()
        assert saved.status == "draft"
        assert saved.answers["lighting"] == "poor"
        assert saved.organisation == "North District Council"


def test_actions_page_lists_late_actions_first(configured, officer):
    with Session(configured) as session, session.begin():
        site_id = sites.list_sites(session)["id"].iloc[0]
        assessment = records.create_assessment(
            session,
            actor=officer,
            data=records.AssessmentIn(
                site_id=int(site_id), assessed_on=dt.date.today(), organisation="NDC", officer="N"
            ),
        )
        for text, days in (("Later", 20), ("Overdue lighting", -3)):
            records.add_action(
                session,
                actor=officer,
                assessment_id=assessment.id,
                data=records.ActionIn(
                    text, "Highways", due_on=dt.date.today() + dt.timedelta(days)
                ),
            )
    at = _app(officer).run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["description"].tolist() == ["Overdue lighting", "Later"]
    assert [m.value for m in at.metric] == ["2", "1", "1"]


def test_viewer_sees_sites_but_no_assessment_form(configured, officer):
    with Session(configured) as session, session.begin():
        users.add_user(
            session, actor=OPERATOR, username="vic", role="viewer", password="a long pass phrase"
        )
    viewer = users.authenticate(configured, "vic", "a long pass phrase")
    at = _app(viewer).run()
    at.switch_page("app_pages/sites.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Save draft"]
    assert any("editing is for its district" in c.value for c in at.caption)
