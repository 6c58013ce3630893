"""AppTest: an administrator approves a new category on the Import page; the Map then offers it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import imports, users
from assessments.incidents import taxonomy_in_store
from cli.identity import OPERATOR
from tests.app.signin import signed_in

ROOT = Path(__file__).resolve().parents[2]


def test_an_administrator_approves_a_pending_category(configured, tmp_path):
    path = tmp_path / "partner.csv"
    path.write_text(
        "latitude,longitude,category,month\n52.8,-2.1,Drugs,2025-01\n52.8,-2.1,Hate crime,2025-01\n"
    )
    imports.import_files(configured, [path])
    with Session(configured) as session, session.begin():
        users.add_user(
            session, actor=OPERATOR, username="ada", role="admin", password="a long pass phrase"
        )
    admin = users.authenticate(configured, "ada", "a long pass phrase")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    signed_in(at, admin)
    at.run()
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception
    assert taxonomy_in_store(configured)["categories"] == ["Drugs"]
    form_box = next(s for s in at.selectbox if s.label == "Category")
    assert form_box.options == ["Hate crime"]
    next(r for r in at.radio if r.label == "Decision").set_value("approved")
    next(b for b in at.button if b.label == "Save decision").click()
    at.run()
    assert not at.exception
    assert taxonomy_in_store(configured)["categories"] == ["Drugs", "Hate crime"]
