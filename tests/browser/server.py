"""Helpers shared by the browser tests: the app server, the browser, a store with real data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, update

from assessments.models import Action, Assessment, District, ImportBatch, Site

__all__ = [
    "ARGS",
    "CHROMIUM",
    "free_port",
    "goto",
    "launch_browser",
    "make_samples_real",
    "serve_app",
    "stop_server",
    "wait_until_idle",
]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_server(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop a test's Streamlit server; on a busy machine, kill it rather than leave it behind."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def _wait_until_healthy(base: str, process: subprocess.Popen, timeout: float = 120) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout  # generous: a shared machine may be busy
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"the app server stopped at start-up (exit {process.returncode})"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    msg = f"the app server did not answer at {base} within {timeout:.0f} s"
    raise RuntimeError(msg)


@contextmanager
def serve_app(
    database_url: str,
    folder: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
    log: IO[Any] | None = None,
) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a store, as a user would; yield its address once healthy."""
    port = port or free_port()
    environment = {
        **os.environ,
        "SAFERPLACES_DATABASE_URL": database_url,
        "SAFERPLACES_DATA_DIR": str(folder),
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            *extra_args,
        ],
        cwd=ROOT,
        env=environment,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process)
        yield base
    finally:
        stop_server(process)


def goto(page: Any, url: str, timeout: float = 60) -> None:
    """Open ``url`` in ``page``, retrying while a busy machine refuses the first connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.goto(url, wait_until="domcontentloaded")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_until_idle(page: Any, quiet: float = 3.0, timeout: float = 120) -> None:
    """Wait until the app has run no script for ``quiet`` seconds (or ``timeout`` passes).

    A map reports its view once drawn, which runs the script again a moment after the page
    looked finished: a click or a reading taken then meets a page being redrawn.
    """
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if page.locator('[data-testid="stStatusWidget"]').count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet:
            return
        page.wait_for_timeout(250)


@contextmanager
def launch_browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def make_samples_real(engine: Engine) -> None:
    """Turn a store's samples into the council's own records (a store with real data in it).

    The journeys need a store a council would have (districts, incidents, hotspots, sites,
    assessments) with the demo sign-in off; the first real import would remove the samples.
    """
    with engine.begin() as conn:
        for model in (District, ImportBatch, Site, Assessment, Action):
            conn.execute(update(model).values(is_sample=False))
