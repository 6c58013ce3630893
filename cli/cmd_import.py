"""``saferplaces import``, ``batches``, ``districts`` and ``mappings``: get data into the store."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cli.identity import resolve_actor
from cli.store import store_engine
from geo.schema import KINDS

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the import commands to the command line."""
    imp = subparsers.add_parser(
        "import",
        help="import incident or missing-episode files (police.uk CSV, CSV, XLSX, GeoJSON, zip)",
        description=(
            "Import files, folders or police.uk zips. Each file is stored whole or not at all; "
            "rejected rows are reported with their line number and reason. Files with personal "
            "data are refused. 'saferplaces import episodes FILE' imports a CSV or XLSX of "
            "missing episodes (one row per episode; any bad row refuses the whole file)."
        ),
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument(
        "--kind",
        choices=KINDS,
        help="kind of every row (default: incident, or the file's kind column)",
    )
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="map a field to a column, e.g. --map latitude=Y (repeatable)",
    )
    imp.add_argument("--mapping", metavar="NAME", help="use a saved mapping")
    imp.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="discard this column unread (repeatable)",
    )
    imp.add_argument("--sheet", help="the XLSX sheet or GeoPackage layer to read")
    imp.add_argument(
        "--only-district",
        action="append",
        default=[],
        metavar="CODE",
        help="keep only points inside these districts (repeatable)",
    )
    imp.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="write every rejected row (file, line, reason) to this CSV",
    )
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(needs="import", func=_import)

    batches = subparsers.add_parser("batches", help="list, inspect or undo import batches")
    bsub = batches.add_subparsers(dest="batches_command", metavar="BATCHES_COMMAND")
    bsub.required = True
    blist = bsub.add_parser("list", help="list import batches, newest first")
    blist.add_argument("--json", action="store_true", help="print JSON")
    blist.set_defaults(needs="view", func=_batches_list)
    brej = bsub.add_parser("rejects", help="write a batch's rejected rows as CSV")
    brej.add_argument("batch_id", type=int)
    brej.add_argument("--out", type=Path, help="file to write (default: standard output)")
    brej.set_defaults(needs="import", func=_batches_rejects)
    bdel = bsub.add_parser("delete", help="undo an import: delete a batch and its rows")
    bdel.add_argument("batch_id", type=int)
    bdel.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    bdel.add_argument("--json", action="store_true", help="print JSON")
    bdel.set_defaults(needs="delete_import", func=_batches_delete)

    districts = subparsers.add_parser("districts", help="import or list district boundaries")
    dsub = districts.add_subparsers(dest="districts_command", metavar="DISTRICTS_COMMAND")
    dsub.required = True
    dimp = dsub.add_parser("import", help="import boundaries (GeoJSON, TopoJSON, GeoPackage)")
    dimp.add_argument("path", type=Path)
    dimp.add_argument("--code-field", help="field holding the district code (guessed if absent)")
    dimp.add_argument("--name-field", help="field holding the district name (guessed if absent)")
    dimp.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="CODE",
        help="import only these codes (repeatable)",
    )
    dimp.add_argument("--json", action="store_true", help="print JSON")
    dimp.set_defaults(needs="import", func=_districts_import)
    dlist = dsub.add_parser("list", help="list stored districts")
    dlist.add_argument("--json", action="store_true", help="print JSON")
    dlist.set_defaults(needs="view", func=_districts_list)

    mappings = subparsers.add_parser("mappings", help="save and list column mappings")
    msub = mappings.add_subparsers(dest="mappings_command", metavar="MAPPINGS_COMMAND")
    msub.required = True
    msave = msub.add_parser("save", help="save a mapping for repeated imports")
    msave.add_argument("name")
    msave.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    msave.add_argument("--drop", action="append", default=[], metavar="COLUMN")
    msave.set_defaults(needs="import", func=_mappings_save)
    mlist = msub.add_parser("list", help="list saved mappings")
    mlist.add_argument("--json", action="store_true", help="print JSON")
    mlist.set_defaults(needs="view", func=_mappings_list)


def _pairs(items: list[str]) -> dict[str, str]:
    from geo import InputError

    mapping = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            msg = f"--map takes FIELD=COLUMN, not {item!r}"
            raise InputError(msg)
        mapping[field.strip()] = column.strip()
    return mapping


