"""Meeting packs: what a strategy meeting or MACE panel reads before it meets (PDF and XLSX).

Built for the chair: page 1 is what changed since the last meeting in three lines, the ten
places to discuss first (names, trend arrows, coverage) and the decisions falling due; then one
page per priority place (its own map at its own scale, trend by month, categories, sites,
decisions); overdue reviews and late actions; history, data sources and how places were found
in an appendix, in plain words.

Every count of incidents passes through the same disclosure control as the map
(``geo.disclosure``); counts of hotspots, decisions, reviews and actions are workflow counts and
are shown as they are. Every page is marked OFFICIAL-SENSITIVE; maps are drawn offline (no web
tiles). The same store and arguments give the same pack (reproducible).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import h3
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
from assessments.register import key_sums
from assessments.sites import list_site_types, list_sites
from assessments.store import batch_keysums
from geo.cells import cells_to_parent
from geo.disclosure import DisclosureProfile, effective_resolution, protect_counts, shown_count
from geo.export import to_safe_xlsx
from geo.labels import (
    COVERAGE_LABELS,
    district_names,
    format_date,
    format_datetime,
    format_month,
    parameters_in_words,
    trend_label,
)
from geo.priority import priority_scores
from layers.static import hex_resolution_for_area

__all__ = ["MARKING", "Pack", "build_pack", "pack_pdf", "pack_xlsx"]

MARKING = "OFFICIAL-SENSITIVE"

#: The finest hexagons a place's map may use (H3 resolution 11, about 0.002 km²).
_FINEST = 11

#: What a pack's change sections are called, in the order a meeting reads them.
CHANGE_LABELS: dict[str, str] = {
    "new": "New hotspots",
    "grown": "Grown (20% more incidents or more)",
    "shrunk": "Shrunk (20% fewer incidents or more)",
    "merged": "Merged",
    "split": "Split",
    "inactive": "No longer active",
    "status": "Status changes",
    "decisions": "Decisions taken",
}


@dataclass
class Pack:
    """Everything a pack shows, already protected by the disclosure profile and in words."""

    meeting_date: dt.date
    previous_meeting: dt.date
    next_meeting: dt.date
    districts: list[str]
    scope: str
    profile: DisclosureProfile
    summary: list[str]
    hotspots: pd.DataFrame
    decisions_due: pd.DataFrame
    details: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, pd.DataFrame] = field(default_factory=dict)
    overdue: pd.DataFrame = field(default_factory=pd.DataFrame)
    late_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    method: list[str] = field(default_factory=list)
    map_period: str = ""
    #: Missing episodes and exploitation, by place on a page (protected), and how it was made.
    episode_links: pd.DataFrame = field(default_factory=pd.DataFrame)
    episode_method: list[str] = field(default_factory=list)


def _labels(
    counts: pd.Series, profile: DisclosureProfile, keys: pd.Series | None = None
) -> np.ndarray:
    """Shown labels of raw counts (the one path every incident count in a pack takes).

    ``keys``: the counts' key sums (cell key method); a missing one is rounded.
    """
    return protect_counts(counts.fillna(0).astype("int64"), profile, keys=keys)["label"].to_numpy()


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _window_cells(boundary: shapely.Geometry, res: int) -> np.ndarray:
    """Return the H3 cells (int64) around a hotspot, out to the frame its map shows."""
    minx, miny, maxx, maxy = boundary.bounds
    half = max(maxx - minx, (maxy - miny) * 1.6) / 2 * 1.9 + 0.004
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ring = [
        (cy - half / 1.6, cx - half),
        (cy - half / 1.6, cx + half),
        (cy + half / 1.6, cx + half),
        (cy + half / 1.6, cx - half),
    ]
    cells = h3.polygon_to_cells(h3.LatLngPoly(ring), res)
    return np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64).view(np.int64)


def _decisions_due(
    notes: pd.DataFrame,
    names: dict[int, str],
    *,
    meeting: dt.date,
    previous: dt.date,
    until: dt.date,
) -> pd.DataFrame:
    due = pd.to_datetime(notes["due"])
    window = notes[due.notna() & (due >= pd.Timestamp(previous)) & (due <= pd.Timestamp(until))]
    window = window.assign(_due=pd.to_datetime(window["due"])).sort_values(["_due", "hotspot_id"])
    return pd.DataFrame(
        {
            "place": window["hotspot_id"].map(names).to_numpy(),
            "decision": window["decision"].to_numpy(),
            "owner": window["owner"].to_numpy(),
            "due": window["due"].map(format_date).to_numpy(),
            "when": np.where(window["_due"] < pd.Timestamp(meeting), "overdue", "due").tolist(),
            "agreed at": window["meeting"].map(format_date).to_numpy(),
        }
    )


#: Sites listed on a place's page, riskiest first; the rest are counted so the page stays one page.
PLACE_PAGE_SITES = 5
_RISK_ORDER = {"very high": 0, "high": 1, "medium": 2, "low": 3}


def _records_word(kinds: list[str]) -> str:
    """Say what a place's counts count, for captions: incidents, or missing-episode locations."""
    if kinds and "incident" not in kinds:
        return "Missing-episode locations"
    return "Incidents"


