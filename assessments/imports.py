"""Imports: store whole files of incidents, all or nothing, with a per-row report.

One batch per file, each in its own transaction: every valid row is stored or none is. A file
already imported (same SHA-256) stores nothing and says so; rows of a re-published month that are
already stored are rejected as duplicates, so nothing is counted twice. Rows are written by
:mod:`assessments.bulkload` (COPY on PostgreSQL; a big first load rebuilds the indexes once);
on PostgreSQL the next chunk is read and checked in a background thread meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from assessments import bulkload
from assessments.audit import record_event
from assessments.db import is_postgres
from assessments.models import (
    District,
    Episode,
    ImportBatch,
    Incident,
    IncidentSummary,
    SavedMapping,
)
from assessments.permissions import Actor, require
from assessments.settings import install_secret
from geo._errors import ConflictError, InputError
from geo.disclosure import new_record_keys
from geo.ingest import CHUNK_ROWS, expand_sources, hash_reference, prefetched, read_incidents
from geo.ingest.boundaries import read_boundaries
from geo.ingest.read import file_label

__all__ = [
    "MAX_STORED_REJECTS",
    "BatchReport",
    "ImportReport",
    "batch_rejects",
    "delete_batch",
    "get_mapping",
    "import_districts",
    "import_files",
    "list_batches",
    "list_mappings",
    "load_districts",
    "save_mapping",
]

#: Rejected rows kept with a batch for the downloadable report (the counts are always complete).
MAX_STORED_REJECTS = 100_000
DUPLICATE_ROW = "already stored (duplicate row)"

Progress = Callable[[str, int, int], None]


@dataclass
class BatchReport:
    """What happened to one file."""

    file: str
    batch_id: int | None = None
    read: int = 0
    stored: int = 0
    rejected: int = 0
    duplicate: bool = False
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["line", "reason"]))
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the batch as ``--json`` prints it."""
        return {
            "batch_id": self.batch_id,
            "file": self.file,
            "read": self.read,
            "stored": self.stored,
            "rejected": self.rejected,
            "duplicate": self.duplicate,
            "notes": list(self.notes),
        }


@dataclass
class ImportReport:
    """What happened to every file of an import."""

    batches: list[BatchReport] = field(default_factory=list)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows by reason, over all files."""
        total: Counter[str] = Counter()
        for batch in self.batches:
            total.update(batch.rejected_by_reason)
        return dict(total)

    def as_json(self) -> dict[str, Any]:
        """Return the report as ``saferplaces import --json`` prints it."""
        return {
            "batches": [b.as_json() for b in self.batches],
            "rejected_by_reason": self.rejected_by_reason,
        }

    def rejects_frame(self) -> pd.DataFrame:
        """Every rejected row: file, line, reason (for the downloadable CSV)."""
        frames = [b.rejects.assign(file=b.file) for b in self.batches if not b.rejects.empty]
        if not frames:
            return pd.DataFrame(columns=["file", "line", "reason"])
        return pd.concat(frames, ignore_index=True)[["file", "line", "reason"]]


def load_districts(engine: Engine) -> gpd.GeoDataFrame:
    """Every stored district: ``code``, ``name`` and WGS84 ``geometry``."""
    with engine.connect() as conn:
        rows = conn.execute(select(District.code, District.name, District.boundary_wkb)).all()
    geometry = shapely.from_wkb([r[2] for r in rows]) if rows else []
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]}, geometry=geometry, crs=4326
    )


def _prepare(frame: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    out = frame.copy()
    out["batch_id"] = batch_id
    out["record_key"] = new_record_keys(len(out))  # cell key method: fixed, never shown
    dates = out["date"]
    out["date"] = dates.astype(object).where(dates.notna(), None)
    out["hour"] = out["hour"].astype("Int64")
    out["district_code"] = (
        out["district_code"].astype(object).where(out["district_code"].notna(), None)
    )
    out["age_band"] = out["age_band"].astype(object).where(out["age_band"].notna(), None)
    return out


_SUMMARY_KEYS = ["month", "kind", "district_code"]


def _summarise(prepared: pd.DataFrame) -> pd.DataFrame:
    """One chunk's incidents and key sums per month, kind and district (``incident_summary``)."""
    return (
        prepared.assign(district_code=prepared["district_code"].fillna(""))
        .groupby(_SUMMARY_KEYS, sort=False)["record_key"]
        .agg(incidents="size", keysum="sum")
        .reset_index()
    )


