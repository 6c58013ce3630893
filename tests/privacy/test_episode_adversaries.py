"""Adversaries against the missing-episode figures, on the synthetic sample episodes.

An adversary asks the real service and command line for overlapping month ranges (``saferplaces
performance --json`` for return home interviews by month and district, with the monthly and
headline totals; ``assessments.flows.shown_flows``, what the Map page draws, for the flows
between resolution-7 cells), then solves for each true small count (1-4) with integer
programmes, knowing the method as the README documents it: "fewer than N" hides a true count
from 1 to N + 2; any other shown count is within ``MAX_PERTURBATION`` of a true count of N or
more; an absent row holds 0 (an absent flow: 0 or hidden). A count is *recovered* when the
answers leave exactly one value and it is the true one. At most 1% may be recovered.

The same attack is also run on the answers without record keys: rounded to 5 (the old
fallback; on this dense sample it recovers little, the figures are printed) and suppression
alone (the control: it must recover more than the limit allows, so the attack is real). Record
keys are replaced by a seeded draw after import, so the test is repeatable.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import replace

import h3
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import bindparam, select

from assessments import db, imports
from assessments.episodes import import_episodes, load_episodes
from assessments.flows import shown_flows
from assessments.models import Episode
from assessments.settings import SAMPLES_DIR
from cli.main import main
from geo.cells import cell_to_str, points_to_cells
from geo.disclosure import INTERNAL, KEY_RANGE, MAX_PERTURBATION, protect_counts
from geo.flows import FLOW_RES

pytestmark = pytest.mark.slow

KEY_SEED = 20261201
#: The months attacked (the last ones of the sample): every range of them is asked.
MONTHS = pd.date_range("2026-02-01", "2026-10-01", freq="MS")
LIMIT = 0.01
#: Flows (pairs of cells) with a small count in some month, sampled for the integer programmes.
SAMPLE_FLOWS = 150
COLUMNS = {  # RHI column -> headline measure
    "notifications": "Missing episodes (notifications)",
    "offered": "Return home interviews offered",
    "accepted": "Return home interviews accepted",
    "within 72 hours": "Accepted within 72 hours",
}
FIGURES: dict[str, str] = {}
RANGES = [(a, b) for i, a in enumerate(MONTHS) for b in MONTHS[i:]]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("episode-adversary") / "store.db"
    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    db.migrate(engine)
    imports.import_districts(engine, SAMPLES_DIR / "synthetic_districts.geojson", is_sample=True)
    import_episodes(engine, SAMPLES_DIR / "synthetic_episodes.csv", key=b"a" * 32)
    with engine.begin() as conn:  # the seeded draw of record keys (repeatable)
        ids = [row[0] for row in conn.execute(select(Episode.id).order_by(Episode.id))]
        keys = np.random.default_rng(KEY_SEED).integers(0, KEY_RANGE, size=len(ids))
        conn.execute(
            Episode.__table__.update()
            .where(Episode.__table__.c.id == bindparam("row_id"))
            .values(record_key=bindparam("key")),
            [{"row_id": i, "key": int(k)} for i, k in zip(ids, keys, strict=True)],
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFERPLACES_DATABASE_URL", url)
        patch.setenv("SAFERPLACES_DATA_DIR", str(path.parent / "var"))
        yield engine
    engine.dispose()
    db.clear_engines()
    print("\nepisode adversary figures:\n" + "\n".join(f"  {k}: {v}" for k, v in FIGURES.items()))


@pytest.fixture(scope="module")
def truth(store) -> pd.DataFrame:
    episodes = load_episodes(store)
    episodes["district"] = (
        episodes["from_district"].fillna(episodes["found_district"]).fillna("unknown")
    )
    episodes["notifications"] = 1
    episodes["offered"] = episodes["rhi_offered"].fillna(False).astype(int)
    episodes["accepted"] = episodes["rhi_accepted"].fillna(False).astype(int)
    episodes["within 72 hours"] = episodes["rhi_within_72h"].fillna(False).astype(int)
    return episodes[episodes["month"].between(MONTHS[0], MONTHS[-1])]


def _bounds(label: str | None, rounding: int = 0) -> tuple[int, int]:
    """What a shown label allows the true count to be, by the documented method."""
    t, d = INTERNAL.threshold, MAX_PERTURBATION
    if label is None:
        return 0, 0
    if label == INTERNAL.suppressed_label:
        return 1, t - 1 if rounding else t - 1 + d
    value = int(label)
    if value == 0:
        return 0, 0
    if rounding:
        return max(t, value - rounding // 2), value + rounding // 2
    return max(t, value - d), value + d


def _solve(x: np.ndarray, rows: list[np.ndarray], lo: list[int], hi: list[int], targets):
    """(recovered, small, wrong) over ``targets`` (indices of small true counts)."""
    matrix = np.array(rows)
    assert (matrix @ x >= lo).all()  # the documented bounds hold for the truth
    assert (matrix @ x <= hi).all()
    constraint = LinearConstraint(matrix, lo, hi)
    recovered = wrong = 0
    for i in targets:
        c = np.zeros(len(x))
        c[i] = 1
        ends = []
        for sign in (1, -1):
            result = milp(
                sign * c,
                constraints=constraint,
                integrality=np.ones(len(x)),
                bounds=Bounds(0, np.inf),
            )
            ends.append(round(sign * result.fun))
        if ends[0] == ends[1]:
            recovered += ends[0] == x[i]
            wrong += ends[0] != x[i]
    return recovered, len(targets), wrong


def _record(name: str, recovered: int, small: int) -> float:
    share = recovered / small if small else 0.0
    FIGURES[name] = f"{recovered} of {small} small (1-4) counts recovered exactly ({share:.2%})"
    return share


def _performance(start: pd.Timestamp, end: pd.Timestamp) -> dict:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert (
            main(["performance", "--json", "--from", str(start.date()), "--to", str(end.date())])
            == 0
        )
    return json.loads(buffer.getvalue())


def _rhi_attack(truth: pd.DataFrame, answers: dict) -> tuple[int, int, int]:
    """Month x district cells, monthly totals, headline totals of every range: per column."""
    districts = sorted(truth["district"].unique())
    atoms = [(m, d) for m in MONTHS for d in districts]
    recovered = small = wrong = 0
    for column, measure in COLUMNS.items():
        true = truth.groupby(["month", "district"])[column].sum()
        x = np.array([int(true.get(a, 0)) for a in atoms])
        rows, lo, hi = [], [], []

        def add(members, label, rows=rows, lo=lo, hi=hi):  # type: ignore[no-untyped-def]
            row = np.zeros(len(atoms))
            row[members] = 1
            low, high = _bounds(label, answers["rounding"])
            rows.append(row)
            lo.append(low)
            hi.append(high)

        for (start, end), answer in answers["ranges"].items():
            inside = [i for i, (m, _) in enumerate(atoms) if start <= m <= end]
            add(inside, answer["headline"][measure])
            for month, label in answer["monthly"][column].items():
                add([i for i, (m, _) in enumerate(atoms) if m == month], label)
            for (month, district), label in answer["cells"][column].items():
                add([atoms.index((month, district))], label)
            listed = set(answer["cells"][column])
            for i, (m, d) in enumerate(atoms):  # an absent row: no episode at all
                if start <= m <= end and (m, d) not in listed:
                    add([i], None)
        targets = np.flatnonzero((x >= 1) & (x <= 4))
        r, s, w = _solve(x, rows, lo, hi, targets)
        recovered, small, wrong = recovered + r, small + s, wrong + w
    return recovered, small, wrong


def _from_cli() -> dict:
    ranges = {}
    for start, end in RANGES:
        out = _performance(start, end)
        headline = {r["measure"]: r["shown"] for r in out["missing_episodes"]}
        monthly = {
            column: {pd.Timestamp(r["month"]): r[column] for r in out["episodes_by_month"]}
            for column in COLUMNS
        }
        cells = {
            column: {
                (pd.Timestamp(r["month"]), r["district"]): r[column]
                for r in out["rhi_by_month_and_district"]
            }
            for column in COLUMNS
        }
        ranges[(start, end)] = {"headline": headline, "monthly": monthly, "cells": cells}
    return {"rounding": 0, "ranges": ranges}


def _rounded(truth: pd.DataFrame, base: int) -> dict:
    """The same answers with no record keys: rounded to ``base`` (1: suppression only)."""
    profile = replace(INTERNAL, rounding=base)

    def label(count: int) -> str:
        return str(protect_counts(pd.Series([int(count)]), profile)["label"].iloc[0])

    ranges = {}
    for start, end in RANGES:
        rows = truth[truth["month"].between(start, end)]
        headline = {measure: label(rows[column].sum()) for column, measure in COLUMNS.items()}
        monthly = {
            column: {
                m: label(rows.loc[rows["month"] == m, column].sum())
                for m in MONTHS
                if start <= m <= end
            }
            for column in COLUMNS
        }
        grouped = rows.groupby(["month", "district"])
        cells = {
            column: {k: label(v) for k, v in grouped[column].sum().items()} for column in COLUMNS
        }
        ranges[(start, end)] = {"headline": headline, "monthly": monthly, "cells": cells}
    return {"rounding": base, "ranges": ranges}


def test_overlapping_months_on_rhi_by_month_and_district(store, truth):
    recovered, small, wrong = _rhi_attack(truth, _from_cli())
    assert wrong == 0
    assert small > 30  # the sample has small counts to attack
    assert (
        _record("RHI by month and district, overlapping months (internal)", recovered, small)
        <= LIMIT
    )
    # Without record keys: rounding to 5 (the fallback) and suppression alone (the control)
    old, old_small, _ = _rhi_attack(truth, _rounded(truth, 5))
    _record("RHI, same attack on rounding to 5 without keys", old, old_small)
    bare, bare_small, _ = _rhi_attack(truth, _rounded(truth, 1))
    share = _record("RHI, same attack on suppression alone (control)", bare, bare_small)
    assert share > 0.05  # the attack is real: it breaks suppression without noise


def _flow_truth(truth: pd.DataFrame) -> pd.Series:
    both = truth.dropna(subset=["from_lat", "found_lat"])
    frame = pd.DataFrame(
        {
            "from_cell": points_to_cells(
                both["from_lat"].to_numpy(float), both["from_lon"].to_numpy(float), res=FLOW_RES
            ),
            "to_cell": points_to_cells(
                both["found_lat"].to_numpy(float), both["found_lon"].to_numpy(float), res=FLOW_RES
            ),
            "month": both["month"].to_numpy(),
        }
    )
    return frame.groupby(["from_cell", "to_cell", "month"]).size()


def _flow_attack(true: pd.Series, answers: dict, rounding: int) -> tuple[int, int, int]:
    """Per flow: its months are the atoms, each range's shown flow (or absence) a constraint."""
    t, d = INTERNAL.threshold, MAX_PERTURBATION
    pairs = true[(true >= 1) & (true <= 4)].index.droplevel("month").unique()
    rng = np.random.default_rng(7)
    chosen = rng.choice(len(pairs), size=min(SAMPLE_FLOWS, len(pairs)), replace=False)
    recovered = small = wrong = 0
    for pair in pairs[np.sort(chosen)]:
        x = np.array([int(true.get((*pair, m), 0)) for m in MONTHS])
        rows, lo, hi = [], [], []
        for (start, end), shown in answers.items():
            row = ((start <= MONTHS) & (end >= MONTHS)).astype(float)
            value = shown.get(pair)
            if value is None:  # not drawn: none, or hidden
                low, high = 0, t - 1 if rounding else t - 1 + d
            elif rounding:
                low, high = max(t, value - rounding // 2), value + rounding // 2
            else:
                low, high = max(t, value - d), value + d
            rows.append(row)
            lo.append(low)
            hi.append(high)
        r, s, w = _solve(x, rows, lo, hi, np.flatnonzero((x >= 1) & (x <= 4)))
        recovered, small, wrong = recovered + r, small + s, wrong + w
    return recovered, small, wrong


def test_overlapping_months_on_flows_and_nothing_finer_than_resolution_7(store, truth):
    answers = {}
    for start, end in RANGES:
        flows, _, by_district = shown_flows(
            store, start=start.date(), end=end.date(), profile=INTERNAL
        )
        for end_ in ("from", "to"):
            for cell, lat, lon in zip(
                flows[f"{end_}_cell"], flows[f"{end_}_lat"], flows[f"{end_}_lon"], strict=True
            ):
                assert h3.get_resolution(cell_to_str(int(cell))) == FLOW_RES
                assert (lat, lon) == pytest.approx(h3.cell_to_latlng(cell_to_str(int(cell))))
        assert not {"keysum", "count", "found_lat", "found_lon"} & set(flows.columns)
        assert not {"keysum", "count"} & set(by_district.columns)
        answers[(start, end)] = {
            (int(a), int(b)): int(v)
            for a, b, v in zip(flows["from_cell"], flows["to_cell"], flows["shown"], strict=True)
        }
    true = _flow_truth(truth)
    recovered, small, wrong = _flow_attack(true, answers, rounding=0)
    assert wrong == 0
    assert small > 50
    assert (
        _record("flows between resolution-7 cells, overlapping months", recovered, small) <= LIMIT
    )

    for base in (5, 1):
        old, old_small, _ = _flow_attack(true, _rounded_flows(true, base), rounding=base)
        share = _record(f"flows, same attack without keys, rounding to {base}", old, old_small)
    assert share > LIMIT  # suppression alone (the control) fails the limit: the attack is real


def _rounded_flows(true: pd.Series, base: int) -> dict:
    profile = replace(INTERNAL, rounding=base)
    old_answers = {}
    for start, end in RANGES:
        counts = (
            true[
                (true.index.get_level_values("month") >= start)
                & (true.index.get_level_values("month") <= end)
            ]
            .groupby(level=["from_cell", "to_cell"])
            .sum()
        )
        shown = protect_counts(counts.reset_index(drop=True), profile)
        old_answers[(start, end)] = {
            pair: int(v)
            for pair, v, s in zip(counts.index, shown["count"], shown["suppressed"], strict=True)
            if not s
        }
    return old_answers
