"""Sites, assessments, actions and register decisions refuse typed personal data (issue 14).

Both through the services and through the site and assessment imports, on both backends.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from assessments import register, site_assessments, site_imports, sites
from cli.identity import OPERATOR
from geo import InputError
from geo.ingest.personal import personal_text_problem
from tests.conftest import add_north_district


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Spoke to Jane Smith at the gate", "a person's name"),
        ("Chloe Whitmore", "a person's name"),
        ("contact chloe@example.org", "an e-mail address"),
        ("ring 07700 900123 after six", "a phone number"),
        ("NHS 943 476 5919", "an NHS number"),
        ("NI QQ123456C", "a National Insurance number"),
        ("DOB 12/04/2009", "a date of birth"),
        ("seen 03/02/1998 at the shop", "a date of birth"),
        ("lives at 14 Acacia Avenue", "a home address (house number and street)"),
        ("near ST17 4AP", "a full postcode"),
    ],
)
def test_personal_text_is_named(text, problem):
    assert personal_text_problem(text) == problem


@pytest.mark.parametrize(
    "text",
    [
        "Poor lighting along the canal path; hedges overgrown",
        "Victoria Park: gate left open after 9pm",
        "Review on 12/03/2025 with the park warden",
        "Install CCTV at the bus station",
    ],
)
def test_ordinary_findings_pass(text):
    assert personal_text_problem(text) is None


@pytest.fixture
def north(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
    return engine


def _site(session, **changes):
    data = {"name": "Riverside Park", "site_type": "park", "lat": 52.8, "lon": -2.1}
    return sites.create_site(session, actor=OPERATOR, data=sites.SiteIn(**(data | changes)))


def test_site_names_with_people_are_refused(north):
    with Session(north) as session, session.begin():
        with pytest.raises(InputError, match="name: this looks like it holds a person's name"):
            _site(session, name="Chloe Whitmore")
        with pytest.raises(InputError, match=r"address: .*a phone number"):
            _site(session, address_line="Canal Street, call 07700 900123")
        assert _site(session, address_line="14 High Street, Stafford ST16 2AB").id


def test_assessment_findings_and_actions_refuse_personal_data(north):
    with Session(north) as session, session.begin():
        site = _site(session)
        data = site_assessments.AssessmentIn(
            site_id=site.id,
            assessed_on=dt.date(2025, 1, 10),
            organisation="Council",
            officer="Pat Officer",
            findings="Jane Smith (DOB 12/04/2009) seen here most nights",
        )
        with pytest.raises(site_assessments.FieldError) as info:
            site_assessments.create_assessment(session, actor=OPERATOR, data=data)
        assert "findings" in info.value.errors
        assert "Jane" not in str(info.value)


def test_meeting_decisions_refuse_personal_data(north, tmp_path):
    with Session(north) as session, session.begin():
        place = register.add_place_of_concern(
            session, actor=OPERATOR, name="Bus station", lat=52.8, lon=-2.1, reason="referrals"
        )
        with pytest.raises(InputError, match=r"decision: .*e-mail"):
            register.add_meeting_note(
                session,
                actor=OPERATOR,
                hotspot_id=place.id,
                meeting_date=dt.date(2025, 1, 10),
                decision="write to jane.smith@example.org",
            )
        with pytest.raises(InputError, match=r"reason: .*a person's name"):
            register.add_place_of_concern(
                session, actor=OPERATOR, name="Car park", lat=52.8, lon=-2.1, reason="Jane Smith"
            )


def test_site_imports_reject_personal_rows_with_their_line(north, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,type,latitude,longitude,address\n"
        "Riverside Park,park,52.8,-2.1,Canal Street\n"
        "Chloe Whitmore,park,52.8,-2.1,\n"
        "Mill Lane shops,shop,52.8,-2.1,e-mail chloe@example.org\n"
    )
    report = site_imports.import_sites(north, path, actor=OPERATOR)
    assert report.stored == 1
    lines = dict(report.rejects)
    assert "person's name" in lines[3]
    assert "e-mail" in lines[4]
