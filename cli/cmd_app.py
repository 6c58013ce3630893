"""``saferplaces start`` and ``saferplaces db upgrade``: run the app, manage the schema."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``start`` and ``db`` to the command line."""
    start = subparsers.add_parser(
        "start",
        help="migrate the database, load the samples into an empty store, and open the app",
        description=(
            "Create and migrate the database (a SQLite file by default), load the bundled "
            "synthetic samples if the store is empty, then start the Streamlit app."
        ),
    )
    start.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    start.add_argument(
        "--no-samples", action="store_true", help="do not load the samples into an empty store"
    )
    start.add_argument(
        "--headless", action="store_true", help="do not open a browser window (servers, CI)"
    )
    start.add_argument(
        "--reload",
        action="store_true",
        help="reload the app when its code changes (for development; off by default)",
    )
    start.set_defaults(func=_start)

    dbp = subparsers.add_parser("db", help="database schema commands")
    dbsub = dbp.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    dbsub.required = True
    upgrade = dbsub.add_parser("upgrade", help="apply every pending migration")
    upgrade.set_defaults(needs="manage_settings", func=_upgrade)
    grant = dbsub.add_parser(
        "grant-app",
        help="PostgreSQL: grant an existing role, which owns nothing, what the app needs",
        description="Run as the schema's owner (SAFERPLACES_DATABASE_URL). The role may then "
        "read and write the app's tables but only read and add audit events; point "
        "SAFERPLACES_APP_DATABASE_URL at it.",
    )
    grant.add_argument("role")
    grant.set_defaults(needs="manage_settings", func=_grant)


def _upgrade(_args: argparse.Namespace) -> int:
    from assessments import db

    db.migrate()
    print(f"database is current: {_safe_url()}")
    return 0


def _grant(args: argparse.Namespace) -> int:
    from assessments import db

    engine = db.get_engine()
    db.migrate(engine)
    for statement in db.grant_app_role(engine, args.role):
        print(statement)
    return 0


def _safe_url() -> str:
    from assessments import db

    return db.get_engine().url.render_as_string(hide_password=True)


def _start(args: argparse.Namespace) -> int:
    from assessments import db
    from assessments.settings import PROJECT_ROOT, get_settings
    from assessments.users import ensure_first_admin

    db.migrate()
    if not args.no_samples:
        from assessments.samples import load_samples_if_empty

        loaded = load_samples_if_empty()
        if loaded:
            print("loaded the bundled SYNTHETIC sample data into an empty store")
    first_admin = ensure_first_admin(db.get_engine())
    if first_admin:
        name, password = first_admin
        print(
            f"created the first administrator '{name}' with the one-time password: {password}\n"
            "  (shown once; it must be changed at first sign-in; "
            "add more users with `saferplaces users add`)"
        )
    settings = get_settings()
    print(f"store: {_safe_url()} ({'SQLite' if settings.is_sqlite else 'PostgreSQL'})")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
    ]
    if args.headless:
        command += ["--server.headless", "true"]
    if args.reload:
        command += ["--server.fileWatcherType", "auto"]
    os.execv(sys.executable, command)  # noqa: S606 - replaces this process with Streamlit
    return 0  # pragma: no cover
