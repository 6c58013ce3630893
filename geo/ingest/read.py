"""Reading files in bounded chunks: CSV, XLSX, GeoJSON and GeoPackage points, zips and folders.

CSV may use any common delimiter and be UTF-8 (with or without BOM) or Windows-1252.
Every value is read as text (so a formula-looking cell stays text and nothing is guessed), in
chunks of a fixed number of rows, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from geo._errors import InputError

__all__ = [
    "POLICE_UK_COLUMNS",
    "Source",
    "TableReader",
    "expand_sources",
    "file_label",
    "open_table",
]

#: The header of a data.police.uk street-level crime file.
POLICE_UK_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

_TEXT = {".csv", ".txt", ".tsv"}
_EXCEL = {".xlsx", ".xlsm"}
_GEO = {".geojson", ".json", ".gpkg"}
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Source:
    """One importable file: a path on disk, or a member of a zip."""

    name: str
    suffix: str
    opener: Callable[[], IO[bytes]]
    size: int
    _checksum: list[str] = field(default_factory=list, compare=False, repr=False)

    def checksum(self) -> str:
        """Return the SHA-256 of the file's bytes (streamed once, then remembered)."""
        if not self._checksum:
            digest = hashlib.sha256()
            with self.opener() as handle:
                while block := handle.read(_BLOCK):
                    digest.update(block)
            self._checksum.append(digest.hexdigest())
        return self._checksum[0]


_POLICE_UK_NAME = re.compile(r"(?:^|[/:\\])(\d{4}-\d{2})-[a-z0-9-]+-street\.csv$", re.IGNORECASE)


def file_label(name: str, number: int) -> str:
    """Return the safe label a batch is known by: never the file's own name.

    A file's name may itself be personal (``Jane_Smith_DOB_2009-04-12_missing.csv``); only the
    month of a police.uk street file is taken from it.

    Examples
    --------
    >>> file_label("2025-03-staffordshire-street.csv", 4)
    'police.uk street file, 2025-03'
    >>> file_label("Jane_Smith_DOB_2009-04-12_missing.csv", 3)
    'upload 3'
    """
    match = _POLICE_UK_NAME.search(name)
    return f"police.uk street file, {match.group(1)}" if match else f"upload {number}"


def _file_source(path: Path) -> Source:
    return Source(path.name, path.suffix.lower(), lambda: path.open("rb"), path.stat().st_size)


def _zip_sources(path: Path) -> list[Source]:
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        msg = (
            f"{path.name} is not a complete zip file (it may be a truncated download): {exc}. "
            "Download it again and retry."
        )
        raise InputError(msg) from exc
    if bad is not None:
        msg = f"{path.name} is damaged: member {bad} fails its checksum. Download it again."
        raise InputError(msg)
    usable = [m for m in members if Path(m.filename).suffix.lower() in _TEXT | _EXCEL | _GEO]
    street = [m for m in usable if m.filename.lower().endswith("-street.csv")]
    chosen = street or usable  # a police.uk download: the street files; outcomes are not needed
    if not chosen:
        msg = f"{path.name} holds no CSV, XLSX or GeoJSON file to import"
        raise InputError(msg)

    def opener(member: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
        return lambda: zipfile.ZipFile(path).open(member)

    return [
        Source(f"{path.name}:{m.filename}", Path(m.filename).suffix.lower(), opener(m), m.file_size)
        for m in sorted(chosen, key=lambda m: m.filename)
    ]


def expand_sources(paths: list[Path]) -> list[Source]:
    """Turn files, folders and zips into the list of files to import, in a stable order."""
    sources: list[Source] = []
    for path in map(Path, paths):
        if not path.exists():
            msg = f"{path} does not exist"
            raise InputError(msg)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in _TEXT | _EXCEL | _GEO | {".zip"}
            )
            street = [p for p in files if p.name.lower().endswith("-street.csv")]
            if not files:
                msg = f"the folder {path} holds no file to import"
                raise InputError(msg)
            sources += expand_sources(street or files)
        elif path.suffix.lower() == ".zip":
            sources += _zip_sources(path)
        elif path.suffix.lower() in _TEXT | _EXCEL | _GEO:
            sources.append(_file_source(path))
        else:
            msg = (
                f"{path.name}: unsupported file type {path.suffix or '(none)'}; use CSV, XLSX, "
                "GeoJSON, GeoPackage, or a zip of them"
            )
            raise InputError(msg)
    return sources