def _site_rows(inside: pd.DataFrame) -> pd.DataFrame:
    """Pick the sites inside a place for its page: the riskiest few, then how many more."""
    rank = inside["risk_rating"].map(_RISK_ORDER).fillna(len(_RISK_ORDER))
    ordered = inside.assign(_rank=rank).sort_values(["_rank", "name"], kind="stable")
    shown = ordered.head(PLACE_PAGE_SITES)
    rows = pd.DataFrame(
        {
            "site": shown["name"].to_numpy(),
            "type": shown["type"].to_numpy(),
            "risk": shown["risk_rating"].fillna("not assessed").to_numpy(),
            "status": shown["status"].fillna("none").to_numpy(),
            "next review": shown["next_review_on"].map(format_date).to_numpy(),
        }
    )
    more = len(ordered) - len(shown)
    if more > 0:
        extra = f"and {more} more site{'s' if more > 1 else ''} (Sites & assessments page)"
        rows.loc[len(rows)] = [extra, "", "", "", ""]
    return rows


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
    """Gather and protect the contents of a pack for ``meeting_date``.

    ``top`` places get a page each (ten by default: the summary table lists them).
    """
    require(actor, "export")
    previous = previous_meeting or meeting_date - dt.timedelta(days=28)
    next_meeting = meeting_date + max(meeting_date - previous, dt.timedelta(days=7))
    wanted = set(districts or [])
    district_frame = load_districts(engine)
    names = dict(zip(district_frame["code"], district_frame["name"], strict=True))
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
                ).order_by(MeetingNote.meeting_date, MeetingNote.id)
            ).all(),
            columns=["hotspot_id", "meeting", "decision", "owner", "due"],
        )
        sites = list_sites(session)
        site_types = list_site_types(session)
        actions = records.list_actions(session, open_only=True, today=meeting_date)
    place_names = {i: (h.name or f"Hotspot {i}") for i, h in hot.items()}
    in_scope = set(states["id"]) if wanted else set(hot)
    states = states.assign(
        trend=[hot[i].trend_direction for i in states["id"]],
        last_month=[hot[i].last_month for i in states["id"]],
    )
    # One GROUP BY (an index-only scan) of the last twelve months at the finest resolution a map
    # may use: the Gi* significance test of the priority takes its resolution-9 parents, and
    # each place's map its window from the parents at its own resolution.
    filt = coverage.significance_filter(engine)
    finest, _ = effective_resolution(_FINEST, ("incident",), profile)
    fine = (
        maps.count_cells(engine, filt, res=finest)
        if filt is not None
        else pd.DataFrame({c: pd.Series(dtype="int64") for c in ("h3_cell", "count", "keysum")})
    )

    def at(res: int, column: str = "count") -> pd.Series:
        return fine[column].groupby(cells_to_parent(fine["h3_cell"].to_numpy(), res)).sum()

    res9 = at(9).rename_axis("h3_cell").reset_index(name="count")
    significant = coverage.significant_hotspots(engine, counts=res9) if filt is not None else {}
    states["significant"] = states["id"].map(significant).fillna(False)
    # From the incidents as shown (protected): the score cannot give back the exact count.
    states["priority"] = priority_scores(states, profile=profile, keys=states["keysum"]).round(1)
    # A place the panel has closed needs no discussion: it sinks below every open place, and
    # gets no page or place in the summary (the full list in the workbook still shows it).
    states["closed"] = states["status"] == "closed"
    states = states.sort_values(
        ["closed", "priority", "id"], ascending=[True, False, True]
    ).reset_index(drop=True)
    listing = pd.DataFrame(
        {
            "rank": np.arange(1, len(states) + 1),
            "no.": states["id"].to_numpy(),
            "place": states["name"].to_numpy(),
            "districts": [district_names(d, names) for d in states["districts"]],
            "priority": states["priority"].to_numpy(),
            "incidents": _labels(states["n_incidents"], profile, states["keysum"]),
            "trend": [trend_label(t) for t in states["trend"]],
            "coverage": states["state"].map(COVERAGE_LABELS).fillna(states["state"]).to_numpy(),
            "status": states["status"].to_numpy(),
        }
    )

    chosen = states[~states["closed"]].head(top)
    resolutions = {
        i: min(
            hex_resolution_for_area(hot[i].area_m2 or shapely.area(_bng(hot[i].boundary_wkb))),
            finest,
        )
        for i in chosen["id"]
    }
    windows = {
        i: _window_cells(shapely.from_wkb(hot[i].boundary_wkb), r) for i, r in resolutions.items()
    }
    by_res = {res: at(res) for res in set(resolutions.values())}
    keys_by_res = {res: at(res, "keysum") for res in set(resolutions.values())}
    period = (
        f"{format_month(filt.start_month)} to "
        f"{format_month(pd.Timestamp(filt.start_month) + pd.DateOffset(months=11))}"
        if filt is not None and filt.start_month
        else "no incidents held"
    )
    site_frame = sites.assign(
        type=sites["site_type"].map(site_types).fillna(sites["site_type"]),
        district=sites["district_code"].map(lambda c: names.get(c, c)),
    )
    details = []
    for rank, row in enumerate(chosen.itertuples(), start=1):
        record = hot[row.id]
        boundary = shapely.from_wkb(record.boundary_wkb)
        res = resolutions[row.id]
        counts = by_res[res]
        local = counts.reindex(windows[row.id]).dropna().astype("int64")
        hexes = pd.DataFrame({"h3_cell": local.index.to_numpy(dtype=np.int64)})
        local_keys = keys_by_res[res].reindex(local.index).to_numpy()
        hexes["count"] = protect_counts(local.reset_index(drop=True), profile, keys=local_keys)[
            "count"
        ].to_numpy()
        inside = site_frame[site_frame["id"].isin(row.site_ids)]
        months = pd.Series(record.by_month or {}, dtype="int64").sort_index()
        cats = pd.Series(record.by_category or {}, dtype="int64").sort_values(ascending=False)
        month_keys = pd.Series(key_sums(record, "by_month"), dtype="float64").reindex(months.index)
        cat_keys = pd.Series(key_sums(record, "by_category"), dtype="float64").reindex(cats.index)
        decisions = notes[notes["hotspot_id"] == row.id].tail(4)
        details.append(
            {
                "rank": rank,
                "id": row.id,
                "name": row.name,
                "source": record.source,
                "reason": record.reason,
                "status": row.status,
                "coverage": COVERAGE_LABELS.get(row.state, row.state),
                "incidents": _labels(
                    pd.Series([row.n_incidents]), profile, pd.Series([row.keysum])
                )[0],
                "trend": trend_label(row.trend),
                "districts": district_names(record.districts, names),
                "period": (
                    f"{format_month(record.first_month)} to {format_month(record.last_month)}"
                    if record.first_month and record.last_month
                    else ""
                ),
                "months": (
                    pd.Series(
                        protect_counts(months, profile, keys=month_keys)["count"].to_numpy(),
                        index=pd.to_datetime(months.index),
                    )
                    if len(months)
                    else pd.Series(dtype="Int64")
                ),
                "month_labels": pd.Series(
                    _labels(months, profile, month_keys),
                    index=[format_month(m) for m in months.index],
                ),
                "categories": pd.DataFrame(
                    {"category": cats.index[:8], "incidents": _labels(cats, profile, cat_keys)[:8]}
                ),
                "sites": _site_rows(inside),
                "decisions": pd.DataFrame(
                    {
                        "meeting": decisions["meeting"].map(format_date).to_numpy(),
                        "decision": decisions["decision"].to_numpy(),
                        "owner": decisions["owner"].to_numpy(),
                        "due": decisions["due"].map(format_date).to_numpy(),
                    }
                ),
                "map": {
                    "hexes": hexes,
                    "outline": boundary,
                    "districts": district_frame[
                        district_frame["code"].isin(record.districts or [])
                    ],
                    "sites": inside[["lat", "lon", "name"]],
                },
                "map_res": res,
                "records": _records_word((record.scope or {}).get("kinds") or []),
                "map_cells": hexes["h3_cell"].to_numpy(),
                "area_m2": float(record.area_m2 or 0.0),
            }
        )

    episode_table, episode_method = _episode_links(engine, details, profile)
    scoped_notes = notes[notes["hotspot_id"].isin(in_scope)]
    decisions_due = _decisions_due(
        scoped_notes, place_names, meeting=meeting_date, previous=previous, until=next_meeting
    )
    overdue = site_frame[pd.to_datetime(site_frame["next_review_on"]) < pd.Timestamp(meeting_date)]
    if wanted:
        overdue = overdue[overdue["district_code"].isin(wanted)]
        actions = actions[actions["district_code"].isin(wanted)]
    overdue = overdue.sort_values("next_review_on")
    late = actions[actions["late"]].sort_values(["agency", "due_on"])
    changes = _scoped_changes(changes, in_scope, place_names, names)
    summary = _summary(
        changes,
        previous=previous,
        next_meeting=next_meeting,
        decisions_due=decisions_due,
        listing=listing[~states["closed"].to_numpy()].head(top),
        overdue=len(overdue),
        late=len(late),
    )
    batches = list_batches(engine)
    sources = pd.DataFrame(
        {
            "file": batches["file_name"].to_numpy(),
            "kind": batches["kind"].astype(str).str.replace("_", " ").to_numpy(),
            "months": [
                f"{format_month(a)} to {format_month(b)}"
                for a, b in zip(batches["first_month"], batches["last_month"], strict=True)
            ],
            "rows stored": _labels(
                batches["rows_stored"], profile, keys=batches["id"].map(batch_keysums(engine))
            ),
        }
    )
    method = parameters_in_words(parameters)
    if "incidents" in parameters:
        used = shown_count(parameters["incidents"], profile, key=parameters.get("incidents_keysum"))
        method.append(f"The latest run used {used} incidents.")
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
        next_meeting=next_meeting,
        districts=sorted(wanted),
        scope=district_names(sorted(wanted), names) or "all districts",
        profile=profile,
        summary=summary,
        hotspots=listing,
        decisions_due=decisions_due,
        details=details,
        changes=changes,
        overdue=pd.DataFrame(
            {
                "site": overdue["name"].to_numpy(),
                "district": overdue["district"].to_numpy(),
                "risk": overdue["risk_rating"].fillna("").to_numpy(),
                "review was due": overdue["next_review_on"].map(format_date).to_numpy(),
            }
        ),
        late_actions=pd.DataFrame(
            {
                "agency": late["agency"].to_numpy(),
                "action": late["description"].to_numpy(),
                "owner": late["owner"].to_numpy(),
                "due": late["due_on"].map(format_date).to_numpy(),
                "site": late["site"].to_numpy(),
                "district": late["district_code"].map(lambda c: names.get(c, c)).to_numpy(),
            }
        ),
        sources=sources,
        method=method,
        map_period=period,
        episode_links=episode_table,
        episode_method=episode_method,
    )


