"""Ingest: read incident files, map their columns, validate, refuse personal data, report rows.

Pure: files in, normalised frames and per-row rejections out. Persistence is
``assessments.imports``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import pandas as pd

from geo.ingest.normalise import (
    FIELDS,
    REASONS,
    IncidentNormaliser,
    guess_mapping,
    hash_reference,
)
from geo.ingest.personal import Finding, check_headers, check_values
from geo.ingest.read import POLICE_UK_COLUMNS, Source, TableReader, expand_sources, open_table

__all__ = [
    "FIELDS",
    "POLICE_UK_COLUMNS",
    "REASONS",
    "Chunk",
    "Finding",
    "IncidentNormaliser",
    "Source",
    "TableReader",
    "check_headers",
    "check_values",
    "expand_sources",
    "guess_mapping",
    "hash_reference",
    "open_table",
    "prefetched",
    "read_incidents",
]

T = TypeVar("T")
_END = object()

#: Rows per chunk: bounds memory. Measured on a 1M-row police.uk-shaped file (SQLite, one
#: process): 200,000 rows 13.5 s and 772 MB peak; 100,000 12.8 s, 706 MB; 50,000 12.7 s, 605 MB;
#: 25,000 14.1 s, 539 MB (per-chunk overheads start to tell).
CHUNK_ROWS = 50_000


@dataclass
class Chunk:
    """One chunk of a file: the rows read, the valid incidents and the rejected lines."""

    read: int
    valid: pd.DataFrame
    rejected: pd.DataFrame


def read_incidents(
    source: Source,
    *,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    sheet: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    only_districts: frozenset[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    ref_key: bytes | None = None,
) -> tuple[TableReader, Iterator[Chunk]]:
    r"""Open ``source`` and return its reader and an iterator of normalised chunks.

    Header problems (personal data in column names, missing fields) raise before the iterator
    is returned; value problems raise while iterating, so the caller must treat the file as a
    whole (all or nothing).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = path.write_text("latitude,longitude,category,month\n52.8,-2.1,Drugs,2025-01\n"
    ...                     ",,Drugs,2025-01\n")
    >>> reader, chunks = read_incidents(expand_sources([path])[0])
    >>> chunk = next(chunks)
    >>> chunk.read, len(chunk.valid), chunk.rejected.to_dict("records")
    (2, 1, [{'line': 3, 'reason': 'no location'}])
    """
    reader = open_table(source, sheet=sheet)
    normaliser = IncidentNormaliser(
        columns=reader.columns,
        fmt=reader.format,
        kind=kind,
        mapping=mapping,
        drop=drop,
        districts=districts,
        only_districts=only_districts,
        ref_key=ref_key,
    )

    def chunks() -> Iterator[Chunk]:
        line = 2  # the header is line 1
        any_rows = False
        for frame in reader.chunks(chunk_rows, normaliser.wanted_columns):
            if frame.empty:
                continue
            any_rows = True
            valid, rejected = normaliser.process(frame, first_line=line)
            line += len(frame)
            yield Chunk(read=len(frame), valid=valid, rejected=rejected)
        if not any_rows:
            from geo._errors import InputError

            msg = f"{source.name} has a header but no rows: there is nothing to import"
            raise InputError(msg)

    return reader, chunks()


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Iterate ``items`` in a background thread, at most ``depth`` items ahead of the caller.

    Reading and normalising the next chunk then overlaps with storing this one (database drivers
    and most of pandas release the GIL). An error raised by ``items`` is raised here, in order.
    Memory stays bounded: ``depth`` items wait, one is being made.

    Examples
    --------
    >>> list(prefetched(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    waiting: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    break
            else:
                put((_END, None))
        except BaseException as exc:  # handed to the caller, raised there
            put((_END, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="saferplaces-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = waiting.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
