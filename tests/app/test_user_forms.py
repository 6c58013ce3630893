"""AppTest: the Users page pre-fills each user's role; new users start as viewers (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import users
from cli.identity import OPERATOR

pytestmark = pytest.mark.usefixtures("configured")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long pass phrase"


def _add(engine, username, role, districts=None):
    with Session(engine) as session, session.begin():
        users.add_user(
            session,
            actor=OPERATOR,
            username=username,
            role=role,
            password=PASSWORD,
            districts=districts,
        )


def _users_page(engine) -> AppTest:
    _add(engine, "boss", "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.text_input[0].input("boss")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("app_pages/admin_users.py").run()
    assert not at.exception
    return at


def _labelled(widgets, label, nth=0):
    return [w for w in widgets if w.label == label][nth]


def _user(engine, username):
    with Session(engine) as session:
        user = users.get_user(session, username)
        return user.role, list(user.districts), user.is_active


def test_ticking_only_disabled_keeps_a_district_officers_role(configured):
    _add(configured, "dora", "district", districts=["E07000199"])
    at = _users_page(configured)
    _labelled(at.selectbox, "User").set_value("dora").run()
    assert _labelled(at.selectbox, "Role", 1).value == "district"  # pre-filled
    assert _labelled(at.text_input, "District codes (district officers)").value == "E07000199"
    _labelled(at.radio, "Account").set_value("disabled")
    _labelled(at.button, "Save changes").click()
    at.run()
    assert not at.exception
    assert _user(configured, "dora") == ("district", ["E07000199"], False)


def test_a_role_change_is_the_role_chosen(configured):
    _add(configured, "vic", "viewer")
    at = _users_page(configured)
    _labelled(at.selectbox, "User").set_value("vic").run()
    assert _labelled(at.selectbox, "Role", 1).value == "viewer"
    _labelled(at.selectbox, "Role", 1).set_value("analyst")
    _labelled(at.button, "Save changes").click()
    at.run()
    assert not at.exception
    assert _user(configured, "vic") == ("analyst", [], True)


def test_a_new_user_is_a_viewer_unless_another_role_is_chosen(configured):
    at = _users_page(configured)
    assert _labelled(at.selectbox, "Role").value == "viewer"
    _labelled(at.text_input, "User name").input("newbie")
    _labelled(at.button, "Add user").click()
    at.run()
    assert not at.exception
    assert "One-time password" in at.success[0].value
    assert _user(configured, "newbie") == ("viewer", [], True)


def test_update_user_changes_only_what_is_given(configured):
    _add(configured, "dora", "district", districts=["E07000199"])
    with Session(configured) as session, session.begin():
        users.update_user(session, actor=OPERATOR, username="dora", active=False)
    assert _user(configured, "dora") == ("district", ["E07000199"], False)
    with Session(configured) as session, session.begin():
        users.update_user(session, actor=OPERATOR, username="dora", districts=["E07000197"])
    assert _user(configured, "dora") == ("district", ["E07000197"], False)