def _episode_links(
    engine: Engine, details: list[dict[str, Any]], profile: DisclosureProfile
) -> tuple[pd.DataFrame, list[str]]:
    """Add each place page's missing-episode links; return the table and method (protected)."""
    from assessments.links import episode_links, shown_episodes_counted
    from geo.links import LAG_METHOD, lead_in_words, protect_links

    ids = [int(d["id"]) for d in details]
    if not ids or load_episodes_count(engine) == 0:
        for detail in details:
            detail["episode_links"], detail["episode_lead"] = pd.DataFrame(), ""
        return pd.DataFrame(), []
    links = episode_links(engine, hotspot_ids=ids)
    shown = protect_links(links.by_hotspot, profile)
    rows = []
    for detail in details:
        hid = int(detail["id"])
        lag = links.lag_by_hotspot.loc[hid] if hid in links.lag_by_hotspot.index else None
        counted = shown_episodes_counted(links.by_hotspot.loc[hid], profile)
        detail["episode_links"] = shown.loc[[hid]].reset_index(drop=True)
        detail["episode_lead"] = lead_in_words(lag, counted, profile)
        rows.append({"place": detail["name"], **shown.loc[hid].to_dict()})
        rows[-1]["months"] = detail["episode_lead"]
    method = [
        "Missing episodes and exploitation: each place is taken as the resolution-7 cells "
        "(about 5 km²) it touches, so nothing about missing episodes is placed more finely. "
        "The co-location quotient (Leslie & Kronenfeld 2011) compares how often the nearest "
        "neighbour of a missing-from or found-at point is an exploitation-flagged incident with "
        "the mix of all points (1: as chance gives); its p-value comes from "
        f"{links.permutations} random relabellings. " + LAG_METHOD
    ]
    return pd.DataFrame(rows).rename(columns={"months": "over the months"}), method