def _detect_encoding(source: Source) -> str:
    """Return the text encoding: UTF-16 (by its BOM), UTF-8 (with or without BOM) or cp1252.

    UTF-8 if every byte decodes as UTF-8, else Windows-1252 if every byte decodes as that.

    Raises :class:`InputError` (never a ``UnicodeDecodeError``) for bytes that are neither, and
    for NUL bytes, which no text file holds (they would silently cut a value short), naming the
    line where they are.
    """
    with source.opener() as handle:
        head = handle.read(4)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and head[:4] != codecs.BOM_UTF32_LE:
        _check_decodes(source, "utf-16")
        return "utf-16"
    bom = head[:3] == codecs.BOM_UTF8
    try:
        _check_decodes(source, "utf-8")
    except UnicodeDecodeError:
        try:
            _check_decodes(source, "cp1252")
        except UnicodeDecodeError as exc:
            msg = (
                f"{source.name} cannot be read as text: it holds bytes that are neither UTF-8 nor "
                f"Windows-1252 (e.g. byte 0x{exc.object[exc.start]:02x}; it may be damaged or not "
                "a CSV file at all). Save it again as 'CSV UTF-8' and retry. Nothing was stored."
            )
            raise InputError(msg) from None
        return "cp1252"
    return "utf-8-sig" if bom else "utf-8"


