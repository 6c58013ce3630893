"""``status``, ``samples``, ``hexes``, ``sites``, ``assessments``, ``coverage``, ``pack``."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.identity import resolve_actor
from cli.store import store_engine
from geo.schema import DEFAULT_RES, KINDS, RESOLUTIONS

if TYPE_CHECKING:
    from geo.disclosure import DisclosureProfile
    from geo.filters import IncidentFilter

__all__ = ["register"]


def _month(text: str | None) -> dt.date | None:
    from geo import InputError

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
    except ValueError as exc:
        raise InputError(f"not a month: {text!r} (use YYYY-MM)") from exc


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", metavar="YYYY-MM", help="first month")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM", help="last month")
    parser.add_argument("--kind", action="append", default=[], choices=KINDS)
    parser.add_argument("--category", action="append", default=[])
    parser.add_argument("--flag", action="append", default=[])
    parser.add_argument("--age-band", action="append", default=[])
    parser.add_argument("--district", action="append", default=[], metavar="CODE")


def _filter(args: argparse.Namespace, *, default_kinds: tuple[str, ...] = ()) -> IncidentFilter:
    from geo.filters import IncidentFilter

    return IncidentFilter(
        start_month=_month(args.start),
        end_month=_month(args.end),
        kinds=tuple(args.kind) or default_kinds,
        categories=tuple(args.category),
        flags=tuple(args.flag),
        age_bands=tuple(args.age_band),
        districts=tuple(args.district),
    )


def _profile(args: argparse.Namespace) -> DisclosureProfile:
    from assessments.settings import get_settings
    from geo.disclosure import get_profile

    settings = get_settings()
    return get_profile(
        args.profile,
        threshold=settings.suppression_threshold,
        custom=settings.custom_profile or None,
    )


def _export_filters(
    filt: IncidentFilter, profile: DisclosureProfile, res: int
) -> dict[str, object]:
    return {
        "filter": filt.describe() or "all incidents",
        "profile": profile.name,
        "resolution": res,
    }


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the data commands."""
    status = subparsers.add_parser("status", help="what the store holds")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument(
        "--profile", choices=["internal", "publication", "custom"], default="internal"
    )
    status.set_defaults(needs="view", func=_status)

    smp = subparsers.add_parser("samples", help="make or load the synthetic samples")
    ssub = smp.add_subparsers(dest="samples_command", metavar="SAMPLES_COMMAND")
    ssub.required = True
    make = ssub.add_parser("make", help="regenerate the sample files (seeded)")
    make.add_argument("--out", type=Path, help="folder (default: data/samples)")
    make.set_defaults(needs="load_samples", func=_samples_make)
    load = ssub.add_parser("load", help="load the samples into the store")
    load.add_argument("--json", action="store_true", help="print JSON")
    load.set_defaults(needs="load_samples", func=_samples_load)

    hexes = subparsers.add_parser(
        "hexes", help="write suppressed hexagon counts (as the map shows them)"
    )
    hexes.add_argument("--res", type=int, default=DEFAULT_RES, choices=RESOLUTIONS)
    _add_filters(hexes)
    hexes.add_argument("--format", choices=["csv", "geojson"], default="csv")
    hexes.add_argument(
        "--profile", choices=["internal", "publication", "custom"], default="internal"
    )
    hexes.add_argument("--out", type=Path, help="file to write (default: standard output)")
    hexes.set_defaults(needs="export", func=_hexes)

    for kind in ("sites", "assessments", "actions"):
        parser = subparsers.add_parser(kind, help=f"import or export {kind} (CSV/XLSX)")
        sub = parser.add_subparsers(dest=f"{kind}_command", metavar="COMMAND")
        sub.required = True
        imp = sub.add_parser("import", help=f"import {kind}; every row reported")
        imp.add_argument("path", type=Path)
        imp.add_argument("--sheet")
        imp.add_argument("--json", action="store_true", help="print JSON")
        imp.set_defaults(needs="import_records", func=_records_import, loader=f"import_{kind}")
        exp = sub.add_parser("export", help="export sites, assessments and actions")
        exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        exp.add_argument(
            "--out", type=Path, required=True, help="folder (csv: one file per table) or .xlsx file"
        )
        exp.set_defaults(needs="export", func=_records_export)
        if kind == "assessments":
            review = sub.add_parser(
                "review",
                help="mark a submitted assessment reviewed (never by its own author; use --user)",
            )
            review.add_argument("id", type=int, help="the assessment's number")
            review.add_argument("--json", action="store_true", help="print JSON")
            # Reviewing is a district-scoped right: the service checks it against the
            # assessment's own district (and refuses its author), which only it can see.
            review.set_defaults(needs="view", func=_review)

    pack = subparsers.add_parser("pack", help="write a strategy meeting pack (PDF or XLSX)")
    pack.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="meeting date")
    pack.add_argument(
        "--previous", metavar="YYYY-MM-DD", help="previous meeting (default: 28 days before)"
    )
    pack.add_argument("--district", action="append", default=[], metavar="CODE")
    pack.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
    pack.add_argument(
        "--profile", choices=["internal", "publication", "custom"], default="internal"
    )
    pack.add_argument("--out", type=Path, required=True)
    pack.set_defaults(needs="export", func=_pack)

    cov = subparsers.add_parser("coverage", help="hotspots with their assessment coverage")
    cov.add_argument("--profile", choices=["internal", "publication", "custom"], default="internal")
    cov.add_argument("--json", action="store_true", help="print JSON")
    cov.set_defaults(needs="view", func=_coverage)


