"""Meeting packs: what a strategy meeting or MACE panel reads before it meets (PDF and XLSX).

Every number passes through the same disclosure control as the map; every page is marked
OFFICIAL-SENSITIVE; maps are drawn offline (no web tiles). The same store and arguments give the
same numbers (reproducible).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import h3
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments import coverage, maps
from assessments import site_assessments as records
from assessments.audit import record_event
from assessments.changes import changes_since
from assessments.imports import list_batches, load_districts
from assessments.models import Hotspot, HotspotRun, MeetingNote
from assessments.permissions import Actor, require
from assessments.sites import list_sites
from geo.cells import cell_to_str
from geo.disclosure import DisclosureProfile, protect_counts, shown_count
from geo.export import to_safe_xlsx
from geo.filters import IncidentFilter
from geo.priority import FORMULA, priority_scores
from layers.static import render_static_map

mpl.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["MARKING", "Pack", "build_pack", "pack_pdf", "pack_xlsx"]

MARKING = "OFFICIAL-SENSITIVE"


@dataclass
class Pack:
    """Everything a pack shows, already protected by the disclosure profile."""

    meeting_date: dt.date
    previous_meeting: dt.date
    districts: list[str]
    profile: DisclosureProfile
    sources: pd.DataFrame
    parameters: dict[str, Any]
    changes: dict[str, pd.DataFrame]
    hotspots: pd.DataFrame
    details: list[dict[str, Any]] = field(default_factory=list)
    overdue: pd.DataFrame = field(default_factory=pd.DataFrame)
    late_actions: pd.DataFrame = field(default_factory=pd.DataFrame)


def _protect_column(frame: pd.DataFrame, column: str, profile: DisclosureProfile) -> None:
    frame[column] = protect_counts(frame[column].fillna(0).astype(int), profile)["label"].to_numpy()


def build_pack(
    engine: Engine,
    *,
    actor: Actor,
    meeting_date: dt.date,
    districts: list[str] | None = None,
    previous_meeting: dt.date | None = None,
    profile: DisclosureProfile,
    top: int = 10,
) -> Pack:
    """Gather and protect the contents of a pack for ``meeting_date``."""
    require(actor, "export")
    previous = previous_meeting or meeting_date - dt.timedelta(days=28)
    wanted = set(districts or [])
    states = coverage.hotspot_coverage(engine, today=meeting_date)
    if wanted:
        states = states[states["districts"].map(lambda d: bool(set(d or []) & wanted))]
    with Session(engine) as session:
        changes = changes_since(session, dt.datetime.combine(previous, dt.time(), dt.UTC))
        run = session.scalars(select(HotspotRun).order_by(HotspotRun.id.desc()).limit(1)).first()
        parameters = dict(run.params) if run else {}
        hot = {h.id: h for h in session.scalars(select(Hotspot))}
        notes = pd.DataFrame(
            session.execute(
                select(
                    MeetingNote.hotspot_id,
                    MeetingNote.meeting_date,
                    MeetingNote.decision,
                    MeetingNote.owner,
                    MeetingNote.due_on,
                )
            ).all(),
            columns=["hotspot_id", "meeting", "decision", "owner", "due"],
        )
        sites = list_sites(session)
        actions = records.list_actions(session, open_only=True, today=meeting_date)
    states = states.assign(
        trend=[hot[i].trend_direction for i in states["id"]],
        last_month=[hot[i].last_month for i in states["id"]],
    )
    significant = coverage.significant_hotspots(engine)
    states["significant"] = states["id"].map(significant).fillna(False)
    states["priority"] = priority_scores(states).round(1)
    states = states.sort_values(["priority", "id"], ascending=[False, True]).reset_index(drop=True)
    listing = states[["id", "name", "priority", "status", "state", "n_incidents", "trend"]].copy()
    _protect_column(listing, "n_incidents", profile)
    district_frame = load_districts(engine)
    details = []
    area_cells: dict[tuple[str, ...], tuple[pd.DataFrame, np.ndarray]] = {}
    for row in states.head(top).itertuples():
        record = hot[row.id]
        months = pd.Series(record.by_month or {}, dtype="int64").sort_index()
        cats = pd.Series(record.by_category or {}, dtype="int64").sort_values(ascending=False)
        inside = sites[sites["id"].isin(row.site_ids)]
        key = tuple(sorted(record.districts))
        if key not in area_cells:  # one query per set of districts, not per hotspot
            cells = maps.count_cells(
                engine, IncidentFilter(kinds=("incident",), districts=key), res=9
            )
            centres = np.array([h3.cell_to_latlng(cell_to_str(c)) for c in cells["h3_cell"]])
            area_cells[key] = (cells, centres.reshape(-1, 2))
        cells, centres = area_cells[key]
        minx, miny, maxx, maxy = shapely.from_wkb(record.boundary_wkb).buffer(0.01).bounds
        near = (
            (centres[:, 0] >= miny)
            & (centres[:, 0] <= maxy)
            & (centres[:, 1] >= minx)
            & (centres[:, 1] <= maxx)
        )
        local = cells[near].reset_index(drop=True)
        hexes = pd.concat(
            [local[["h3_cell"]], protect_counts(local["count"], profile)[["count"]]], axis=1
        )
        map_png = render_static_map(
            hexes=hexes,
            hotspots=gpd.GeoDataFrame(
                {"id": [row.id]}, geometry=[shapely.from_wkb(record.boundary_wkb)], crs=4326
            ),
            districts=district_frame[district_frame["code"].isin(record.districts)],
            sites=inside[["lat", "lon", "name"]],
            threshold=profile.threshold,
            size_inches=(5.2, 3.6),
            dpi=110,
        )
        details.append(
            {
                "id": row.id,
                "name": row.name,
                "status": row.status,
                "state": row.state,
                "incidents": shown_count(row.n_incidents, profile),
                "trend": row.trend,
                "districts": ", ".join(record.districts or []),
                "months": protect_counts(months, profile)["count"] if len(months) else months,
                "categories": protect_counts(cats, profile)["label"].head(8) if len(cats) else cats,
                "sites": inside[["name", "risk_rating", "status", "next_review_on"]],
                "decisions": notes[notes["hotspot_id"] == row.id].sort_values("meeting").tail(3),
                "map_png": map_png,
            }
        )
    overdue = sites[pd.to_datetime(sites["next_review_on"]) < pd.Timestamp(meeting_date)]
    if wanted:
        overdue = overdue[overdue["district_code"].isin(wanted)]
        actions = actions[actions["district_code"].isin(wanted)]
    late = actions[actions["late"]][
        ["agency", "description", "owner", "due_on", "site", "district_code"]
    ].sort_values(["agency", "due_on"])
    batches = list_batches(engine)
    sources = batches[["file_name", "kind", "first_month", "last_month", "rows_stored"]].copy()
    _protect_column(sources, "rows_stored", profile)
    with Session(engine) as session:
        record_event(
            session,
            actor=actor,
            action="export",
            entity="meeting_pack",
            detail={
                "meeting": meeting_date.isoformat(),
                "districts": sorted(wanted),
                "profile": profile.name,
            },
        )
        session.commit()
    return Pack(
        meeting_date=meeting_date,
        previous_meeting=previous,
        districts=sorted(wanted),
        profile=profile,
        sources=sources,
        parameters=parameters,
        changes=changes,
        hotspots=listing,
        details=details,
        overdue=overdue[["name", "district_code", "risk_rating", "next_review_on"]],
        late_actions=late,
    )


def _trend_png(months: pd.Series, profile: DisclosureProfile) -> bytes:
    fig, ax = plt.subplots(figsize=(5.2, 1.8), dpi=110)
    values = months.astype("float")
    ax.bar(range(len(values)), values.fillna(0).to_numpy(), color="#555555")
    for i, v in enumerate(values):
        if pd.isna(v):
            ax.text(i, 0, "·", ha="center", fontsize=8)
    labels = [str(m)[:7] for m in months.index]
    step = max(1, len(labels) // 6)
    ax.set_xticks(range(0, len(labels), step), labels[::step], fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title(f"Incidents by month (dots: {profile.suppressed_label})", fontsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def pack_pdf(pack: Pack) -> bytes:
    """Render the pack as an A4 PDF (embedded fonts, greyscale-safe, marked on every page)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()

    def marking(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, MARKING)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{MARKING} · page {doc.page}")
        canvas.restoreState()

    def table(frame: pd.DataFrame, widths: list[float] | None = None) -> Table:
        data = [[escape(str(c)) for c in frame.columns]] + [
            [Paragraph(escape("" if pd.isna(v) else str(v)), styles["BodyText"]) for v in row]
            for row in frame.itertuples(index=False)
        ]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("FONTSIZE", (0, 0), (-1, -1), 7),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[Any] = [
        para("Strategy meeting pack", "Title"),
        para(f"Meeting: {pack.meeting_date:%d %B %Y}."),
        para(f"Changes since the previous meeting on {pack.previous_meeting:%d %B %Y}."),
        para("Scope: " + (", ".join(pack.districts) or "all districts")),
        para(pack.profile.describe()),
        para("Hotspot parameters: " + ", ".join(f"{k} {v}" for k, v in pack.parameters.items())),
        para(f"Priority: {FORMULA}"),
        Spacer(1, 4 * mm),
        para("Data sources", "Heading2"),
        table(pack.sources.astype(str)),
        PageBreak(),
        para("What changed since the previous meeting", "Heading1"),
    ]
    labels = {
        "new": "New hotspots",
        "grown": "Grown",
        "shrunk": "Shrunk",
        "merged": "Merged",
        "split": "Split",
        "inactive": "No longer active",
        "status": "Status changes",
        "decisions": "Decisions taken",
    }
    for key, label in labels.items():
        frame = pack.changes[key]
        story.append(para(f"{label}: {len(frame)}", "Heading3"))
        if not frame.empty:
            shown = frame.drop(
                columns=[
                    c
                    for c in (
                        "districts",
                        "n_incidents",
                        "before",
                        "after",
                        "first_seen_at",
                        "last_seen_at",
                        "last_run_id",
                    )
                    if c in frame.columns
                ]
            )
            story.append(table(shown.head(25).astype(str)))
    story += [
        PageBreak(),
        para("Prioritised hotspots", "Heading1"),
        table(pack.hotspots.astype(str)),
    ]
    for detail in pack.details:
        story += [
            PageBreak(),
            para(f"#{detail['id']} {detail['name']}", "Heading2"),
            para(
                f"Status: {detail['status']} · coverage: {detail['state']} · incidents: "
                f"{detail['incidents']} · trend: {detail['trend']} · districts: "
                f"{detail['districts']}"
            ),
            Image(
                io.BytesIO(detail["map_png"]), width=150 * mm, height=100 * mm, kind="proportional"
            ),
        ]
        if len(detail["months"]):
            story.append(
                Image(
                    io.BytesIO(_trend_png(detail["months"], pack.profile)),
                    width=150 * mm,
                    height=50 * mm,
                    kind="proportional",
                )
            )
        if len(detail["categories"]):
            story += [
                para("Categories", "Heading3"),
                table(
                    detail["categories"]
                    .rename("incidents")
                    .reset_index()
                    .rename(columns={"index": "category"})
                    .astype(str)
                ),
            ]
        story += [
            para("Sites inside", "Heading3"),
            table(detail["sites"].astype(str))
            if not detail["sites"].empty
            else para("No assessed site inside this hotspot."),
            para("Last decisions", "Heading3"),
            table(detail["decisions"].drop(columns="hotspot_id").astype(str))
            if not detail["decisions"].empty
            else para("No decision recorded yet."),
        ]
    story += [
        PageBreak(),
        para("Overdue reviews", "Heading1"),
        table(pack.overdue.astype(str)) if not pack.overdue.empty else para("None."),
        para("Late actions by agency", "Heading1"),
        table(pack.late_actions.astype(str)) if not pack.late_actions.empty else para("None."),
    ]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Strategy meeting pack {pack.meeting_date}",
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
    )
    doc.build(story, onFirstPage=marking, onLaterPages=marking)
    return buffer.getvalue()


def pack_xlsx(pack: Pack) -> bytes:
    """Render the pack as XLSX: one sheet per section, typed cells, no formulas from user text."""
    cover = pd.DataFrame(
        {
            "item": ["marking", "meeting", "previous meeting", "scope", "disclosure", "priority"],
            "value": [
                MARKING,
                pack.meeting_date.isoformat(),
                pack.previous_meeting.isoformat(),
                ", ".join(pack.districts) or "all districts",
                pack.profile.describe(),
                FORMULA,
            ],
        }
    )
    changes = pd.concat(
        [
            frame.astype(str).assign(change=key)
            for key, frame in pack.changes.items()
            if not frame.empty
        ]
        or [pd.DataFrame()],
        ignore_index=True,
    )
    for column in [c for c in ("n_incidents", "before", "after") if c in changes.columns]:
        changes = changes.drop(columns=column)
    return to_safe_xlsx(
        {
            "cover": cover,
            "sources": pack.sources,
            "changes": changes,
            "hotspots": pack.hotspots,
            "overdue reviews": pack.overdue,
            "late actions": pack.late_actions,
        }
    )