class _Progress:
    """Progress on standard error for long files (at most every half second)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, name: str, rows: int, size: int) -> None:
        now = time.monotonic()
        if self.quiet or now - self.last < 0.5:
            return
        self.last = now
        print(f"\r{name}: {rows:,} rows read", end="", file=sys.stderr, flush=True)


def _import(args: argparse.Namespace) -> int:
    if args.paths[0] == Path("episodes") and not args.paths[0].exists() and len(args.paths) > 1:
        return _import_episodes(args)
    from assessments import imports
    from geo.export import to_safe_csv

    engine = store_engine()
    actor = resolve_actor(args, engine)
    mapping, drop = {}, list(args.drop)
    if args.mapping:
        mapping, saved_drop = imports.get_mapping(engine, args.mapping)
        drop = sorted(set(drop) | set(saved_drop))
    mapping.update(_pairs(args.map))
    report = imports.import_files(
        engine,
        args.paths,
        kind=args.kind,
        mapping=mapping or None,
        drop=drop,
        only_districts=args.only_district or None,
        sheet=args.sheet,
        actor=actor,
        progress=_Progress(args.json),
    )
    if args.rejects:
        args.rejects.write_bytes(to_safe_csv(report.rejects_frame()))
    if args.json:
        print(json.dumps(report.as_json()))
        return 0
    for batch in report.batches:
        if batch.duplicate:
            print(f"{batch.file}: duplicate of batch {batch.batch_id}; nothing stored")
            continue
        print(
            f"{batch.file}: batch {batch.batch_id}: read {batch.read:,}, stored "
            f"{batch.stored:,}, rejected {batch.rejected:,}"
        )
        for reason, count in sorted(batch.rejected_by_reason.items()):
            print(f"    {count:>9,}  {reason}")
        for note in batch.notes:
            print(f"    note: {note}")
    with_rejects = [b.batch_id for b in report.batches if b.rejected and not b.duplicate]
    if with_rejects and not args.rejects:
        print("rejected rows with their line numbers:")
        for batch_id in with_rejects:
            print(f"    saferplaces batches rejects {batch_id}")
    return 0


def _import_episodes(args: argparse.Namespace) -> int:
    """``saferplaces import episodes FILE...``: missing episodes, each file all or nothing."""
    from assessments import episodes, imports
    from geo.export import to_safe_csv

    engine = store_engine()
    actor = resolve_actor(args, engine)
    mapping, drop = {}, list(args.drop)
    if args.mapping:
        mapping, saved_drop = imports.get_mapping(engine, args.mapping)
        drop = sorted(set(drop) | set(saved_drop))
    mapping.update(_pairs(args.map))
    reports = []
    for path in args.paths[1:]:
        try:
            reports.append(
                episodes.import_episodes(
                    engine, path, actor=actor, mapping=mapping or None, drop=drop, sheet=args.sheet
                )
            )
        except episodes.EpisodeRowsError as exc:
            if args.rejects:
                frame = exc.rejects.assign(file=path.name)[["file", "line", "reason"]]
                args.rejects.write_bytes(to_safe_csv(frame))
            raise
    if args.json:
        print(json.dumps({"batches": [r.as_json() for r in reports]}))
        return 0
    for report in reports:
        if report.duplicate:
            print(f"{report.file}: duplicate of batch {report.batch_id}; nothing stored")
        else:
            print(
                f"{report.file}: batch {report.batch_id}: read {report.read:,}, "
                f"stored {report.stored:,} episodes"
            )
    return 0


def _batches_list(args: argparse.Namespace) -> int:
    from assessments import imports

    frame = imports.list_batches(store_engine())
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    elif frame.empty:
        print("no import batches yet")
    else:
        print(frame.drop(columns=["created_at"]).to_string(index=False))
    return 0


def _batches_rejects(args: argparse.Namespace) -> int:
    from assessments import imports
    from assessments.exports import export_table

    engine = store_engine()
    data = export_table(
        engine,
        imports.batch_rejects(engine, args.batch_id),
        actor=resolve_actor(args, engine),
        what="import_rejects",
        filters={"batch_id": args.batch_id},
        needs="import",
    )
    if args.out:
        args.out.write_bytes(data)
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def _batches_delete(args: argparse.Namespace) -> int:
    from assessments import imports
    from geo import InputError

    engine = store_engine()
    actor = resolve_actor(args, engine)
    if not args.yes:
        if not sys.stdin.isatty():
            msg = "deleting a batch needs confirmation: add --yes"
            raise InputError(msg)
        answer = input(f"Delete batch {args.batch_id} and all its rows? Type 'yes': ")
        if answer.strip().lower() != "yes":
            print("nothing deleted")
            return 1
    removed = imports.delete_batch(engine, args.batch_id, actor=actor)
    if args.json:
        print(json.dumps({"batch_id": args.batch_id, "deleted_rows": removed}))
    else:
        print(f"deleted batch {args.batch_id} and its {removed:,} rows")
    return 0


def _districts_import(args: argparse.Namespace) -> int:
    from assessments import imports

    engine = store_engine()
    actor = resolve_actor(args, engine)
    stored = imports.import_districts(
        engine,
        args.path,
        code_field=args.code_field,
        name_field=args.name_field,
        only_codes=args.only or None,
        actor=actor,
    )
    if args.json:
        print(json.dumps({"districts": stored.to_dict("records")}))
    else:
        print(f"stored {len(stored)} districts from {args.path.name}")
    return 0


def _districts_list(args: argparse.Namespace) -> int:
    from assessments import imports

    frame = imports.load_districts(store_engine())[["code", "name"]]
    print(frame.to_json(orient="records") if args.json else frame.to_string(index=False))
    return 0


def _mappings_save(args: argparse.Namespace) -> int:
    from assessments import imports

    engine = store_engine()
    imports.save_mapping(
        engine, args.name, _pairs(args.map), drop=args.drop, actor=resolve_actor(args, engine)
    )
    print(f"saved mapping {args.name!r}")
    return 0


def _mappings_list(args: argparse.Namespace) -> int:
    from assessments import imports

    frame = imports.list_mappings(store_engine())
    print(frame.to_json(orient="records") if args.json else frame.to_string(index=False))
    return 0
