"""Missing-episode flows: counted between resolution-7 cells and districts, protected."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from geo.cells import cell_to_str
from geo.disclosure import INTERNAL, PUBLICATION, new_record_keys, protect_counts
from geo.flows import district_flows, episode_flows, protect_flows
from layers.flows import flow_layer


def _episodes() -> pd.DataFrame:
    a, b, c = (52.80, -2.10), (52.95, -2.30), (52.70, -1.90)
    rows = [(a, b)] * 7 + [(a, c)] * 3 + [(b, b)] * 6 + [(None, c)] * 4
    return pd.DataFrame(
        {
            "from_lat": [r[0][0] if r[0] else None for r in rows],
            "from_lon": [r[0][1] if r[0] else None for r in rows],
            "found_lat": [r[1][0] for r in rows],
            "found_lon": [r[1][1] for r in rows],
            "from_district": ["A"] * 10 + ["B"] * 6 + [None] * 4,
            "found_district": ["B"] * 7 + ["C"] * 3 + ["B"] * 6 + ["C"] * 4,
        }
    )


def test_flows_are_counted_between_resolution_7_cells():
    flows = episode_flows(_episodes())
    assert flows["count"].tolist() == [7, 6, 3]
    assert flows["same_cell"].tolist() == [False, True, False]
    for cell in pd.concat([flows["from_cell"], flows["to_cell"]]):
        assert h3.get_resolution(cell_to_str(cell)) == 7
    top = flows.iloc[0]
    assert h3.latlng_to_cell(52.80, -2.10, 7) == cell_to_str(top["from_cell"])
    assert (top["from_lat"], top["from_lon"]) == pytest.approx(
        h3.cell_to_latlng(cell_to_str(top["from_cell"]))
    )
    with pytest.raises(ValueError, match="never counted finer than resolution 7"):
        episode_flows(_episodes(), res=8)


def test_flows_below_the_threshold_are_not_drawn():
    flows = episode_flows(_episodes())
    shown, hidden = protect_flows(flows, INTERNAL)
    assert shown["label"].tolist() == ["5", "5"]  # rounded to 5 by the internal profile
    assert hidden == 1
    public, hidden = protect_flows(flows, PUBLICATION)
    assert public.empty  # threshold 10: nothing drawn
    assert hidden == 3
    layer = flow_layer(shown)
    assert len(layer._children) == 3  # one line with its end, one ring


def test_district_flows():
    shown, hidden = protect_flows(district_flows(_episodes()), INTERNAL)
    assert shown[["from_district", "to_district", "label"]].values.tolist() == [
        ["A", "B", "5"],
        ["B", "B", "5"],
    ]
    assert hidden == 1


def _keyed(seed: int = 3) -> pd.DataFrame:
    episodes = _episodes()
    return episodes.assign(record_key=new_record_keys(len(episodes), np.random.default_rng(seed)))


def test_flows_carry_the_key_sum_of_their_episodes_and_are_perturbed_by_it():
    episodes = _keyed()
    flows = episode_flows(episodes)
    assert flows["keysum"].tolist() == [
        int(episodes["record_key"].iloc[:7].sum()),
        int(episodes["record_key"].iloc[10:16].sum()),
        int(episodes["record_key"].iloc[7:10].sum()),
    ]
    shown, hidden = protect_flows(flows, INTERNAL)
    expected = protect_counts(flows["count"], INTERNAL, keys=flows["keysum"])
    kept = ~expected["suppressed"]
    assert shown["shown"].tolist() == expected.loc[kept, "count"].astype(int).tolist()
    assert hidden == int(expected["suppressed"].sum())
    assert "keysum" not in shown  # never shown
    by_district = district_flows(episodes)
    assert by_district["keysum"].tolist() == [
        int(episodes["record_key"].iloc[:7].sum()),
        int(episodes["record_key"].iloc[10:16].sum()),
        int(episodes["record_key"].iloc[7:10].sum()),
    ]
    shown_d, _ = protect_flows(by_district, INTERNAL)
    assert "keysum" not in shown_d


def test_the_same_episodes_get_the_same_noise_in_any_period():
    """A flow's perturbation depends only on its episodes: adding other flows changes nothing."""
    episodes = _keyed(11)
    alone, _ = protect_flows(episode_flows(episodes.iloc[:7]), INTERNAL)
    together, _ = protect_flows(episode_flows(episodes), INTERNAL)
    assert (
        alone["shown"].iloc[0]
        == together.set_index(["from_cell", "to_cell"]).loc[
            (alone["from_cell"].iloc[0], alone["to_cell"].iloc[0]), "shown"
        ]
    )
    # without keys the old rounding would show 5 for 7 under every draw; with keys it varies
    draws = {
        int(protect_flows(episode_flows(_keyed(seed).iloc[:7]), INTERNAL)[0]["shown"].iloc[0])
        for seed in range(40)
    }
    assert len(draws) > 1
    assert min(draws) >= 4
    assert max(draws) <= 10
