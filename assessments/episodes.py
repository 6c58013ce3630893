"""Missing episodes: import whole files (all or nothing) and load them for the analyses.

An episode file is stored whole or not at all: any bad row refuses the file, with every bad
row's line and reason (:class:`EpisodeRowsError`), so a child's episodes are never half
imported. The same file twice stores nothing; an episode reference already stored refuses the
file too. References are hashed with the installation's key before they leave ``geo.ingest``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.imports import load_districts
from assessments.models import Episode, ImportBatch
from assessments.permissions import Actor, require
from assessments.settings import install_secret
from geo._errors import ConflictError, InputError
from geo.disclosure import new_record_keys
from geo.ingest import CHUNK_ROWS, expand_sources, open_table
from geo.ingest.episodes import EPISODE_COLUMNS, EpisodeNormaliser

__all__ = [
    "EPISODE_FRAME_COLUMNS",
    "EpisodeImport",
    "EpisodeRowsError",
    "import_episodes",
    "load_episodes",
]

#: Rejections listed in the error message (the error carries them all).
_SHOWN_REJECTS = 20
_INSERT_ROWS = 20_000
ALREADY_STORED = "episode already imported (same episode reference)"

#: Columns of :func:`load_episodes` (no references, not even hashed, except the child's key;
#: ``record_key`` is the cell key method's random key, summed next to counts, never shown).
EPISODE_FRAME_COLUMNS = (
    "child_key",
    "from_lat",
    "from_lon",
    "from_cell",
    "from_district",
    "found_lat",
    "found_lon",
    "found_cell",
    "found_district",
    "start_date",
    "end_date",
    "month",
    "age_band",
    "rhi_offered",
    "rhi_accepted",
    "rhi_within_72h",
    "record_key",
)


class EpisodeRowsError(InputError):
    """Some rows of an episode file are bad: nothing of the file was stored."""

    def __init__(self, message: str, *, rejects: pd.DataFrame) -> None:
        super().__init__(message)
        self.rejects = rejects


@dataclass
class EpisodeImport:
    """What happened to one episode file."""

    file: str
    batch_id: int | None = None
    read: int = 0
    stored: int = 0
    duplicate: bool = False
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the report as ``saferplaces import episodes --json`` prints it."""
        return {
            "batch_id": self.batch_id,
            "file": self.file,
            "read": self.read,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "notes": list(self.notes),
        }


def _rows_error(name: str, rejects: pd.DataFrame) -> EpisodeRowsError:
    rejects = rejects.sort_values("line", kind="stable").reset_index(drop=True)
    shown = "; ".join(
        f"line {int(r.line)}: {r.reason}" for r in rejects.head(_SHOWN_REJECTS).itertuples()
    )
    more = len(rejects) - _SHOWN_REJECTS
    tail = f"; and {more:,} more" if more > 0 else ""
    msg = (
        f"{name}: {len(rejects):,} row(s) cannot be imported, so nothing was stored "
        f"({shown}{tail}). Correct them and import the file again."
    )
    return EpisodeRowsError(msg, rejects=rejects)