def _status(args: argparse.Namespace) -> int:
    from assessments import store

    # Every incident count protected (cell key method), as on the Home page.
    summary = store.shown_summary(store.store_summary(store_engine()), _profile(args))
    if args.json:
        print(json.dumps(summary, default=str))
        return 0
    print(
        f"incidents: {summary['incidents']} in {summary['batches']} batches"
        + (" (SYNTHETIC samples)" if summary["samples"] else "")
    )
    from geo.labels import kind_label

    for kind, n in summary["by_kind"].items():
        print(f"  {kind_label(kind).split(' (')[0]:<14} {n:>12}")
    print(f"districts: {len(summary['districts'])}; latest month: {summary['latest_month']}")
    return 0


def _samples_make(args: argparse.Namespace) -> int:
    from importlib import util

    from assessments.settings import SAMPLES_DIR

    spec = util.spec_from_file_location("make_samples", SAMPLES_DIR / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(args.out or SAMPLES_DIR)
    print(f"wrote the synthetic samples to {args.out or SAMPLES_DIR}")
    return 0


def _samples_load(args: argparse.Namespace) -> int:
    from assessments import samples

    engine = store_engine()
    summary = samples.load_samples(engine, actor=resolve_actor(args, engine))
    print(json.dumps(summary, default=str) if args.json else "loaded the synthetic samples")
    return 0


_HEX_COLUMNS = ("h3_cell", "count", "suppressed", "label", "kinds", "resolution")


def _hexes(args: argparse.Namespace) -> int:
    import pandas as pd

    from assessments import maps
    from assessments.exports import export_table, record_export
    from geo.cells import cell_to_str
    from geo.disclosure import effective_resolution, protect_counts

    engine = store_engine()
    actor = resolve_actor(args, engine)
    profile = _profile(args)
    filt = _filter(args)
    # Each kind at the finest resolution it may have: incidents at --res, missing-from and
    # found-at locations never finer than the profile's coarse resolution. Every row says
    # which kinds it counts at which resolution; a note says when a kind was coarsened.
    by_res: dict[int, list[str]] = {}
    for kind in filt.kinds or KINDS:
        by_res.setdefault(effective_resolution(args.res, (kind,), profile)[0], []).append(kind)
    parts, notes = [], []
    for res, kinds in sorted(by_res.items(), reverse=True):
        raw = maps.count_cells(engine, dataclasses.replace(filt, kinds=tuple(kinds)), res=res)
        if raw.empty and len(by_res) > 1:
            continue  # nothing of these kinds: nothing to coarsen or to say
        part = pd.concat(
            [raw[["h3_cell"]], protect_counts(raw["count"], profile, keys=raw["keysum"])], axis=1
        )
        parts.append(part.assign(kinds=";".join(kinds), resolution=res))
        if res != args.res:
            notes.append(effective_resolution(args.res, kinds, profile)[1] or "")
    protected = (
        pd.concat(parts, ignore_index=True)
        if parts  # an empty store: an empty table, not an error
        else pd.DataFrame(columns=[*_HEX_COLUMNS])
    )
    res = int(protected["resolution"].max()) if len(protected) else args.res
    note = " ".join(n.replace("the map uses", "these rows use") for n in notes if n)
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.format == "geojson":
        from layers.hexes import hexes_geojson

        data = hexes_geojson(protected)
        data["properties"] = {
            "profile": profile.describe(),
            "filter": filt.describe(),
            "resolution": res,
            "resolutions": {k: r for r, ks in by_res.items() for k in ks},
            "note": note,
        }
        for feature, row in zip(data["features"], protected.itertuples(), strict=True):
            feature["properties"]["suppressed"] = feature["properties"]["count"] is None
            feature["properties"]["kinds"] = row.kinds
            feature["properties"]["resolution"] = int(row.resolution)
        text = json.dumps(data)
        payload = text.encode()
        from sqlalchemy.orm import Session

        with Session(engine) as session, session.begin():
            record_export(
                session,
                actor=actor,
                what="hexes",
                rows=len(protected),
                filters=_export_filters(filt, profile, res),
                fmt="geojson",
            )
    else:
        table = pd.DataFrame(
            {
                "cell": [cell_to_str(c) for c in protected["h3_cell"]],
                # A suppressed cell reads as the profile's symbol (``c`` for publication).
                "count": protected["count"]
                .astype(object)
                .where(~protected["suppressed"], profile.symbol or ""),
                "suppressed": protected["suppressed"],
            }
        )
        table["kinds"] = protected["kinds"].to_numpy()
        table["resolution"] = protected["resolution"].to_numpy()
        table["profile"] = profile.name
        payload = export_table(
            engine,
            table,
            actor=actor,
            what="hexes",
            filters=_export_filters(filt, profile, res),
        )
    if args.out:
        args.out.write_bytes(payload)
    else:
        sys.stdout.write(payload.decode("utf-8-sig"))
    return 0


def _records_import(args: argparse.Namespace) -> int:
    from assessments import site_imports

    engine = store_engine()
    loader = getattr(site_imports, args.loader)
    report = loader(engine, args.path, actor=resolve_actor(args, engine), sheet=args.sheet)
    if args.json:
        print(json.dumps({**report.as_json(), "rejects": report.rejects}))
    else:
        print(
            f"{report.file}: read {report.read}, stored {report.stored}, rejected {report.rejected}"
        )
        for line, reason in report.rejects:
            print(f"  line {line}: {reason}")
    return 0


def _review(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from assessments import site_assessments as records

    engine = store_engine()
    actor = resolve_actor(args, engine)
    with Session(engine) as session, session.begin():
        current = records.get_assessment(session, args.id)
        done = records.review_assessment(
            session, actor=actor, assessment_id=args.id, expected_version=current.version
        )
        result = {"id": done.id, "status": done.status, "reviewed_by": done.reviewed_by}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"assessment {result['id']} reviewed by {result['reviewed_by']}")
    return 0


def _records_export(args: argparse.Namespace) -> int:
    from assessments import site_imports

    engine = store_engine()
    data = site_imports.export_records(engine, fmt=args.format, actor=resolve_actor(args, engine))
    if isinstance(data, bytes):
        args.out.write_bytes(data)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, content in data.items():
            (args.out / f"{name}.csv").write_bytes(content)
    print(f"exported to {args.out}")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from assessments import coverage
    from geo.disclosure import protect_counts

    frame = coverage.hotspot_coverage(store_engine())
    profile = _profile(args)
    incidents = protect_counts(frame["n_incidents"], profile, keys=frame["keysum"])["label"]
    rows = [
        {
            "hotspot_id": int(r.id),
            "name": r.name,
            "state": r.state,
            "site_ids": list(r.site_ids),
            "incidents": label,
        }
        for r, label in zip(frame.itertuples(), incidents, strict=True)
    ]
    if args.json:
        print(json.dumps({"profile": profile.describe(), "hotspots": rows}))
    else:
        from geo.labels import COVERAGE_LABELS

        for row in rows:
            print(
                f"{row['hotspot_id']:>5}  {COVERAGE_LABELS.get(row['state'], row['state']):<24} "
                f"{row['name']}  incidents: {row['incidents']}  sites: "
                f"{len(row['site_ids']) or 'none'}"
            )
    return 0


def _pack(args: argparse.Namespace) -> int:
    from assessments import packs
    from geo import InputError

    engine = store_engine()
    try:
        meeting = dt.date.fromisoformat(args.date)
        previous = dt.date.fromisoformat(args.previous) if args.previous else None
    except ValueError as exc:
        raise InputError(f"dates are YYYY-MM-DD ({exc})") from exc
    pack = packs.build_pack(
        engine,
        actor=resolve_actor(args, engine),
        meeting_date=meeting,
        previous_meeting=previous,
        districts=args.district or None,
        profile=_profile(args),
    )
    data = packs.pack_pdf(pack) if args.format == "pdf" else packs.pack_xlsx(pack)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KB, {pack.profile.name} profile)")
    return 0
