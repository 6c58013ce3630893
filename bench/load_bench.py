"""Load: several officers at once, through the services and against the running app (loopback).

    uv run python bench/load_bench.py [--backend sqlite|postgresql] [--threads 8] [--seconds 20]

Services: each thread loops over a realistic mix (map aggregation, register list, an assessment
save with optimistic locking and retry, a hotspot recompute now and then) for a bounded time.
App: a bounded number of HTTP sessions fetch the app's health endpoint and page on 127.0.0.1.
Prints operations per second, latency percentiles and errors (conflicts are counted, not errors:
they are the lock doing its job).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, drop_store, fresh_store

from assessments import hotspot_runs, maps, register
from assessments import site_assessments as records
from assessments.samples import SAMPLE_ACTOR, load_samples
from geo import ConflictError
from geo.filters import IncidentFilter


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
    return f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"


def services(engine, threads: int, seconds: float) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        listed = records.list_assessments(session)
        assessment_id = int(listed.loc[listed["status"] != "reviewed", "id"].iloc[0])
    latencies: dict[str, list[float]] = {"map": [], "register": [], "save": [], "recompute": []}
    errors: list[str] = []
    conflicts = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            i += 1
            kind = "recompute" if (i % 25 == 0 and n == 0) else ("map", "register", "save")[i % 3]
            started = time.perf_counter()
            try:
                if kind == "map":
                    maps.count_cells(engine, IncidentFilter(kinds=("incident",)), res=8)
                elif kind == "register":
                    with Session(engine) as session:
                        register.list_register(session)
                elif kind == "save":
                    while True:
                        with Session(engine) as session:
                            current = records.get_assessment(session, assessment_id)
                            data = records.AssessmentIn(
                                site_id=current.site_id,
                                assessed_on=current.assessed_on,
                                organisation=current.organisation,
                                officer=current.officer,
                                answers=dict(current.answers),
                                risk_rating=current.risk_rating,
                                risk_reasons=current.risk_reasons,
                                findings=f"load test {n}-{i} {dt.datetime.now():%H%M%S%f}",
                                next_review_on=current.next_review_on,
                            )
                            try:
                                if current.status == "reviewed":
                                    break
                                records.save_assessment(
                                    session,
                                    actor=SAMPLE_ACTOR,
                                    assessment_id=assessment_id,
                                    expected_version=current.version,
                                    data=data,
                                )
                                session.commit()
                                break
                            except ConflictError:
                                session.rollback()
                                with lock:
                                    conflicts[0] += 1
                else:
                    hotspot_runs.register_run(engine, actor=SAMPLE_ACTOR, min_samples=30)
            except Exception as exc:
                with lock:
                    errors.append(f"{kind}: {exc!r}"[:200])
                continue
            with lock:
                latencies[kind].append(time.perf_counter() - started)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    total = sum(len(v) for v in latencies.values())
    print(
        f"services: {threads} threads for {seconds:.0f} s: {total} operations, "
        f"{total / seconds:.1f} ops/s, {conflicts[0]} conflicts retried, {len(errors)} errors"
    )
    for kind, values in latencies.items():
        print(f"  {kind:<10} {len(values):>5} ops  {_percentiles(values)}")
    for error in errors[:5]:
        print(f"  error: {error}")


def app(url: str, sessions: int, requests_each: int) -> None:
    port = _free_port()
    env = {**os.environ, "SAFERPLACES_DATABASE_URL": url}
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
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()

        def session() -> None:
            for i in range(requests_each):
                path = "/_stcore/health" if i % 2 else "/"
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(base + path, timeout=10) as response:
                        response.read()
                except OSError:
                    with lock:
                        errors[0] += 1
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        pool = [threading.Thread(target=session) for _ in range(sessions)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - started
        print(
            f"app over loopback: {sessions} sessions x {requests_each} requests: "
            f"{len(latencies) / elapsed:.0f} req/s, {_percentiles(latencies)}, "
            f"{errors[0]} errors"
        )
    finally:
        process.terminate()
        process.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_store(args.backend, Path(folder))
        try:
            load_samples(engine)
            services(engine, args.threads, args.seconds)
            app(engine.url.render_as_string(hide_password=False), args.sessions, args.requests)
        finally:
            drop_store(engine)


if __name__ == "__main__":
    main()
