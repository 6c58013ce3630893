"""The meeting pack as an A4 PDF a chair can hand round (see ``assessments.packs``).

Page 1 is the summary; then one page per priority place; then overdue reviews and late
actions; then the appendix. Headings are kept with what follows them (never stranded at the
foot of a page); fonts are embedded (DejaVu Sans, which has the trend arrows); every page is
marked.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import matplotlib as mpl
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from geo.labels import GLOSSARY, format_date
from geo.priority import FORMULA
from layers.print_map import bar_chart_drawing, map_drawing

if TYPE_CHECKING:
    from assessments.packs import Pack

__all__ = ["render_pdf"]

_WIDTH = A4[0] - 30 * mm
_GREY = colors.HexColor("#f0f0f0")
_RULE = colors.HexColor("#9e9e9e")


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (shipped with matplotlib): embedded, and it has ↑ ↓ →."""
    folder = Path(mpl.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


@functools.lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12, alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=18, leading=22),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10.5, leading=14),
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName=bold,
            fontSize=14,
            leading=18,
            spaceBefore=6,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=bold,
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "cellbold": ParagraphStyle("cellbold", parent=body, fontName=bold, fontSize=8, leading=10),
        "bullet": ParagraphStyle(
            "bullet", parent=body, fontSize=10, leading=13.5, leftIndent=10, bulletIndent=0
        ),
    }


