"""``saferplaces performance``: the performance framework's figures, protected, as text or JSON.

Heavy modules are imported inside the command, so ``saferplaces --help`` stays light.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from cli.cmd_data import _profile
from cli.store import store_engine

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the performance command."""
    perf = subparsers.add_parser(
        "performance",
        help="the performance framework: workflow, repeat locations, missing episodes, RHI",
        description="The Performance page's figures for a period (default: the last 12 "
        "months) and districts, every count protected by the disclosure profile.",
    )
    perf.add_argument("--from", dest="start", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    perf.add_argument("--to", dest="end", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    perf.add_argument("--district", action="append", default=[], metavar="CODE")
    perf.add_argument(
        "--profile", choices=["internal", "publication", "custom"], default="internal"
    )
    perf.add_argument("--json", action="store_true", help="print JSON")
    perf.set_defaults(needs="view", func=_performance)


def _records(frame) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _performance(args: argparse.Namespace) -> int:
    import pandas as pd

    from assessments.episode_performance import episode_report, shown_episode_report
    from assessments.performance import performance_report, shown_headline

    engine = store_engine()
    profile = _profile(args)
    end = args.end or dt.date.today()
    start = args.start or (pd.Timestamp(end) - pd.DateOffset(months=12)).date().replace(day=1)
    districts = args.district or None
    report = performance_report(engine, start=start, end=end, districts=districts)
    headline = shown_headline(report.headline)  # workflow figures: exact, as on the page
    episodes = shown_episode_report(
        episode_report(engine, start=start, end=end, districts=districts), profile
    )
    out = {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "districts": districts or [],
        "profile": profile.describe(),
        "headline": _records(headline[["measure", "shown"]]),
        "repeat_locations": _records(report.repeat_locations),
        "missing_episodes": _records(episodes["headline"]),
        "episodes_by_month": _records(episodes["monthly"]),
        "rhi_by_month_and_district": _records(episodes["rhi by month and district"]),
        "repeat_missing_by_district": _records(episodes["repeat missing by district"]),
        "ages_in_hotspots": _records(episodes["ages in hotspots"]),
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"Performance framework, {start} to {end} ({profile.describe()})")
    for section in ("headline", "missing_episodes"):
        for row in out[section]:
            print(f"  {row['measure']}: {row['shown'] if row['shown'] is not None else '-'}")
    print("By month:")
    print(episodes["monthly"].to_string(index=False))
    return 0
