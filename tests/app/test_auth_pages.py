"""AppTest: sign-in, the demo analyst, first password change, admin pages and the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import users
from assessments.audit import list_events
from cli.identity import OPERATOR
from tests.app.signin import signed_in

pytestmark = pytest.mark.usefixtures("configured")
ROOT = Path(__file__).resolve().parents[2]


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def _add(engine, username, role, password="a long pass phrase", districts=None):
    with Session(engine) as session, session.begin():
        users.add_user(
            session,
            actor=OPERATOR,
            username=username,
            role=role,
            password=password,
            districts=districts,
        )


def _labelled(widgets, label):
    return next(w for w in widgets if w.label == label)


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_without_samples_the_app_asks_to_sign_in(configured):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Safer Places"
    assert [b.label for b in at.button] == ["Sign in"]


def test_wrong_password_shows_a_clear_error(configured):
    _add(configured, "ana", "analyst")
    at = _sign_in(_app().run(), "ana", "nope nope nope")
    assert not at.exception
    assert "wrong user name or password" in at.error[0].value


def test_analyst_signs_in_and_sees_no_admin_pages(configured):
    _add(configured, "ana", "analyst")
    at = _sign_in(_app().run(), "ana", "a long pass phrase")
    assert not at.exception
    assert any("Signed in as **ana**" in c.value for c in at.caption)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/admin_users.py").run()


@pytest.mark.parametrize("page", ["admin_users.py", "audit.py"])
def test_admin_pages_refuse_other_roles_even_when_reached_directly(configured, page):
    _add(configured, "vic", "viewer")
    viewer = users.authenticate(configured, "vic", "a long pass phrase")
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=60)
    signed_in(at, viewer)
    at.run()
    assert not at.exception
    assert "You do not have access to this page" in at.error[0].value
    assert not at.dataframe


def test_one_time_password_must_be_changed_first(configured):
    with Session(configured) as session, session.begin():
        _, one_time = users.add_user(session, actor=OPERATOR, username="new", role="viewer")
    at = _sign_in(_app().run(), "new", one_time)
    assert not at.exception
    assert at.title[0].value == "Your account"
    assert "Choose your own password" in at.warning[0].value


def test_admin_adds_a_user_and_the_audit_page_shows_it(configured):
    _add(configured, "boss", "admin")
    at = _sign_in(_app().run(), "boss", "a long pass phrase")
    at.switch_page("app_pages/admin_users.py").run()
    assert not at.exception
    _labelled(at.text_input, "User name").input("dora")
    _labelled(at.text_input, "District codes (district officers; comma separated)").input(
        "E07000199"
    )
    _labelled(at.selectbox, "Role").set_value("district")
    _labelled(at.button, "Add user").click()
    at.run()
    assert not at.exception
    assert "One-time password" in at.success[0].value
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception
    boss = users.authenticate(configured, "boss", "a long pass phrase")
    events = list_events(configured, actor=boss)
    assert {"create", "sign_in"} <= set(events["action"])
    assert "dora" in events.to_string()
