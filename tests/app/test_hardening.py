"""Hardening that lives in configuration and structure rather than in one service."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_users_never_see_stack_traces():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["enableXsrfProtection"] is True


@pytest.mark.parametrize("package", ["geo", "layers"])
def test_pure_packages_import_no_streamlit_or_database(package):
    """geo/ and layers/ stay pure: importing every module pulls in no Streamlit or SQLAlchemy."""
    modules = [f"{package}.{p.stem}" for p in (ROOT / package).glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'sqlalchemy', "
        "'alembic', 'psycopg'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == ""


def test_no_sql_is_built_from_strings_in_services():
    """SQL text in the services is never an f-string or a concatenation (bound parameters only)."""
    offenders = []
    for path in (ROOT / "assessments").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "text"
            ):
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.JoinedStr | ast.BinOp) or (
                    isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "format"
                ):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
