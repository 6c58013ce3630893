"""Start-up cost of the ``saferplaces`` command: what each invocation imports.

``saferplaces --help`` must answer in well under a second, so parsing the command line imports
none of the heavy libraries; real commands import only what they use (``status`` needs
SQLAlchemy, not scikit-learn, matplotlib, ReportLab or Alembic). Each check runs the real
command line in a fresh interpreter and reads ``sys.modules`` afterwards: a count of modules,
not a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessments import db

ROOT = Path(__file__).resolve().parents[2]

#: Third-party packages that cost from a tenth of a second to over a second each to import.
HEAVY = (
    "alembic",
    "argon2",
    "folium",
    "geopandas",
    "h3",
    "h3ronpy",
    "matplotlib",
    "numpy",
    "openpyxl",
    "pandas",
    "pyarrow",
    "pyproj",
    "reportlab",
    "scipy",
    "shapely",
    "sklearn",
    "sqlalchemy",
    "streamlit",
)

#: Project modules the parsers may load: constants and errors with no third-party imports.
LIGHT_PROJECT_MODULES = frozenset(
    {"geo", "geo._errors", "geo.schema", "assessments", "assessments.permissions"}
)

_PROBE = """
import contextlib, io, json, sys
from cli.main import build_parser, main

commands = json.loads(sys.argv[1])
codes = []
for argv in commands:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
    if argv[-1:] == ["--help"] and not out.getvalue().startswith("usage: saferplaces"):
        codes.append(f"no usage for {argv}")
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def _run(commands: list[list[str]], env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(commands)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def _imported(modules: object, packages: tuple[str, ...]) -> list[str]:
    assert isinstance(modules, list)
    return sorted({m.split(".")[0] for m in modules} & set(packages))


def _help_commands() -> list[list[str]]:
    """``--help`` of the program, of every command and of every sub-command."""
    import argparse

    from cli.main import build_parser

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
        found = [[*prefix, "--help"]]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += walk(sub, [*prefix, name])
        return found

    return walk(build_parser(), [])


def test_help_imports_no_heavy_module():
    commands = _help_commands()
    assert len(commands) > 30  # every command and sub-command, not just the top level
    probe = _run(commands)
    assert probe["codes"] == [0] * len(commands)
    assert _imported(probe["modules"], HEAVY) == []
    project = {m for m in probe["modules"] if m.split(".")[0] in {"geo", "assessments", "layers"}}
    assert project <= LIGHT_PROJECT_MODULES


def test_light_project_modules_import_nothing_heavy():
    """The modules the parsers may load stay free of third-party imports."""
    code = (
        "import sys, json\n"
        + "".join(f"import {m}\n" for m in sorted(LIGHT_PROJECT_MODULES))
        + "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert _imported(json.loads(out.stdout), HEAVY) == []


@pytest.fixture
def current_store(tmp_path: Path) -> dict[str, str]:
    """A migrated, empty SQLite store, as environment variables for a command."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    db.clear_engines()
    return {"SAFERPLACES_DATABASE_URL": url, "SAFERPLACES_DATA_DIR": str(tmp_path / "var")}


def test_status_on_a_current_store_imports_only_the_database_layer(current_store):
    probe = _run([["status", "--json"]], current_store)
    assert probe["codes"] == [0]
    # the migrations check on a current store is one query: Alembic is never loaded; the totals
    # go through the disclosure module (cell key perturbation: numpy, pandas and the
    # pyarrow strings pandas 3 brings), nothing else
    assert _imported(probe["modules"], HEAVY) == ["numpy", "pandas", "pyarrow", "sqlalchemy"]


def test_hexes_imports_no_analysis_or_report_libraries(current_store):
    probe = _run([["hexes", "--res", "8", "--kind", "incident"]], current_store)
    assert probe["codes"] == [0]
    unused = ("alembic", "folium", "geopandas", "matplotlib", "reportlab", "scipy", "sklearn")
    assert _imported(probe["modules"], unused) == []


def test_an_old_store_is_still_migrated_by_a_command(current_store):
    """The cheap check does not skip real work: a store one revision behind is brought up."""
    from alembic import command

    engine = db.get_engine(current_store["SAFERPLACES_DATABASE_URL"])
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert not db.schema_is_current(engine)
    db.clear_engines()
    probe = _run([["status", "--json"]], current_store)
    assert probe["codes"] == [0]
    assert "alembic" in _imported(probe["modules"], HEAVY)
    assert db.schema_is_current(db.get_engine(current_store["SAFERPLACES_DATABASE_URL"]))
    db.clear_engines()


@pytest.mark.parametrize("reload", [False, True])
def test_start_serves_without_a_file_watcher_unless_asked(configured, monkeypatch, reload):
    """A deployed app never reloads its code (the watcher cost a third of a core on a busy
    server); ``start --reload`` turns it back on for development. The setting Streamlit reads
    is the project's ``.streamlit/config.toml``."""
    import tomllib

    from cli.main import main

    ran: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _path, command: ran.append(command))
    argv = ["start", "--no-samples", "--headless", *(["--reload"] if reload else [])]
    assert main(argv) == 0
    command = ran[0]
    assert command[command.index("run") + 1] == str(ROOT / "app.py")
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    watcher = command[command.index("--server.fileWatcherType") + 1] if reload else None
    assert watcher == ("auto" if reload else None)
    assert ("--server.fileWatcherType" in command) is reload
