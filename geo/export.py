"""Safe tabular exports: cells that a spreadsheet would run as formulas are neutralised.

Text from users and partner files (site names, notes, categories) may start with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return; Excel and LibreOffice treat those as formulas (CSV
injection). Every CSV/XLSX the app writes goes through :func:`neutralise_frame`.
"""

from __future__ import annotations

import io

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "neutralise_frame", "to_safe_csv", "to_safe_xlsx"]

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a formula-looking string with an apostrophe; leave everything else unchanged.

    Examples
    --------
    >>> print(neutralise_cell("=SUM(A1:A9)"))
    '=SUM(A1:A9)
    >>> neutralise_cell(-3)
    -3
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and column names are neutralised (vectorised)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            text = series.astype("string")
            risky = text.str.match(r"^[=+\-@\t\r]").fillna(False).astype(bool)
            if risky.any():
                out[column] = series.astype(object).where(~risky, "'" + text.astype(object))
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """Encode ``frame`` as UTF-8 CSV (with BOM, so Excel reads accents) after neutralising."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_safe_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Write several frames as sheets of one XLSX; user text is stored as text, never formulas."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralise_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