def _store_summary(conn: Any, summaries: list[pd.DataFrame], batch_id: int) -> None:
    """Write the batch's ``incident_summary`` rows, in the import's transaction."""
    if not summaries:
        return
    total = (
        pd.concat(summaries, ignore_index=True)
        .groupby(_SUMMARY_KEYS, sort=True)[["incidents", "keysum"]]
        .sum()
        .reset_index()
    )
    if total.empty:  # every row was already stored
        return
    conn.execute(
        insert(IncidentSummary),
        [
            {
                "batch_id": batch_id,
                "month": pd.Timestamp(month).date(),
                "kind": str(kind),
                "district_code": str(district) or None,
                "incidents": int(n),
                "keysum": int(keysum),
            }
            for month, kind, district, n, keysum in total.itertuples(index=False, name=None)
        ],
    )


def _import_one(
    engine: Engine,
    source: Any,
    *,
    kind: str | None,
    mapping: dict[str, str] | None,
    drop: tuple[str, ...],
    sheet: str | None,
    districts: gpd.GeoDataFrame,
    only_districts: frozenset[str] | None,
    actor: Actor | str,
    is_sample: bool,
    progress: Progress | None,
    chunk_rows: int = CHUNK_ROWS,
) -> BatchReport:
    report = BatchReport(file=file_label(source.name, 0))
    checksum = source.checksum()
    with engine.connect() as conn:
        earlier = conn.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.checksum == checksum)
        ).first()
    if earlier is not None:
        report.duplicate = True
        report.batch_id = int(earlier[0])
        report.file = str(earlier[1])
        report.notes.append(
            f"already imported as batch {earlier[0]} ({earlier[1]}): nothing stored"
        )
        return report
    secret = install_secret()
    reader, chunks = read_incidents(
        source,
        kind=kind,
        mapping=mapping,
        drop=drop,
        sheet=sheet,
        districts=districts,
        only_districts=only_districts,
        chunk_rows=chunk_rows,
        ref_key=secret,
    )
    report.notes += reader.notes
    reasons: Counter[str] = Counter()
    kept_rejects: list[pd.DataFrame] = []
    months: set[dt.date] = set()
    categories: set[str] = set()
    actor_name = actor if isinstance(actor, str) else actor.username
    summaries: list[pd.DataFrame] = []
    bulk = bulkload.is_bulk(engine, reader.expected_rows)
    try:
        with (
            engine.connect() as conn,
            bulkload.bounded_memory(conn, enabled=bulk),
            conn.begin(),
        ):
            if bulk:
                bulkload.lock_for_bulk(conn)
            batch_id = conn.execute(
                insert(ImportBatch)
                .values(
                    file_name=report.file,
                    name_hash=hash_reference(source.name, secret),
                    checksum=checksum,
                    format=reader.format,
                    kind=kind or "incident",
                    rows_read=0,
                    rows_stored=0,
                    rows_rejected=0,
                    rejected_by_reason={},
                    rejects=[],
                    mapping=mapping or {},
                    is_sample=is_sample,
                    created_by=actor_name,
                    created_at=dt.datetime.now(dt.UTC),
                )
                .returning(ImportBatch.id)
            ).scalar_one()
            report.file = file_label(source.name, int(batch_id))
            stored_keys = bulkload.StoredKeys(conn, preload=bulk)
            if bulk:
                bulkload.set_indexes_aside(conn)
                report.notes.append(
                    "a large load: the incident indexes were rebuilt once at the end"
                )
            # PostgreSQL does its share in its own process, so reading the next chunk overlaps
            # with storing this one; SQLite works in this process and would fight the reader
            # for the GIL (measured: slower with the thread).
            for chunk in prefetched(chunks) if is_postgres(engine) else chunks:
                valid, rejected = chunk.valid, chunk.rejected
                if not valid.empty:
                    dupes = stored_keys.stored(valid["row_key"].to_numpy())
                    if dupes.any():
                        rejected = pd.concat(
                            [
                                rejected,
                                pd.DataFrame(
                                    {
                                        "line": valid.loc[dupes, "line"].to_numpy(),
                                        "reason": DUPLICATE_ROW,
                                    }
                                ),
                            ],
                            ignore_index=True,
                        )
                        valid = valid[~dupes]
                    months.update(valid["month"].unique())
                    categories.update(valid["category"].unique().tolist())
                    prepared = _prepare(valid, batch_id)
                    bulkload.insert_incidents(conn, prepared)
                    summaries.append(_summarise(prepared))
                report.read += chunk.read
                report.stored += len(valid)
                report.rejected += len(rejected)
                reasons.update(rejected["reason"].value_counts().to_dict())
                if sum(len(r) for r in kept_rejects) < MAX_STORED_REJECTS:
                    kept_rejects.append(rejected)
                if progress is not None:
                    progress(source.name, report.read, source.size)
            if bulk:
                bulkload.rebuild_indexes(conn)
            _store_summary(conn, summaries, int(batch_id))
            rejects = (
                pd.concat(kept_rejects, ignore_index=True).sort_values("line")
                if kept_rejects
                else pd.DataFrame(columns=["line", "reason"])
            )
            rejects = rejects.head(MAX_STORED_REJECTS)
            report.rejects = rejects.reset_index(drop=True)
            report.rejected_by_reason = {str(k): int(v) for k, v in reasons.items()}
            conn.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch_id)
                .values(
                    file_name=report.file,
                    rows_read=report.read,
                    rows_stored=report.stored,
                    rows_rejected=report.rejected,
                    rejected_by_reason=report.rejected_by_reason,
                    rejects=[
                        [int(line), str(reason)]
                        for line, reason in rejects[["line", "reason"]].itertuples(
                            index=False, name=None
                        )
                    ],
                    first_month=min(months) if months else None,
                    last_month=max(months) if months else None,
                )
            )
            from sqlalchemy.orm import Session

            from assessments.categories import register_categories

            with Session(bind=conn) as session:
                register_categories(session, categories, batch_id=int(batch_id))
                record_event(
                    session,
                    actor=actor,
                    action="import",
                    entity="import_batch",
                    entity_id=batch_id,
                    after=report.as_json(),
                    detail={
                        "rejected_by_reason": report.rejected_by_reason,
                        "format": reader.format,
                    },
                )
                session.flush()
    except IntegrityError as exc:
        msg = (
            f"{source.name}: someone else imported the same file or rows at the same time; "
            "nothing was stored from this file. Check the batches and try again if needed."
        )
        raise ConflictError(msg) from exc
    report.batch_id = int(batch_id)
    bulkload.refresh_statistics(engine, report.stored)
    return report


