"""``hotspots compute`` and ``hotspots list``: run DBSCAN into the register, read the register.

Heavy modules (pandas, scikit-learn, SQLAlchemy, the services) are imported inside the command
functions, so ``saferplaces --help`` does not pay for them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json

from cli.cmd_data import _add_filters, _filter, _month, _profile
from cli.identity import resolve_actor
from cli.store import store_engine as _engine
from geo.schema import DEFAULT_EPS_M as _EPS_M
from geo.schema import DEFAULT_MIN_SAMPLES as _MIN_SAMPLES

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the hotspot commands."""
    hot = subparsers.add_parser("hotspots", help="compute hotspots and read the register")
    hsub = hot.add_subparsers(dest="hotspots_command", metavar="HOTSPOTS_COMMAND")
    hsub.required = True
    compute = hsub.add_parser(
        "compute",
        help="run DBSCAN and update the register of the run's scope",
        description="Find hotspots among the incidents the filters select and update the "
        "register. A run's scope is its kinds, districts, categories, flags, age bands and "
        "month window: it continues, retires or brings back only hotspots of the same scope. "
        "A window ending at the newest month held (--months N, or --from with no --to) is "
        "'the last N months', the same scope every month; no month filter is 'all months'.",
    )
    _add_filters(compute)
    compute.add_argument(
        "--months",
        type=int,
        metavar="N",
        help="the last N months up to the newest month held (instead of --from/--to)",
    )
    compute.add_argument(
        "--as-of",
        metavar="YYYY-MM",
        help="treat this month as the newest held (rebuild the register's history month by month)",
    )
    compute.add_argument("--eps-m", type=float, default=_EPS_M, help="neighbourhood in metres")
    compute.add_argument(
        "--min-samples", type=int, default=_MIN_SAMPLES, help="incidents that make a core point"
    )
    compute.add_argument("--json", action="store_true", help="print JSON")
    compute.set_defaults(needs="compute_hotspots", func=_compute)
    lst = hsub.add_parser("list", help="list the register, with each hotspot's scope")
    lst.add_argument("--active", action="store_true", help="currently active hotspots only")
    lst.add_argument("--profile", choices=["internal", "publication", "custom"], default="internal")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(needs="view", func=_list)


def _compute(args: argparse.Namespace) -> int:
    from assessments import hotspot_runs
    from assessments.incidents import month_range
    from geo import InputError

    engine = _engine()
    filt = _filter(args, default_kinds=("incident",))
    as_of = _month(args.as_of)
    if args.months is not None:
        if args.start or args.end:
            msg = "give either --months or --from/--to, not both"
            raise InputError(msg)
        if args.months < 1:
            msg = f"--months is a number of months, at least 1, not {args.months}"
            raise InputError(msg)
        newest = as_of or month_range(engine)[1]
        if newest is not None:
            number = newest.year * 12 + newest.month - 1 - (args.months - 1)
            start = dt.date(number // 12, number % 12 + 1, 1)
            filt = dataclasses.replace(filt, start_month=start)
    summary = hotspot_runs.register_run(
        engine,
        actor=resolve_actor(args, engine),
        filt=filt,
        eps_m=args.eps_m,
        min_samples=args.min_samples,
        as_of=as_of,
    )
    if args.json:
        shown = summary.as_json()
        internal = _profile(argparse.Namespace(profile="internal"))
        shown["params"] = hotspot_runs.shown_params(shown["params"], internal)
        print(json.dumps(shown, default=str))
    else:
        print(
            f"run {summary.run_id} ({summary.scope}): {summary.n_hotspots} hotspots "
            f"({summary.new} new, {summary.continued} continued, {summary.recurred} back again, "
            f"{summary.split} split, {summary.merged} merged, {summary.inactive} no longer "
            f"active); a hotspot: at least {args.min_samples} incidents within "
            f"{args.eps_m:g} metres of each other"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from assessments import hotspot_runs
    from assessments import register as hotspot_register
    from geo.disclosure import protect_counts

    profile = _profile(args)
    engine = _engine()
    with Session(engine) as session:
        frame = hotspot_register.list_register(session, active_only=args.active)
    protected = protect_counts(frame["n_incidents"], profile, keys=frame["keysum"])
    frame = frame.assign(n_incidents=protected["label"])
    columns = [
        "id",
        "name",
        "scope",
        "source",
        "status",
        "active",
        "n_incidents",
        "districts",
        "first_month",
        "last_month",
        "recurred",
        "trend",
        "trend_p",
    ]
    runs = hotspot_runs.run_history(engine)
    last_run = (
        None if runs.empty else hotspot_runs.shown_params(runs.iloc[0]["parameters"], profile)
    )
    if args.json:
        print(
            json.dumps(
                {
                    "profile": profile.describe(),
                    "last_run": last_run,
                    "hotspots": frame[columns].to_dict("records"),
                },
                default=str,
            )
        )
        return 0
    if frame.empty:
        print("the register is empty: run 'saferplaces hotspots compute'")
        return 0
    import pandas as pd

    from assessments.names import district_names
    from geo.labels import district_names as in_words
    from geo.labels import format_month, trend_label

    names = district_names(engine)
    words = pd.DataFrame(
        {
            "no.": frame["id"],
            "place": frame["name"],
            "status": frame["status"],
            "active": frame["active"].map({True: "yes", False: "no"}),
            "incidents": frame["n_incidents"],
            "districts": frame["districts"].map(lambda d: in_words(d, names)),
            "months": [
                f"{format_month(a)} to {format_month(b)}" if a and b else ""
                for a, b in zip(frame["first_month"], frame["last_month"], strict=True)
            ],
            "came back": frame["recurred"].map(
                lambda n: "" if not n else ("once" if n == 1 else f"{n} times")
            ),
            "trend": frame["trend"].map(trend_label),
        },
        index=frame.index,
    )
    for scope, group in words.groupby(frame["scope"], sort=False):
        print(f"{scope}:")
        print(group.to_string(index=False))
        print()
    print(profile.describe())
    return 0