def load_episodes_count(engine: Engine) -> int:
    """How many missing episodes are stored."""
    from sqlalchemy import func

    from assessments.models import Episode

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Episode)).scalar_one())


def _bng(wkb: bytes | None) -> shapely.Geometry:
    frame = gpd.GeoSeries([shapely.from_wkb(wkb)], crs=4326).to_crs(27700)
    return frame.iloc[0]


def _scoped_changes(
    changes: dict[str, pd.DataFrame],
    in_scope: set[int],
    place_names: dict[int, str],
    names: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """Return the register's changes for the places in scope, as tables a reader can follow."""
    out: dict[str, pd.DataFrame] = {}
    for key, frame in changes.items():
        if key in {"new", "grown", "shrunk", "inactive"}:
            frame = frame[frame["id"].isin(in_scope)]
            out[key] = pd.DataFrame(
                {
                    "no.": frame["id"].to_numpy(),
                    "place": frame["name"].to_numpy(),
                    "districts": [district_names(d, names) for d in frame["districts"]],
                    "status": frame["status"].to_numpy(),
                }
            )
        elif key in {"merged", "split"}:
            frame = frame[frame["child_id"].isin(in_scope) | frame["parent_id"].isin(in_scope)]
            out[key] = pd.DataFrame(
                {
                    "from": frame["parent_id"].map(place_names).to_numpy(),
                    "into": frame["child_id"].map(place_names).to_numpy(),
                }
            )
        elif key == "status":
            frame = frame[frame["hotspot_id"].isin(in_scope)]
            out[key] = pd.DataFrame(
                {
                    "place": frame["hotspot_id"].map(place_names).to_numpy(),
                    "when": frame["at"].map(format_datetime).to_numpy(),
                    "by": frame["by"].to_numpy(),
                    "from": frame["from"].fillna("").to_numpy(),
                    "to": frame["to"].to_numpy(),
                    "why": frame["reason"].to_numpy(),
                }
            )
        else:  # decisions
            frame = frame[frame["hotspot_id"].isin(in_scope)]
            out[key] = pd.DataFrame(
                {
                    "place": frame["hotspot_id"].map(place_names).to_numpy(),
                    "meeting": frame["meeting"].map(format_date).to_numpy(),
                    "decision": frame["decision"].to_numpy(),
                    "owner": frame["owner"].to_numpy(),
                    "due": frame["due"].map(format_date).to_numpy(),
                }
            )
    return out


def _summary(
    changes: dict[str, pd.DataFrame],
    *,
    previous: dt.date,
    next_meeting: dt.date,
    decisions_due: pd.DataFrame,
    listing: pd.DataFrame,
    overdue: int,
    late: int,
) -> list[str]:
    """Say what changed since the last meeting in three lines (workflow counts, as they are)."""
    moved = [
        _plural(len(changes["new"]), "new hotspot"),
        f"{len(changes['grown'])} grown",
        f"{len(changes['shrunk'])} shrunk",
        f"{len(changes['merged']) + len(changes['split'])} merged or split",
        f"{len(changes['inactive'])} no longer active",
    ]
    register = f"Since {format_date(previous)}: " + ", ".join(moved) + "."
    late_decisions = int((decisions_due["when"] == "overdue").sum()) if len(decisions_due) else 0
    meeting = (
        f"{_plural(len(changes['status']), 'status change')} and "
        f"{_plural(len(changes['decisions']), 'decision')} recorded; "
        f"{_plural(len(decisions_due), 'decision')} due by {format_date(next_meeting)}"
        + (f", {late_decisions} already overdue." if late_decisions else ".")
    )
    uncovered = int(listing["coverage"].isin(["not assessed", "assessment overdue"]).sum())
    work = (
        f"{uncovered} of the top {len(listing)} places have no current assessment; "
        f"{_plural(overdue, 'site review')} overdue and {_plural(late, 'action')} late."
    )
    return [register, meeting, work]


def pack_pdf(pack: Pack) -> bytes:
    """Render the pack as an A4 PDF (embedded fonts, greyscale-safe, marked on every page)."""
    from assessments.pack_pdf import render_pdf

    return render_pdf(pack)


def pack_xlsx(pack: Pack) -> bytes:
    """Render the pack as XLSX with the PDF's sections and words (no formulas from user text)."""
    summary = pd.DataFrame(
        {
            "item": [
                "marking",
                "meeting",
                "previous meeting",
                "next meeting (assumed)",
                "scope",
                "numbers",
                "since the last meeting",
                "at this meeting",
                "assessments and actions",
            ],
            "value": [
                MARKING,
                format_date(pack.meeting_date),
                format_date(pack.previous_meeting),
                format_date(pack.next_meeting),
                pack.scope,
                pack.profile.describe(),
                *pack.summary,
            ],
        }
    )
    changes = pd.concat(
        [
            frame.astype(str).assign(change=CHANGE_LABELS[key])
            for key, frame in pack.changes.items()
            if not frame.empty
        ]
        or [pd.DataFrame({"change": []})],
        ignore_index=True,
    )
    changes = changes[["change", *[c for c in changes.columns if c != "change"]]]
    categories = pd.concat(
        [d["categories"].assign(place=d["name"]) for d in pack.details]
        or [pd.DataFrame({"place": []})],
        ignore_index=True,
    )
    monthly = pd.concat(
        [
            pd.DataFrame(
                {
                    "place": d["name"],
                    "month": d["month_labels"].index,
                    "incidents": d["month_labels"].to_numpy(),
                }
            )
            for d in pack.details
            if len(d["month_labels"])
        ]
        or [pd.DataFrame({"place": []})],
        ignore_index=True,
    )
    about = pd.DataFrame(
        {
            "how places were found": [
                *pack.method,
                f"Maps: incidents {pack.map_period}.",
                *pack.episode_method,
            ]
        }
    )
    return to_safe_xlsx(
        {
            "summary": summary,
            "places": pack.hotspots,
            "decisions due": pack.decisions_due,
            "categories": categories[["place", "category", "incidents"]]
            if "category" in categories
            else categories,
            "by month": monthly,
            "overdue reviews": pack.overdue,
            "late actions": pack.late_actions,
            "changes": changes,
            "sources": pack.sources,
            "missing episodes": pack.episode_links,
            "about": about,
        }
    )
