"""Meeting packs on the samples: a first page a chair can act on, one page per place, plain words,
headings kept with their text, and no small number anywhere."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import h3
import openpyxl
import pypdf
import pytest
import shapely
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from assessments import packs
from assessments.samples import load_samples
from cli.identity import OPERATOR
from geo.disclosure import INTERNAL, PUBLICATION

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

#: What a reader must never meet in a pack: stored codes, raw column and parameter names,
#: missing values, midnight times and microsecond timestamps.
RAW = [
    r"\bn_incidents\b",
    r"\beps_m\b",
    r"\bmin_samples\b",
    r"\bcell_res\b",
    r"\bmatch_threshold\b",
    r"\bdistrict_code\b",
    r"\bhotspot_id\b",
    r"\bnext_review_on\b",
    r"\brisk_rating\b",
    r"\bfound_at\b",
    r"\bmissing_from\b",
    r"\bnan\b",
    r"\bNone\b(?![.:])",  # a missing value (the sentence "None." is ours)
    r"\bNaT\b",
    r"X0000000\d",  # district codes of the samples
    r"00:00:00",
    r"\d\d:\d\d:\d\d\.\d+",
]


@pytest.fixture
def sample_store(engine):
    load_samples(engine)
    return engine


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _raw_words(text: str) -> list[str]:
    return [pattern for pattern in RAW if re.search(pattern, text)]


def test_first_page_is_the_summary_a_chair_acts_on(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    pages = _pages(packs.pack_pdf(pack))
    first = pages[0]
    assert "Strategy meeting pack" in first
    assert "Since the last meeting" in first
    # Three lines of what changed, as the summary says them.
    for line in pack.summary:
        assert line.split(":")[0][:30] in first.replace("\n", " ")
    assert "places to discuss first" in first
    top = pack.hotspots.head(10)
    assert len(top) >= 5
    flat = re.sub(r"\s+", " ", first)
    for name in top["place"]:
        assert name in flat  # names, not numbers or codes
    for arrow in set(top["trend"].str[0]) - {"n"}:  # ↑ ↓ → as printed
        assert arrow in first
    assert "Decisions due by" in first
    assert not _raw_words(first)
    # Then one page per place, in the same order, each with a trend that names month and year.
    for detail in pack.details:
        page = next(p for p in pages if f"{detail['rank']}. {detail['name']}" in p)
        assert f"{detail['records']} by month" in page or not len(detail["months"])
        assert "Categories" in page
        if len(detail["months"]):
            assert re.search(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+20\d\d", page)
    assert "Appendix" in "".join(pages)


def test_pack_speaks_plain_words_everywhere(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    text = "\n".join(_pages(packs.pack_pdf(pack)))
    assert not _raw_words(text), _raw_words(text)
    assert "(synthetic)" in text  # district names are there instead
    assert "DBSCAN" in text
    assert "150 metres" in text
    workbook = openpyxl.load_workbook(io.BytesIO(packs.pack_xlsx(pack)))
    for sheet in workbook.worksheets:
        cells = " ".join(
            str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None
        )
        assert not _raw_words(cells), (sheet.title, _raw_words(cells))
        headers = [c.value for c in sheet[1]]
        assert all("_" not in str(h) for h in headers), (sheet.title, headers)


def _headings_at_page_foot(data: bytes) -> list[tuple[int, str]]:
    """Headings (bold, 11 pt or more) with no body text below them on their page."""
    stranded = []
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(data)).pages, start=1):
        items: list[tuple[float, float, str, str]] = []

        def visit(text, cm, tm, font, size, items=items):
            if text.strip():
                y = tm[5] * cm[3] + cm[5]
                items.append(
                    (y, size * tm[3] if tm[3] else size, str(font and font.get("/BaseFont")), text)
                )

        page.extract_text(visitor_text=visit)
        body = [y for y, size, font, _ in items if size < 10.5 and y > 60]  # not the footer
        for y, size, font, text in items:
            if size >= 10.5 and "Bold" in font and not any(b < y - 2 for b in body):
                stranded.append((number, text.strip()))
    return stranded


def test_headings_are_never_stranded_at_a_page_foot(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    data = packs.pack_pdf(pack)
    assert not _headings_at_page_foot(data)
    # The check can fail: a heading forced to the foot of a page is found.
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from assessments.pack_pdf import _styles

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build(
        [Spacer(1, 640), Paragraph("Stranded heading", _styles()["h2"])]
    )
    assert _headings_at_page_foot(buffer.getvalue())


def test_place_maps_use_hexagons_smaller_than_the_place(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    assert pack.details
    for detail in pack.details:
        outline = shapely.transform(
            detail["map"]["outline"],
            lambda xy: list(zip(*to_bng.transform(xy[:, 0], xy[:, 1]), strict=True)),
        )
        hexagon = h3.average_hexagon_area(detail["map_res"], unit="m^2")
        assert hexagon * 4 <= outline.area, (detail["name"], detail["map_res"], outline.area)
        for cell in detail["map"]["hexes"]["h3_cell"]:
            assert h3.get_resolution(h3.int_to_str(int(cell) & (2**64 - 1))) == detail["map_res"]


def test_pack_numbers_agree_with_the_hotspots_page(sample_store, configured):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    page = at.dataframe[0].value
    ours = pack.hotspots.set_index("place")
    theirs = page.set_index("name")
    assert list(pack.hotspots["place"]) == list(page["name"][: len(pack.hotspots)])
    for name in ours.index:
        assert ours.loc[name, "incidents"] == theirs.loc[name, "incidents"], name
        assert float(ours.loc[name, "priority"]) == float(theirs.loc[name, "priority"]), name
    first = _pages(packs.pack_pdf(pack))[0]
    for row in pack.hotspots.head(10).itertuples():
        assert re.search(rf"{row.rank}\s+{re.escape(row.place[:12])}", first)


def test_publication_pack_shows_no_count_under_ten(sample_store):
    """Publication profile: "c" for 1-9 (and what the noise takes below 10), the rest perturbed
    by the cell key method with the register's key sums (the samples' runs kept them)."""
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=PUBLICATION, top=3
    )
    workbook = openpyxl.load_workbook(io.BytesIO(packs.pack_xlsx(pack)))
    assert {
        "summary",
        "places",
        "decisions due",
        "categories",
        "by month",
        "overdue reviews",
        "late actions",
        "changes",
        "sources",
        "about",
    } <= set(workbook.sheetnames)
    for name, column in (
        ("places", "incidents"),
        ("categories", "incidents"),
        ("by month", "incidents"),
    ):
        sheet = workbook[name]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            value = row[header.index(column)]
            assert value == "c" or int(value) == 0 or int(value) >= 10
    sheet = workbook["places"]
    header = [c.value for c in sheet[1]]
    assert isinstance(sheet.cell(row=2, column=header.index("priority") + 1).value, float)
    text = "\n".join(_pages(packs.pack_pdf(pack)))
    assert "24998" not in text
    assert "24,998" not in text
    for value in re.findall(
        r"(\S+) \((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20", text
    ):
        assert value == "c" or int(value) == 0 or int(value) >= 10
    # perturbed, not rounded: some shown count is not a multiple of 5
    places = workbook["places"]
    header = [c.value for c in places[1]]
    shown = [r[header.index("incidents")] for r in places.iter_rows(min_row=2, values_only=True)]
    assert any(str(v).isdigit() and int(v) % 5 for v in shown)


def test_pack_is_reproducible(sample_store):
    args = {"actor": OPERATOR, "meeting_date": dt.date(2026, 11, 20), "profile": INTERNAL, "top": 2}
    first = packs.build_pack(sample_store, **args)
    second = packs.build_pack(sample_store, **args)
    assert first.hotspots.equals(second.hotspots)
    assert first.late_actions.equals(second.late_actions)
    assert first.summary == second.summary


def test_pack_page_makes_a_pdf_to_download(sample_store, configured):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/pack.py").run()
    assert not at.exception
    next(b for b in at.button if b.label == "Make the pack").click()
    at.run()
    assert not at.exception
    assert any(b.label == "Download the PDF" for b in at.get("download_button"))


def test_pack_place_pages_show_missing_episode_links_protected(sample_store):
    pack = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=PUBLICATION, top=3
    )
    assert pack.episode_method
    assert "resolution-7" in pack.episode_method[0]
    for detail in pack.details:
        links = detail["episode_links"]
        assert list(links.columns) == [
            "episode locations",
            "exploitation incidents",
            "co-location quotient",
            "p-value",
        ]
        assert detail["episode_lead"]
    workbook = openpyxl.load_workbook(io.BytesIO(packs.pack_xlsx(pack)))
    sheet = workbook["missing episodes"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    for row in rows:
        for column in ("episode locations", "exploitation incidents"):
            value = row[header.index(column)]
            assert value == "c" or int(value) == 0 or int(value) >= 10  # perturbed by keys
    from assessments.links import episode_links
    from geo.links import protect_links

    links = episode_links(sample_store, hotspot_ids=[int(d["id"]) for d in pack.details])
    by_hotspot = links.by_hotspot
    assert (by_hotspot["episodes_keysum"] > 0).eq(by_hotspot["episodes"] > 0).all()
    assert (by_hotspot["episodes_counted_keysum"] > 0).eq(by_hotspot["episodes_counted"] > 0).all()
    shown = protect_links(by_hotspot, PUBLICATION)
    for detail in pack.details:
        assert detail["episode_links"].iloc[0].to_dict() == shown.loc[int(detail["id"])].to_dict()
    text = "\n".join(_pages(packs.pack_pdf(pack)))
    assert text.count("Missing episodes and exploitation (the resolution-7 cells") == 3
    assert "Leslie & Kronenfeld" in text
    assert not _raw_words(text)


def test_a_place_the_panel_closed_is_not_among_the_places_to_discuss(sample_store):
    """Closing a place is a panel decision: the next pack leaves it out of the summary and pages."""
    from sqlalchemy.orm import Session

    from assessments import register as reg
    from assessments.models import Hotspot

    before = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    first_place = int(before.hotspots.iloc[0]["no."])
    with Session(sample_store) as session, session.begin():
        hotspot = session.get(Hotspot, first_place)
        reg.set_status(
            session,
            actor=OPERATOR,
            hotspot_id=first_place,
            expected_version=hotspot.version,
            status="closed",
            reason="Lighting fixed and the shop moved; no incidents since",
        )
    after = packs.build_pack(
        sample_store, actor=OPERATOR, meeting_date=dt.date.today(), profile=INTERNAL
    )
    assert first_place not in [d["id"] for d in after.details]
    summary_page = _pages(packs.pack_pdf(after))[0]
    closed_name = before.hotspots.iloc[0]["place"]
    assert closed_name not in re.sub(r"\s+", " ", summary_page.split("In priority order")[0])
    # The full list still holds it, as closed, below every open place.
    assert after.hotspots.iloc[-1]["no."] == first_place
    assert after.hotspots.iloc[-1]["status"] == "closed"
    assert len(after.details) == len(before.details)
