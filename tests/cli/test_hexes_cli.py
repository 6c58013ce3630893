"""``saferplaces hexes``: each kind at the finest resolution it may have, and said in the output."""

from __future__ import annotations

import csv
import io
import json

import h3
import pandas as pd

from cli.main import main
from tests.conftest import import_frame


def _frame(kind: str, n: int, month: str = "2026-10") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lat": [52.80 + 0.004 * (i % 5) for i in range(n)],
            "lon": [-2.10] * n,
            "month": [month] * n,
            "category": ["Drugs" if kind == "incident" else "Missing episode"] * n,
            "kind": [kind] * n,
        }
    )


def _rows(capsys) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))


def test_hexes_without_kind_answers_at_the_asked_resolution(configured, capsys, tmp_path):
    import_frame(configured, _frame("incident", 40), tmp_path / "incidents.csv")
    assert main(["hexes", "--res", "8"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out.lstrip("\ufeff"))))
    assert rows
    assert {r["resolution"] for r in rows} == {"8"}
    assert {h3.get_resolution(r["cell"]) for r in rows} == {8}
    assert {r["kinds"] for r in rows} == {"incident"}
    assert "note" not in captured.err  # nothing was coarsened: nothing to say


def test_only_missing_episode_locations_are_coarsened_and_the_output_says_so(
    configured, capsys, tmp_path
):
    import_frame(configured, _frame("incident", 40), tmp_path / "incidents.csv")
    import_frame(configured, _frame("missing_from", 30), tmp_path / "missing.csv")
    assert main(["hexes", "--res", "8"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out.lstrip("\ufeff"))))
    by_kind = {r["kinds"]: r["resolution"] for r in rows}
    assert by_kind["incident"] == "8"
    assert by_kind["missing_from;found_at"] == "7"
    for row in rows:
        assert h3.get_resolution(row["cell"]) == int(row["resolution"])
    assert "never shown finer than H3 resolution 7" in captured.err
    assert main(["hexes", "--res", "8", "--format", "geojson"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["properties"]["resolutions"] == {
        "incident": 8,
        "missing_from": 7,
        "found_at": 7,
    }
    assert "resolution 7" in data["properties"]["note"]
    assert {f["properties"]["resolution"] for f in data["features"]} == {7, 8}
    # an explicit incident-only question stays at 8 with nothing to say
    assert main(["hexes", "--res", "8", "--kind", "incident"]) == 0
    assert {r["resolution"] for r in _rows(capsys)} == {"8"}
