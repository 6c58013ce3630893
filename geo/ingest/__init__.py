"""Ingest: read incident files, map their columns, validate, refuse personal data, report rows.

Pure: files in, normalised frames and per-row rejections out. Persistence is
``assessments.imports``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.ingest.normalise import FIELDS, REASONS, IncidentNormaliser, guess_mapping
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
    "open_table",
    "read_incidents",
]

#: Rows per chunk: bounds memory (about 100 MB per chunk of a police.uk file).
CHUNK_ROWS = 200_000


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
    )

    def chunks() -> Iterator[Chunk]:
        line = 2  # the header is line 1
        any_rows = False
        for frame in reader.chunks(chunk_rows):
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