def _para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def _table(
    frame: pd.DataFrame,
    widths: list[float] | None = None,
    *,
    bold_first: bool = False,
    width: float = _WIDTH,
) -> Table:
    """Return a table of text cells that wrap; the header row repeats on a new page."""
    styles = _styles()
    header = [Paragraph(escape(str(c)), styles["cellbold"]) for c in frame.columns]
    rows = [
        [
            Paragraph(
                escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)),
                styles["cellbold" if bold_first and i == 1 else "cell"],
            )
            for i, v in enumerate(row)
        ]
        for row in frame.itertuples(index=False)
    ]
    if widths is not None:
        widths = [w * width / sum(widths) for w in widths]
    table = Table([header, *rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
                ("BACKGROUND", (0, 0), (-1, 0), _GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _section(
    title: str,
    frame: pd.DataFrame,
    empty: str,
    widths: list[float] | None = None,
    *,
    width: float = _WIDTH,
    keep: bool = True,
) -> Any:
    """Return a heading kept together with its table (or its 'none' line)."""
    body: Any = _para(empty) if frame.empty else _table(frame, widths, width=width)
    if keep and (frame.empty or len(frame) <= 12):
        return KeepTogether([_para(title, "h2"), body])
    return [_para(title, "h2"), body]


def _summary_page(pack: Pack) -> list[Any]:
    styles = _styles()
    top = pack.hotspots[pack.hotspots["status"] != "closed"].head(10)
    story: list[Any] = [
        _para("Strategy meeting pack", "title"),
        _para(f"Meeting on {format_date(pack.meeting_date)} · {pack.scope}", "subtitle"),
        Spacer(1, 3 * mm),
        _para(f"Since the last meeting ({format_date(pack.previous_meeting)})", "h2"),
    ]
    story += [Paragraph(escape(line), styles["bullet"], bulletText="•") for line in pack.summary]
    shown = top[["rank", "place", "districts", "incidents", "trend", "coverage", "status"]]
    story += [
        KeepTogether(
            [
                _para(f"The {len(top)} places to discuss first", "h2"),
                _table(shown, [7, 27, 18, 11.5, 11, 17, 14], bold_first=True)
                if not top.empty
                else _para("The register holds no active place."),
                _para(
                    "In priority order (explained in the appendix); each has a page after this "
                    f"one. Incidents over each place's own period; {pack.profile.describe()}.",
                    "small",
                ),
            ]
        )
    ]
    due = pack.decisions_due
    title = f"Decisions due by {format_date(pack.next_meeting)}"
    if due.empty:
        story.append(KeepTogether([_para(title, "h2"), _para("None.")]))
    else:
        rows = due.head(6)[["place", "decision", "owner", "due", "when"]]
        more = len(due) - len(rows)
        story.append(
            KeepTogether(
                [
                    _para(title, "h2"),
                    _table(rows, [22, 44, 16, 11, 9]),
                    *([_para(f"…and {more} more in the appendix.", "small")] if more else []),
                ]
            )
        )
    return story


def _place_page(detail: dict[str, Any], pack: Pack) -> list[Any]:
    facts = pd.DataFrame(
        {
            "districts": [detail["districts"]],
            "status": [detail["status"]],
            "coverage": [detail["coverage"]],
            "incidents": [
                detail["incidents"] + (f" ({detail['period']})" if detail["period"] else "")
            ],
            "trend": [detail["trend"]],
        }
    )
    head: list[Any] = [
        _para(f"{detail['rank']}. {detail['name']}", "h1"),
        _table(facts, [22, 16, 18, 26, 14]),
    ]
    if detail["source"] == "manual":
        head.append(_para(f"Added by the panel: {detail['reason']}", "small"))
    story: list[Any] = [PageBreak(), KeepTogether(head), Spacer(1, 2 * mm)]
    regular, _ = _fonts()
    place_map = detail["map"]
    story.append(
        KeepTogether(
            [
                map_drawing(
                    hexes=place_map["hexes"],
                    outline=place_map["outline"],
                    districts=place_map["districts"],
                    sites=place_map["sites"],
                    threshold=pack.profile.threshold,
                    suppressed_label=pack.profile.suppressed_label,
                    width=_WIDTH,
                    height=_WIDTH * 0.46,
                    font=regular,
                ),
                _para(
                    f"{detail.get('records', 'Incidents')} per hexagon, {pack.map_period} "
                    "(hexagons of H3 resolution "
                    f"{detail['map_res']}, smaller than the place).",
                    "small",
                ),
            ]
        )
    )
    if len(detail["months"]):
        story.append(
            KeepTogether(
                [
                    _para(f"{detail.get('records', 'Incidents')} by month", "h2"),
                    bar_chart_drawing(
                        detail["months"],
                        width=_WIDTH,
                        height=92,
                        font=regular,
                        hidden_label=pack.profile.suppressed_label,
                    ),
                ]
            )
        )
    cats = detail["categories"]
    sites = detail["sites"]
    left = _section(
        "Categories", cats, "No incidents recorded.", [2.6, 1.4], width=_WIDTH * 0.36, keep=False
    )
    right = _section(
        "Sites in this place",
        sites,
        "No assessed site inside this place.",
        [3.0, 2.3, 1.9, 2.3, 2.0],
        width=_WIDTH * 0.61,
        keep=False,
    )
    pair = Table([[left, right]], colWidths=[_WIDTH * 0.38, _WIDTH * 0.62], hAlign="LEFT")
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(pair)
    story.append(
        _section("Decisions", detail["decisions"], "No decision recorded yet.", [3, 8, 3, 2.5])
    )
    links = detail.get("episode_links")
    if links is not None and not links.empty:
        story.append(
            _section(
                "Missing episodes and exploitation (the resolution-7 cells it touches)",
                links,
                "",
                [3, 3, 3, 2],
            )
        )
        story.append(_para(detail.get("episode_lead", ""), "small"))
    return story


def _appendix(pack: Pack) -> list[Any]:
    from assessments.packs import CHANGE_LABELS

    story: list[Any] = [PageBreak(), _para("Appendix", "h1")]
    story.append(_para("A. What changed since the last meeting, in detail", "h2"))
    for key, label in CHANGE_LABELS.items():
        frame = pack.changes.get(key, pd.DataFrame())
        story.append(_section(f"{label}: {len(frame)}", frame, "None."))
    if len(pack.decisions_due) > 6:
        story.append(
            _section(
                f"All decisions due by {format_date(pack.next_meeting)}",
                pack.decisions_due,
                "None.",
            )
        )
    if len(pack.hotspots) > len(pack.details):
        story += [
            CondPageBreak(40 * mm),
            _section(
                "B. Every active place in priority order",
                pack.hotspots,
                "None.",
                [4, 5, 26, 18, 8, 10, 12, 16, 12],
            ),
        ]
    method = [
        *pack.method,
        "Priority: " + FORMULA.replace("priority = ", "") + ".",
        f"Numbers: {pack.profile.describe()}.",
        "Counts of places, decisions, reviews and actions are shown as they are; every count "
        "of incidents is protected.",
    ]
    story += [
        CondPageBreak(50 * mm),
        _para("C. How places were found and ranked", "h2"),
        *[_para(line) for line in method],
        *[_para(line) for line in pack.episode_method],
        _section("D. Data sources", pack.sources, "No data imported.", [14, 6, 8, 4]),
        CondPageBreak(50 * mm),
        _para("E. Words used in this pack", "h2"),
    ]
    for term in (
        "Hotspot",
        "Place of concern",
        "DBSCAN",
        "Trend",
        "Priority",
        "Assessment coverage",
        "Hexagon (H3 resolution)",
        "Gi* (Getis-Ord)",
        "Disclosure profiles",
    ):
        story.append(
            Paragraph(f"<b>{escape(term)}.</b> {escape(GLOSSARY[term])}", _styles()["body"])
        )
    return story


def render_pdf(pack: Pack) -> bytes:
    """Render ``pack`` as A4 PDF bytes."""
    from assessments.packs import MARKING

    regular, bold = _fonts()
    buffer = io.BytesIO()
    footer = f"Strategy meeting pack, {format_date(pack.meeting_date)}"

    def marking(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(bold, 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, MARKING)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, MARKING)
        canvas.setFont(regular, 7.5)
        canvas.drawString(15 * mm, 8 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    story = _summary_page(pack)
    for detail in pack.details:
        story += _place_page(detail, pack)
    story += [
        PageBreak(),
        _section(
            "Site reviews overdue",
            pack.overdue,
            "None: every assessed site is within its review date.",
            [10, 5, 4, 4],
        ),
        CondPageBreak(30 * mm),
        _section(
            "Late actions, by agency",
            pack.late_actions,
            "None.",
            [5, 12, 5, 4, 8, 5],
        ),
    ]
    story += _appendix(pack)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Strategy meeting pack, {format_date(pack.meeting_date)}",
        author="Safer Places",
        subject=MARKING,
        topMargin=16 * mm,
        bottomMargin=15 * mm,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        lang="en-GB",
    )
    doc.build(_flatten(story), onFirstPage=marking, onLaterPages=marking)
    return buffer.getvalue()


def _flatten(story: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in story:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out
