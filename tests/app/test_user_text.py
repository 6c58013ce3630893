"""AppTest: user text reaches the page as escaped Markdown, never as an image or HTML (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import register, users
from cli.identity import OPERATOR
from geo.text import WORD_JOINER

pytestmark = pytest.mark.usefixtures("configured")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long pass phrase"
IMAGE = "![b](http://127.0.0.1:9/x.png)"


def _plain(markdown: str) -> str:
    """What a Markdown body shows once its backslash escapes are read."""
    out, escaped = [], False
    for char in markdown.replace(WORD_JOINER, ""):
        if char == "\\" and not escaped:
            escaped = True
            continue
        out.append(char)
        escaped = False
    return "".join(out)


def test_reasons_names_and_user_names_are_escaped_on_the_hotspots_page(configured):
    with Session(configured) as session, session.begin():
        users.add_user(
            session,
            actor=OPERATOR,
            username="boss",
            role="admin",
            password=PASSWORD,
            display_name=IMAGE,
        )
        register.add_place_of_concern(
            session, actor=OPERATOR, name=IMAGE, lat=52.8, lon=-2.1, reason=IMAGE
        )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.text_input[0].input("boss")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    reason = next(i.value for i in at.info if "Added by hand" in i.value)
    assert "![" not in reason  # an unescaped image would be fetched by the browser
    assert _plain(reason) == f"Added by hand: {IMAGE}"
    signed_in = next(c.value for c in at.sidebar.caption if "Signed in as" in c.value)
    assert "![" not in signed_in
    assert IMAGE in _plain(signed_in)


def test_error_messages_quoting_user_input_are_escaped(configured):
    with Session(configured) as session, session.begin():
        users.add_user(session, actor=OPERATOR, username="boss", role="admin", password=PASSWORD)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.text_input[0].input("boss")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("app_pages/admin_users.py").run()
    next(w for w in at.text_input if w.label == "User name").input("boss")
    next(w for w in at.button if w.label == "Add user").click()
    at.run()
    assert not at.exception
    assert "already exists" in at.error[0].value
    assert "\\'boss\\'" in at.error[0].value  # quotes escaped, as every punctuation mark
