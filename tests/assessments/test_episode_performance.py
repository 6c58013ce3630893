"""Episode measures: RHI, repeat missing, re-referrals and trends, from a hand-made file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import update

from assessments.episode_performance import episode_report, shown_episode_report
from assessments.episodes import import_episodes
from assessments.models import Episode
from geo.disclosure import INTERNAL, DisclosureProfile, shown_count

KEY = b"p" * 32


@pytest.fixture
def store(engine, tmp_path):
    rows = [
        # child A: one episode before the period, then three in it (re-referrals)
        ("E0", "A", "2024-06-10", "yes", "yes", "yes"),
        ("E1", "A", "2025-02-01", "yes", "yes", "yes"),
        ("E2", "A", "2025-02-20", "yes", "no", ""),
        ("E3", "A", "2025-03-05", "no", "", ""),
        # child B: two episodes more than a year apart (the second is not a re-referral)
        ("E4", "B", "2024-01-15", "yes", "yes", "no"),
        ("E5", "B", "2025-03-10", "yes", "yes", "no"),
        # child C: one episode
        ("E6", "C", "2025-02-11", "", "", ""),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "episode_ref",
            "child_ref",
            "start_date",
            "rhi_offered",
            "rhi_accepted",
            "rhi_within_72h",
        ],
    )
    path = tmp_path / "episodes.csv"
    frame.to_csv(path, index=False)
    import_episodes(engine, path, key=KEY)
    # fixed record keys (E0..E6: 10, 20, ..., 70) so the key sums can be checked by hand
    with engine.begin() as conn:
        for i, (_, _, start, *_) in enumerate(rows):  # start dates all differ
            conn.execute(
                update(Episode)
                .where(Episode.start_date == dt.date.fromisoformat(start))
                .values(record_key=10 * (i + 1))
            )
    return engine


def test_rhi_repeat_and_re_referrals_by_hand(store):
    report = episode_report(store, start=dt.date(2025, 2, 1), end=dt.date(2025, 3, 31))
    assert report.counts == {
        "episodes": 5,  # E1, E2, E3, E5, E6
        "children": 3,
        "repeat children": 1,  # A (B has one episode in the period)
        "episodes of repeat children": 3,
        "notifications": 5,
        "individuals": 3,
        "offered": 3,  # E1, E2, E5
        "accepted": 2,  # E1, E5
        "within 72 hours": 1,  # E1
        "re-referrals": 3,  # E1 (E0 within 12 months), E2, E3
    }
    # key sums, by hand: episodes sum their record keys; children their first episode's key
    assert report.keys == {
        "episodes keysum": 220,  # E1 20 + E2 30 + E3 40 + E5 60 + E6 70
        "children keysum": 130,  # A: E0 10, B: E4 50, C: E6 70 (first episodes, even before)
        "repeat children keysum": 10,  # A
        "episodes of repeat children keysum": 90,
        "notifications keysum": 220,
        "individuals keysum": 130,
        "offered keysum": 110,  # E1, E2, E5
        "accepted keysum": 80,  # E1, E5
        "within 72 hours keysum": 20,  # E1
        "re-referrals keysum": 90,  # E1, E2, E3
    }
    repeat = report.repeat_by_district.set_index("district")
    assert repeat.loc["unknown", "episodes keysum"] == 90  # A's E1, E2, E3
    assert repeat.loc["unknown", "repeat children keysum"] == 10  # A's first episode
    monthly = report.monthly.set_index("month")
    assert monthly.loc["2025-02-01", "notifications keysum"] == 20 + 30 + 70
    assert monthly.loc["2025-02-01", "individuals keysum"] == 10 + 70
    assert monthly.loc["2025-03-01", "re-referrals keysum"] == 40
    rhi = report.rhi_by_month_district.set_index("month")
    assert rhi.loc["2025-03-01", "offered keysum"].sum() == 60  # E5 (E3 not offered)
    assert monthly.loc["2025-02-01", "notifications"] == 3
    assert monthly.loc["2025-03-01", "re-referrals"] == 1
    assert monthly.loc["2025-03-01", "re-referral rate (%)"] == 50.0
    # a threshold of 3: counts of 1 and 2 are hidden, rates over fewer than 3 are not shown
    low = DisclosureProfile(name="test", threshold=3, rounding=1)
    shown = shown_episode_report(report, low)["headline"].set_index("measure")["shown"]
    assert shown["Missing episodes (notifications)"] == shown_count(5, low, key=220)
    assert shown["Children (individuals)"] == shown_count(3, low, key=130)
    assert shown["Children with two or more episodes"] == shown_count(1, low, key=10)
    assert shown["Return home interviews offered"] == shown_count(3, low, key=110)
    assert shown["Accepted within 72 hours"] == low.suppressed_label
    assert shown["Re-referrals (within 12 months of the previous episode)"] == shown_count(
        3, low, key=90
    )
    # a rate is worked out from the two counts as shown (3 of 5 is 60.0% in truth): it gives
    # back nothing the published counts do not
    referred = int(shown_count(3, low, key=90))
    episodes = int(shown_count(5, low, key=report.keys["episodes keysum"]))
    assert shown["Re-referral rate"] == f"{min(100.0, 100.0 * referred / episodes):.1f}%"
    assert shown["Accepted, of offered"] == low.suppressed_label  # 2 of 3: the 2 is hidden
    # the internal profile (threshold 5, rounding 5) hides all of it but the notifications
    internal = shown_episode_report(report, INTERNAL)
    assert internal["headline"].set_index("measure")["shown"]["Children (individuals)"] == (
        INTERNAL.suppressed_label
    )
    assert set(internal["monthly"]["notifications"]) == {INTERNAL.suppressed_label}