def _check_decodes(source: Source, encoding: str) -> None:
    """Decode the whole file as ``encoding``; refuse NUL characters with their line number."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with source.opener() as handle:
        while True:
            block = handle.read(_BLOCK)
            text = decoder.decode(block, final=not block)
            nul = text.find("\x00")
            if nul >= 0:
                where = line + text.count("\n", 0, nul)
                msg = (
                    f"{source.name}: line {where} holds a NUL byte (\\0), which no text file "
                    "holds: the file is damaged or is not a CSV file. Nothing was stored."
                )
                raise InputError(msg)
            line += text.count("\n")
            if not block:
                return


def _sniff_delimiter(name: str, sample: str) -> str:
    if not sample.strip():
        msg = f"{name} is empty"
        raise InputError(msg)
    first_line = sample.splitlines()[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


@dataclass
class TableReader:
    """Column names and a way to iterate the rows in chunks (all values as text).

    ``chunks(size, wanted)`` yields frames of ``size`` rows; with ``wanted`` (column names) a
    reader may leave the other columns out.
    """

    name: str
    format: str
    columns: list[str]
    chunks: Callable[[int, list[str] | None], Iterator[pd.DataFrame]]
    notes: list[str]
    #: About how many rows the file holds (from its size and first lines), if that is known.
    expected_rows: int | None = None


def _csv_reader(source: Source) -> TableReader:
    if source.size == 0:
        msg = f"{source.name} is empty: there is nothing to import"
        raise InputError(msg)
    encoding = _detect_encoding(source)
    with source.opener() as handle:
        head = handle.read(_BLOCK)  # the first megabyte: delimiter, quoting, row length
    sample = head[: 64 * 1024].decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(source.name, sample)
    notes = {
        "cp1252": ["read as Windows-1252 (cp1252) because it is not valid UTF-8"],
        "utf-16": ["read as UTF-16 (it starts with a UTF-16 byte order mark)"],
    }.get(encoding, [])
    with source.opener() as handle:
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        header = next(csv.reader(text, delimiter=delimiter), None)
    if not header or all(not h.strip() for h in header):
        msg = f"{source.name} has no header row"
        raise InputError(msg)
    columns = [h.strip() for h in header]
    if len(columns) == 1 and any(d in columns[0] for d in ",;\t|"):
        msg = f"{source.name}: cannot tell how the columns are separated; save it as a CSV"
        raise InputError(msg)
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        msg = f"{source.name}: columns named more than once: {', '.join(dupes)}"
        raise InputError(msg)
    fmt = "police_uk" if tuple(columns) == POLICE_UK_COLUMNS else "csv"

    # Arrow's reader is several times faster than pandas'; pandas' skips the spaces after a
    # delimiter, which matters only where a quoted value follows one (", \"a, b\"").
    spaced_quotes = f'{delimiter} "' in sample
    file = _CsvFile(source, encoding, delimiter, columns)

    def chunks(size: int, wanted: list[str] | None = None) -> Iterator[pd.DataFrame]:
        done = 0
        try:
            if not spaced_quotes:
                try:
                    for frame in file.arrow_chunks(size, wanted):
                        yield frame
                        done += len(frame)
                    return
                except pa.ArrowInvalid:
                    # Arrow refuses what pandas forgives (a short row: its missing fields are
                    # empty, and the row is then rejected with its line number). Go on with
                    # pandas from the first row not yet yielded; every frame so far was full.
                    pass
            for index, frame in enumerate(file.pandas_chunks(size, wanted)):
                if index * size >= done:
                    yield frame
        except pd.errors.ParserError as exc:
            msg = f"{source.name}: the rows do not match the header ({exc})"
            raise InputError(msg) from exc

    return TableReader(source.name, fmt, columns, chunks, notes, _estimate_rows(source, head))


_ARROW_BLOCK_BYTES = 1 << 22  # Arrow parses a file this many bytes at a time


@dataclass(frozen=True)
class _CsvFile:
    """A delimited text file as sniffed: both readers below take it the same way."""

    source: Source
    encoding: str
    delimiter: str
    columns: list[str]

    def pandas_chunks(self, size: int, wanted: list[str] | None) -> Iterator[pd.DataFrame]:
        """Frames of ``size`` rows, read by pandas (forgiving: short rows, spaced quotes)."""
        with self.source.opener() as handle:
            text = io.TextIOWrapper(handle, encoding=self.encoding, newline="")
            # Every column is read (no usecols), so a row with more fields than the header (an
            # unquoted delimiter inside a value) stops the file with its line number.
            for frame in pd.read_csv(
                text,
                sep=self.delimiter,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                chunksize=size,
                skipinitialspace=True,
                on_bad_lines="error",
                header=0,
                names=self.columns,
            ):
                yield frame if wanted is None else frame[wanted]

    def arrow_chunks(self, size: int, wanted: list[str] | None) -> Iterator[pd.DataFrame]:
        """Frames of exactly ``size`` rows, streamed through Arrow's CSV reader (fast)."""
        read_options = pa_csv.ReadOptions(
            column_names=self.columns,
            skip_rows=1,
            encoding="utf8" if self.encoding.startswith("utf-8") else self.encoding,
            block_size=_ARROW_BLOCK_BYTES,
        )
        parse_options = pa_csv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True)
        convert_options = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(self.columns, pa.string()),
            include_columns=wanted,  # columns nobody looks at are not even turned into text
            null_values=[""],
            strings_can_be_null=True,
        )
        with self.source.opener() as handle:
            if self.encoding == "utf-8-sig":
                handle.read(3)  # the byte order mark: not part of the first column's name
            reader = pa_csv.open_csv(
                handle,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= size:
                    table = pa.Table.from_batches(pending)
                    yield _frame(table.slice(0, size))
                    rest = table.slice(size)
                    pending, held = rest.to_batches(), rest.num_rows
            if held:
                yield _frame(pa.Table.from_batches(pending))


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)


def _estimate_rows(source: Source, head: bytes) -> int:
    """Rows in a text file, estimated from the line length of its first bytes (``head``)."""
    lines = max(head.count(b"\n"), 1)
    return max(round(source.size * lines / max(len(head), 1)) - 1, 0)


