"""The synthetic samples: reproducible byte for byte, clearly synthetic, and rich enough."""

from __future__ import annotations

import json
from importlib import util

import pandas as pd

from assessments.settings import SAMPLES_DIR


def _generator():
    spec = util.spec_from_file_location("make_samples", SAMPLES_DIR / "make_samples.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_files(tmp_path):
    _generator().make(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in SAMPLES_DIR.glob("synthetic_*"))
    assert made == committed
    for name in made:
        assert (tmp_path / name).read_bytes() == (SAMPLES_DIR / name).read_bytes(), name


def test_samples_are_labelled_synthetic_and_cover_every_state():
    districts = json.loads((SAMPLES_DIR / "synthetic_districts.geojson").read_text())
    assert all(f["properties"]["synthetic"] for f in districts["features"])
    assert all("(synthetic)" in f["properties"]["name"] for f in districts["features"])
    incidents = pd.read_csv(SAMPLES_DIR / "synthetic_incidents.csv")
    assert 45_000 <= len(incidents) <= 55_000
    assert incidents["month"].nunique() == 24
    assert incidents["flags"].notna().sum() > 1_000
    missing = pd.read_csv(SAMPLES_DIR / "synthetic_missing_episodes.csv")
    assert set(missing["kind"]) == {"missing_from", "found_at"}
    assessments = pd.read_csv(SAMPLES_DIR / "synthetic_assessments.csv")
    assert set(assessments["status"]) == {"draft", "submitted", "reviewed"}
    actions = pd.read_csv(SAMPLES_DIR / "synthetic_actions.csv")
    assert set(actions["status"]) == {"open", "done"}
    total = sum(p.stat().st_size for p in SAMPLES_DIR.iterdir())
    assert total < 5 * 2**20