def import_files(
    engine: Engine,
    paths: list[Path] | list[str],
    *,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    drop: tuple[str, ...] | list[str] = (),
    only_districts: frozenset[str] | set[str] | list[str] | None = None,
    sheet: str | None = None,
    actor: Actor | str = "cli",
    is_sample: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import files, folders or zips; each file is one batch, stored whole or not at all.

    Raises
    ------
    geo.InputError
        For a file that cannot be used as a whole (personal data, unreadable, wrong columns...):
        nothing of that file is stored. Files before it in the list keep their batches.
    """
    if not isinstance(actor, str):
        require(actor, "import")
    sources = expand_sources([Path(p) for p in paths])
    removed = None
    if not is_sample and not all(_already_imported(engine, s) for s in sources):
        # Samples and real data never mix: the first real import removes the samples.
        from assessments.sample_removal import remove_samples_before_real_data

        removed = remove_samples_before_real_data(engine, actor=actor)
    districts = load_districts(engine)
    wanted = frozenset(only_districts) if only_districts else None
    if wanted and districts.empty:
        msg = "no district boundaries are stored yet: import them first to keep only your districts"
        raise InputError(msg)
    report = ImportReport()
    for source in sources:
        try:
            batch = _import_one(
                engine,
                source,
                kind=kind,
                mapping=mapping,
                drop=tuple(drop),
                sheet=sheet,
                districts=districts,
                only_districts=wanted,
                actor=actor,
                is_sample=is_sample,
                progress=progress,
                chunk_rows=chunk_rows,
            )
        except InputError as exc:
            said = f" ({removed})" if removed and not report.batches else ""
            raise type(exc)(f"{source.name}: {exc}{said}", **_error_kwargs(exc)) from exc
        if removed and not report.batches:
            batch.notes.insert(0, removed)
        report.batches.append(batch)
    return report


def _already_imported(engine: Engine, source: Any) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            select(ImportBatch.id).where(ImportBatch.checksum == source.checksum()).limit(1)
        ).first()
    return found is not None


def _error_kwargs(exc: InputError) -> dict[str, Any]:
    columns = getattr(exc, "columns", None)
    if columns is None:
        return {}
    return {"columns": columns, "rows": getattr(exc, "rows", [])}


def list_batches(engine: Engine) -> pd.DataFrame:
    """Every import batch, newest first."""
    query = select(
        ImportBatch.id,
        ImportBatch.file_name,
        ImportBatch.format,
        ImportBatch.kind,
        ImportBatch.rows_read,
        ImportBatch.rows_stored,
        ImportBatch.rows_rejected,
        ImportBatch.first_month,
        ImportBatch.last_month,
        ImportBatch.is_sample,
        ImportBatch.created_by,
        ImportBatch.created_at,
    ).order_by(ImportBatch.id.desc())
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).all(), columns=[c.name for c in query.selected_columns]
        )


def batch_rejects(engine: Engine, batch_id: int) -> pd.DataFrame:
    """Return the stored rejected rows of a batch (line, reason)."""
    with engine.connect() as conn:
        rows = conn.execute(select(ImportBatch.rejects).where(ImportBatch.id == batch_id)).scalar()
    return pd.DataFrame(rows or [], columns=["line", "reason"])


def delete_batch(engine: Engine, batch_id: int, *, actor: Actor | str = "cli") -> int:
    """Undo an import: delete the batch and its incidents or episodes; return how many went."""
    if not isinstance(actor, str):
        require(actor, "delete_import")
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        if is_postgres(engine):  # the same lock order as a bulk import's (no deadlock)
            session.execute(text("LOCK TABLE import_batch IN ROW EXCLUSIVE MODE"))
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            msg = f"there is no import batch {batch_id}"
            raise InputError(msg)
        count = session.scalar(select(func.count()).where(Incident.batch_id == batch_id)) or 0
        session.execute(delete(Incident).where(Incident.batch_id == batch_id))
        session.execute(delete(IncidentSummary).where(IncidentSummary.batch_id == batch_id))
        count += session.scalar(select(func.count()).where(Episode.batch_id == batch_id)) or 0
        session.execute(delete(Episode).where(Episode.batch_id == batch_id))
        record_event(
            session,
            actor=actor,
            action="delete",
            entity="import_batch",
            entity_id=batch_id,
            before={"file": batch.file_name, "rows_stored": batch.rows_stored},
        )
        session.delete(batch)
    return int(count)


def import_districts(
    engine: Engine,
    path: Path | str,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    only_codes: list[str] | None = None,
    is_sample: bool = False,
    actor: Actor | str = "cli",
) -> pd.DataFrame:
    """Import (or update) district boundaries; return the districts stored (code, name)."""
    if not isinstance(actor, str):
        require(actor, "import")
    frame = read_boundaries(Path(path), code_field=code_field, name_field=name_field)
    if not is_sample:  # real boundaries replace the synthetic samples, never join them
        from assessments.sample_removal import remove_samples_before_real_data

        remove_samples_before_real_data(engine, actor=actor)
    if only_codes:
        frame = frame[frame["code"].isin(only_codes)]
        if frame.empty:
            msg = f"none of the codes {', '.join(only_codes)} is in {Path(path).name}"
            raise InputError(msg)
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        existing = {d.code: d for d in session.scalars(select(District))}
        for row in frame.itertuples():
            minx, miny, maxx, maxy = row.geometry.bounds
            values = {
                "name": row.name,
                "boundary_wkb": shapely.to_wkb(row.geometry),
                "min_lon": minx,
                "min_lat": miny,
                "max_lon": maxx,
                "max_lat": maxy,
                "source": "boundary file",  # never the file's own name (it may be personal)
                "is_sample": is_sample,
            }
            if row.code in existing:
                for key, value in values.items():
                    setattr(existing[row.code], key, value)
            else:
                session.add(District(code=row.code, **values))
        record_event(
            session,
            actor=actor,
            action="import",
            entity="district",
            detail={"codes": frame["code"].tolist()},
        )
    return frame[["code", "name"]].reset_index(drop=True)


def save_mapping(
    engine: Engine,
    name: str,
    mapping: dict[str, str],
    *,
    drop: list[str] | None = None,
    actor: Actor | str = "cli",
) -> None:
    """Save a column mapping under a name, for repeated imports of the same extract."""
    from sqlalchemy.orm import Session

    if not isinstance(actor, str):
        require(actor, "import")
    if not name.strip():
        raise InputError("give the mapping a name")
    with Session(engine) as session, session.begin():
        saved = session.scalar(select(SavedMapping).where(SavedMapping.name == name))
        if saved is None:
            session.add(SavedMapping(name=name, mapping=dict(mapping), drop=list(drop or [])))
        else:
            saved.mapping, saved.drop = dict(mapping), list(drop or [])
        record_event(
            session,
            actor=actor,
            action="save",
            entity="mapping",
            entity_id=name,
            after={"mapping": mapping, "drop": drop or []},
        )


def get_mapping(engine: Engine, name: str) -> tuple[dict[str, str], list[str]]:
    """Return a saved mapping and its columns to drop."""
    with engine.connect() as conn:
        row = conn.execute(
            select(SavedMapping.mapping, SavedMapping.drop).where(SavedMapping.name == name)
        ).first()
    if row is None:
        msg = f"there is no saved mapping called {name!r}"
        raise InputError(msg)
    return dict(row[0]), list(row[1])


def list_mappings(engine: Engine) -> pd.DataFrame:
    """Every saved mapping."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SavedMapping.name, SavedMapping.mapping, SavedMapping.drop).order_by(
                SavedMapping.name
            )
        ).all()
    return pd.DataFrame(rows, columns=["name", "mapping", "drop"])