def import_episodes(
    engine: Engine,
    path: Path | str,
    *,
    actor: Actor | str = "cli",
    mapping: dict[str, str] | None = None,
    drop: tuple[str, ...] | list[str] = (),
    sheet: str | None = None,
    is_sample: bool = False,
    key: bytes | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> EpisodeImport:
    """Import one CSV or XLSX file of missing episodes, all or nothing.

    Raises
    ------
    geo.PersonalDataError
        The file holds personal data (names, dates of birth, addresses...).
    EpisodeRowsError
        Some rows are bad (each with its line and reason): nothing was stored.
    geo.InputError
        The file cannot be read or lacks a required column.
    """
    if not isinstance(actor, str):
        require(actor, "import")
    sources = expand_sources([Path(path)])
    if len(sources) != 1:
        msg = f"{Path(path).name}: give one episode file (CSV or XLSX), not a folder or zip"
        raise InputError(msg)
    source = sources[0]
    report = EpisodeImport(file=source.name)
    checksum = source.checksum()
    with engine.connect() as conn:
        earlier = conn.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.checksum == checksum)
        ).first()
    if earlier is not None:
        report.duplicate, report.batch_id = True, int(earlier[0])
        report.notes.append(
            f"already imported as batch {earlier[0]} ({earlier[1]}): nothing stored"
        )
        return report
    try:
        reader = open_table(source, sheet=sheet)
        normaliser = EpisodeNormaliser(
            columns=reader.columns,
            key=key if key is not None else install_secret(),
            mapping=mapping,
            drop=tuple(drop),
            districts=load_districts(engine),
        )
        valid_parts, rejected_parts = [], []
        line = 2
        for frame in reader.chunks(chunk_rows, normaliser.wanted_columns):
            if frame.empty:
                continue
            valid, rejected = normaliser.process(frame, first_line=line)
            line += len(frame)
            report.read += len(frame)
            valid_parts.append(valid)
            rejected_parts.append(rejected)
    except InputError as exc:
        kwargs = {"columns": exc.columns} if hasattr(exc, "columns") else {}
        raise type(exc)(f"{source.name}: {exc}", **kwargs) from exc
    if report.read == 0:
        msg = f"{source.name} has a header but no rows: there is nothing to import"
        raise InputError(msg)
    valid = pd.concat(valid_parts, ignore_index=True)
    rejects = pd.concat(rejected_parts, ignore_index=True)
    stored = _stored_keys(engine, valid["episode_key"])
    if stored.any():
        rejects = pd.concat(
            [rejects, pd.DataFrame({"line": valid.loc[stored, "line"], "reason": ALREADY_STORED})],
            ignore_index=True,
        )
    if not rejects.empty:
        raise _rows_error(source.name, rejects)
    actor_name = actor if isinstance(actor, str) else actor.username
    try:
        with engine.begin() as conn:
            batch_id = conn.execute(
                insert(ImportBatch)
                .values(
                    file_name=source.name[:255],
                    checksum=checksum,
                    format=reader.format,
                    kind="episode",
                    rows_read=report.read,
                    rows_stored=len(valid),
                    rows_rejected=0,
                    rejected_by_reason={},
                    rejects=[],
                    mapping=mapping or {},
                    first_month=min(valid["month"]) if len(valid) else None,
                    last_month=max(valid["month"]) if len(valid) else None,
                    is_sample=is_sample,
                    created_by=actor_name,
                    created_at=dt.datetime.now(dt.UTC),
                )
                .returning(ImportBatch.id)
            ).scalar_one()
            for records in _records(valid, int(batch_id)):
                conn.execute(insert(Episode), records)
            with Session(bind=conn) as session:
                record_event(
                    session,
                    actor=actor,
                    action="import",
                    entity="import_batch",
                    entity_id=batch_id,
                    after={"file": source.name, "episodes": len(valid), "kind": "episode"},
                    detail={"format": reader.format},
                )
                session.flush()
    except IntegrityError as exc:
        msg = (
            f"{source.name}: someone else imported the same file or episodes at the same time; "
            "nothing was stored from this file. Check the batches and try again if needed."
        )
        raise ConflictError(msg) from exc
    report.batch_id, report.stored = int(batch_id), len(valid)
    return report


def _stored_keys(engine: Engine, keys: pd.Series) -> np.ndarray:
    """Mask of ``keys`` already stored (looked up in slices)."""
    found: set[str] = set()
    values = keys.tolist()
    with engine.connect() as conn:
        for i in range(0, len(values), 5_000):
            part = values[i : i + 5_000]
            found.update(
                conn.execute(select(Episode.episode_key).where(Episode.episode_key.in_(part)))
                .scalars()
                .all()
            )
    return keys.isin(found).to_numpy()


def _records(valid: pd.DataFrame, batch_id: int) -> list[list[dict[str, Any]]]:
    """Rows as plain Python values (exact 64-bit cells, ``None`` for missing), in slices."""
    columns: dict[str, list[Any]] = {}
    for name in EPISODE_COLUMNS:
        values = valid[name]
        if name.endswith("_cell"):
            cells = values.astype("Int64")
            columns[name] = [None if v is pd.NA else int(v) for v in cells.tolist()]
        elif name.endswith(("_lat", "_lon")):
            columns[name] = [None if v != v else float(v) for v in values.tolist()]
        else:
            columns[name] = [None if v is None or v is pd.NA or v != v else v for v in values]
    columns["record_key"] = [int(k) for k in new_record_keys(len(valid))]  # never shown
    records = [
        dict(zip(columns, row, strict=True), batch_id=batch_id)
        for row in zip(*columns.values(), strict=False)
    ]
    return [records[i : i + _INSERT_ROWS] for i in range(0, len(records), _INSERT_ROWS)]


def load_episodes(
    engine: Engine,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    districts: list[str] | None = None,
) -> pd.DataFrame:
    """Episodes as a frame (:data:`EPISODE_FRAME_COLUMNS`), by start month and district.

    ``districts`` keeps episodes that went missing from, or were found in, those districts.
    Raw: every figure made from it goes through ``geo.disclosure`` before it is shown.
    """
    columns = [getattr(Episode, c) for c in EPISODE_FRAME_COLUMNS]
    query = select(*columns)
    if start is not None:
        query = query.where(Episode.month >= start.replace(day=1))
    if end is not None:
        query = query.where(Episode.month <= end)
    if districts:
        query = query.where(
            Episode.from_district.in_(districts) | Episode.found_district.in_(districts)
        )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(EPISODE_FRAME_COLUMNS))
    for column in ("from_cell", "found_cell"):
        frame[column] = frame[column].astype("Int64")
    for column in ("from_lat", "from_lon", "found_lat", "found_lon"):
        frame[column] = frame[column].astype(float)
    for column in ("start_date", "end_date", "month"):
        frame[column] = pd.to_datetime(frame[column])
    for column in ("rhi_offered", "rhi_accepted", "rhi_within_72h"):
        frame[column] = frame[column].astype("boolean")
    frame["record_key"] = frame["record_key"].astype("int64")
    return frame
