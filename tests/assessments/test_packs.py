"""Meeting packs on the samples: sections, pages, typed sheets, and no small number anywhere."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pypdf
import pytest

from assessments import packs
from assessments.samples import load_samples
from cli.identity import OPERATOR
from geo.disclosure import INTERNAL, PUBLICATION

pytestmark = pytest.mark.slow


@pytest.fixture
def sample_store(engine):
    load_samples(engine)
    return engine


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_pack_has_its_sections_and_markings(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL, top=4
    )
    pages, text = _pdf_text(packs.pack_pdf(pack))
    assert 6 <= pages <= 30
    for section in (
        "Strategy meeting pack",
        "What changed since the previous meeting",
        "Prioritised hotspots",
        "Overdue reviews",
        "Late actions by agency",
        "Data sources",
    ):
        assert section in text
    assert text.count(packs.MARKING) >= 2 * pages  # header and footer on every page
    assert "Old quarry lane" in text


def test_publication_pack_shows_no_count_under_ten_and_rounds_to_five(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=PUBLICATION, top=3
    )
    workbook = openpyxl.load_workbook(io.BytesIO(packs.pack_xlsx(pack)))
    assert {"cover", "sources", "changes", "hotspots", "overdue reviews", "late actions"} <= set(
        workbook.sheetnames
    )
    sheet = workbook["hotspots"]
    header = [c.value for c in sheet[1]]
    counts = [
        row[header.index("n_incidents")] for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    for value in counts:
        assert value == "c" or int(value) == 0 or (int(value) >= 10 and int(value) % 5 == 0)
    assert isinstance(sheet.cell(row=2, column=header.index("priority") + 1).value, float)
    _, text = _pdf_text(packs.pack_pdf(pack))
    # Every "incidents: N" in the PDF is c or a multiple of 5 of at least 10.
    for value in re.findall(r"incidents: (\S+)", text):
        assert value == "c" or int(value) == 0 or (int(value) >= 10 and int(value) % 5 == 0)


def test_pack_is_reproducible(sample_store):
    args = {"actor": OPERATOR, "meeting_date": dt.date(2026, 11, 20), "profile": INTERNAL, "top": 2}
    first = packs.build_pack(sample_store, **args)
    second = packs.build_pack(sample_store, **args)
    assert first.hotspots.equals(second.hotspots)
    assert first.late_actions.equals(second.late_actions)
