from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd

from geo.export import neutralise_frame, to_safe_csv, to_safe_xlsx


def test_formula_cells_are_neutralised_in_csv_and_xlsx():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil","x")', "+44 123", "-1+2", "@SUM(A1)", "Park"],
            "count": [1, 2, -3, 4, 5],
        }
    )
    safe = neutralise_frame(frame)
    assert list(safe["name"]) == [
        '\'=HYPERLINK("http://evil","x")',
        "'+44 123",
        "'-1+2",
        "'@SUM(A1)",
        "Park",
    ]
    assert list(safe["count"]) == [1, 2, -3, 4, 5]  # numbers stay numbers
    rows = list(csv.reader(io.StringIO(to_safe_csv(frame).decode("utf-8-sig"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert all(not row[0].startswith(("=", "+", "-", "@")) for row in rows[1:])
    book = openpyxl.load_workbook(io.BytesIO(to_safe_xlsx({"hexes": frame})))
    cells = [row[0].value for row in book["hexes"].iter_rows(min_row=2)]
    assert all(not str(c).startswith("=") for c in cells)
    assert book["hexes"]["B4"].value == -3
    assert book["hexes"]["A2"].data_type == "s"
