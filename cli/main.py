"""Entry point of the ``saferplaces`` command.

Each topic lives in its own module with a ``register(subparsers)`` function that adds its
commands; a command is a function ``(args) -> int`` stored as ``func`` on its parser. Domain errors
are printed as one clear line (or as JSON with ``--json``) and exit with status 2, never with a
traceback.

Start-up is kept light: registering the parsers imports only the standard library and the
dependency-free constants in ``geo.schema`` and ``assessments.permissions``, so ``saferplaces
--help`` (and ``saferplaces COMMAND --help``) never pays for pandas, SQLAlchemy, Alembic or
scikit-learn. Each command imports what it needs when it runs (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import import_module

__all__ = ["build_parser", "main"]

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = [
    "cli.cmd_app",
    "cli.cmd_import",
    "cli.cmd_data",
    "cli.cmd_hotspots",
    "cli.cmd_performance",
    "cli.cmd_users",
    "cli.cmd_audit",
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="saferplaces",
        description="Safer Places: place-based safeguarding maps, hotspots and site assessments.",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="act as this account (password from SAFERPLACES_PASSWORD or asked for); every "
        "command then checks that account's role; default: the local operator 'cli', with "
        "administrator rights",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from cli.identity import authorise
    from geo._errors import ConflictError, InputError, PermissionDeniedError

    try:
        authorise(args)
        return int(args.func(args) or 0)
    except (InputError, ConflictError, PermissionDeniedError) as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": str(exc), "type": type(exc).__name__}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
