"""Helpers shared by the browser tests' app servers."""

from __future__ import annotations

import subprocess

__all__ = ["stop_server"]


def stop_server(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop a test's Streamlit server; on a busy machine, kill it rather than leave it behind."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
