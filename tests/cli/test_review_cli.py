"""``saferplaces assessments review ID``: a colleague reviews, never the author."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from assessments import site_assessments as records
from assessments import sites, users
from assessments.models import Assessment
from assessments.questionnaire import QUESTIONS
from cli.identity import OPERATOR
from cli.main import main
from tests.conftest import add_north_district

PASSWORD = "a long pass phrase 1"


def _submitted_by_nora(engine) -> int:
    with Session(engine) as session, session.begin():
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
    nora = users.authenticate(engine, "nora", PASSWORD)
    with Session(engine) as session, session.begin():
        site = sites.create_site(
            session,
            actor=nora,
            data=sites.SiteIn(name="Riverside Park", site_type="park", lat=52.75, lon=-2.0),
        )
        draft = records.create_assessment(
            session,
            actor=nora,
            data=records.AssessmentIn(
                site_id=site.id,
                assessed_on=dt.date.today() - dt.timedelta(days=2),
                organisation="North DC",
                officer="Nora",
                answers={q.key: q.options[0] for q in QUESTIONS if q.kind == "choice"},
                risk_rating="high",
                risk_reasons="dark",
                findings="poor lighting",
            ),
        )
        records.submit_assessment(
            session, actor=nora, assessment_id=draft.id, expected_version=draft.version
        )
        return draft.id


def test_a_colleague_reviews_from_the_command_line_never_the_author(
    configured, capsys, monkeypatch
):
    assessment_id = _submitted_by_nora(configured)
    monkeypatch.setenv("SAFERPLACES_PASSWORD", PASSWORD)
    assert main(["--user", "nora", "assessments", "review", str(assessment_id)]) == 2
    assert "someone other than the officer who wrote it" in capsys.readouterr().err
    assert main(["--user", "olu", "assessments", "review", str(assessment_id), "--json"]) == 0
    assert '"reviewed_by": "olu"' in capsys.readouterr().out
    with Session(configured) as session:
        assert session.get(Assessment, assessment_id).status == "reviewed"
    assert main(["--user", "olu", "assessments", "review", str(assessment_id)]) == 2
    assert "only a submitted assessment" in capsys.readouterr().err