def _xlsx_reader(source: Source, sheet: str | None) -> TableReader:
    import openpyxl

    with source.opener() as handle:
        data = handle.read()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        msg = f"{source.name} is not a readable XLSX workbook ({exc})"
        raise InputError(msg) from exc
    # A sheet written in streaming mode has no <dimension> (max_row is None): look at its first
    # row rather than trusting the stated size.
    non_empty = [
        ws.title
        for ws in book.worksheets
        if any(v is not None for v in next(ws.iter_rows(max_row=1, values_only=True), ()))
    ]
    if sheet is None:
        if len(non_empty) > 1:
            msg = (
                f"{source.name} has several sheets ({', '.join(non_empty)}): choose the one to "
                "import (--sheet NAME on the command line)"
            )
            raise InputError(msg)
        if not non_empty:
            msg = f"{source.name} is empty: there is nothing to import"
            raise InputError(msg)
        sheet = non_empty[0]
    if sheet not in book.sheetnames:
        msg = f"{source.name} has no sheet called {sheet!r} (it has {', '.join(book.sheetnames)})"
        raise InputError(msg)
    ws = book[sheet]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        msg = f"{source.name}: sheet {sheet!r} is empty"
        raise InputError(msg)
    columns = [str(h).strip() if h is not None else "" for h in header]
    if any(not c for c in columns):
        blank = [i + 1 for i, c in enumerate(columns) if not c]
        msg = (
            f"{source.name}: the header row has blank cells in columns {blank} (merged header "
            "cells?). Give every column a one-row header and retry."
        )
        raise InputError(msg)

    def chunks(size: int, _wanted: list[str] | None = None) -> Iterator[pd.DataFrame]:
        inner = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        iterator = inner[sheet].iter_rows(values_only=True)
        next(iterator, None)
        batch: list[tuple[object, ...]] = []
        for row in iterator:
            batch.append(row)
            if len(batch) == size:
                yield _xlsx_frame(batch, columns)
                batch = []
        if batch:
            yield _xlsx_frame(batch, columns)

    return TableReader(f"{source.name}[{sheet}]", "xlsx", columns, chunks, [])


def _xlsx_frame(rows: list[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    width = len(columns)
    padded = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    frame = pd.DataFrame(padded, columns=columns, dtype=object)
    return frame.map(_cell_text).astype("string")


def _cell_text(value: object) -> object:
    if value is None:
        return pd.NA
    if hasattr(value, "isoformat"):
        return value.isoformat()  # dates from Excel keep their meaning
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _geo_reader(source: Source, layer: str | None) -> TableReader:
    with source.opener() as handle:
        data = handle.read()
    if not data.strip():
        msg = f"{source.name} is empty: there is nothing to import"
        raise InputError(msg)
    try:
        frame = (
            gpd.read_file(io.BytesIO(data), layer=layer)
            if layer
            else gpd.read_file(io.BytesIO(data))
        )
    except Exception as exc:
        msg = f"{source.name} is not a readable GeoJSON or GeoPackage file ({exc})"
        raise InputError(msg) from exc
    if frame.empty:
        msg = f"{source.name} holds no features"
        raise InputError(msg)
    kinds = set(frame.geometry.dropna().geom_type)
    if kinds - {"Point"}:
        msg = (
            f"{source.name} holds {', '.join(sorted(kinds))} features where points are expected. "
            "Incidents are points; import boundaries on the districts import instead."
        )
        raise InputError(msg)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype("string")
    located = frame.geometry.notna() & ~frame.geometry.is_empty
    table["longitude"] = frame.geometry.x.where(located).astype("string")
    table["latitude"] = frame.geometry.y.where(located).astype("string")
    columns = list(table.columns)

    def chunks(size: int, _wanted: list[str] | None = None) -> Iterator[pd.DataFrame]:
        for start in range(0, len(table), size):
            yield table.iloc[start : start + size].reset_index(drop=True)

    fmt = "gpkg" if source.suffix == ".gpkg" else "geojson"
    return TableReader(source.name, fmt, columns, chunks, [], len(table))


def open_table(source: Source, *, sheet: str | None = None) -> TableReader:
    """Open a source for chunked reading; raise :class:`InputError` if it cannot be read."""
    if source.suffix in _EXCEL:
        return _xlsx_reader(source, sheet)
    if source.suffix in _GEO:
        return _geo_reader(source, sheet)
    return _csv_reader(source)
