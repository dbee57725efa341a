"""Scale of the operator CLI: ``export`` and ``stats`` over 1,000,000 records, ``purge`` of 500,000.

Fills a consent log with synthetic records spread over 400 days, then runs the real ``flask consent ...``
commands as child processes and reports each one's wall time and peak RSS (``os.wait4``). During the purge
a writer keeps appending consent records and its longest single append is reported (beside the same figure
for the writer alone, the noise floor of the machine), which shows whether a batch ever holds a lock for long.

    python bench/export_scale.py                                   # SQLite file in a temporary directory
    python bench/export_scale.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL everything happens in a private schema that is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_consent.store import ConsentRecord, SQLStore, _to_row, records  # noqa: E402

KEYS = ("recommendations", "location", "analytics", "advertising", "third_party_sharing")
START = datetime(2025, 10, 1, tzinfo=timezone.utc)
SPAN_DAYS = 400
COLUMNS = [c.name for c in records.columns]


def create_app():  # type: ignore[no-untyped-def]
    """The app the child ``flask`` processes load (``--app bench/export_scale.py:create_app``)."""
    from flask import Flask

    from flask_consent import Consent, Purpose

    app = Flask("export_scale", instance_path=os.environ["BENCH_INSTANCE"])
    app.config.update(SECRET_KEY="bench-secret-key-0123456789abcdef", CONSENT_DATABASE_URL=os.environ["BENCH_DB_URL"])
    Consent(app, purposes=[Purpose(k, k.title(), f"{k} purpose") for k in KEYS])
    return app


def synthetic_rows(n: int, seed: int = 1) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    step = SPAN_DAYS * 86400 / n
    for i in range(n):
        granted = {k: 1 for k in KEYS if rng.random() < 0.45}
        denied = {k: 1 for k in KEYS if k not in granted}
        gpc = rng.random() < 0.07
        record = ConsentRecord(
            id=uuid.UUID(int=rng.getrandbits(128)).hex, subject_id=f"s{rng.getrandbits(40):x}",
            consent_id=f"c{i:x}", policy_version="1" if i < n // 2 else "2", banner_hash="ab" * 32,
            granted={"necessary": 1, **granted}, denied=denied,
            method="gpc" if gpc else ("banner_reject_all" if not granted else "banner_custom"),
            created_at=START + timedelta(seconds=i * step), gpc=gpc, locale="en", ip_hash="f" * 32,
            ua_family="Chrome",
        )
        yield _to_row(record)


def fill(store: SQLStore, n: int) -> float:
    began = time.perf_counter()
    rows = synthetic_rows(n)
    if store.engine.dialect.name == "postgresql":
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY consent_records ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row([row[c] for c in COLUMNS])
            raw.commit()
        finally:
            raw.close()
    else:
        chunk: list[dict[str, object]] = []
        with store.engine.begin() as conn:
            for row in rows:
                chunk.append(row)
                if len(chunk) == 20_000:
                    conn.execute(records.insert(), chunk)
                    chunk = []
            if chunk:
                conn.execute(records.insert(), chunk)
    with store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - began


def run_cli(env: dict[str, str], *args: str) -> tuple[float, float, float, str]:
    """Run ``flask consent ARGS`` under ``/usr/bin/time``.

    Returns wall seconds, CPU seconds (user + system: steadier than wall time on a shared machine), peak
    RSS in MiB and the last line of output.

    ``/usr/bin/time`` rather than ``os.wait4`` here: Linux carries a parent's peak RSS into a forked child's
    ``ru_maxrss`` across ``exec``, and this process holds the generated rows.
    """
    cmd = [sys.executable, "-m", "flask", "--app", f"{__file__}:create_app", "consent", *args]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name, *cmd], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall, user, system, kib = timing.read().split()[-4:]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}")
    lines = proc.stdout.strip().splitlines()
    return float(wall), float(user) + float(system), int(kib) / 1024, lines[-1] if lines else ""


def purge_with_writer(
    env: dict[str, str], store: SQLStore, before: datetime, baseline_seconds: float = 10.0
) -> tuple[tuple[float, float, float, str], dict[str, float]]:
    """Purge while a writer appends records; also time the writer alone first, as a baseline for this machine.

    Returns the purge figures and the writer's longest single append (ms) and append count, alone and
    during the purge.
    """
    stop = threading.Event()
    phase = {"name": "alone"}
    worst = {"alone": 0.0, "purge": 0.0}
    writes = {"alone": 0, "purge": 0}

    def writer() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            record = ConsentRecord(
                subject_id=f"w{rng.getrandbits(40):x}", consent_id="w", policy_version="2", banner_hash="cd" * 32,
                granted={"necessary": 1}, denied={k: 1 for k in KEYS}, method="banner_reject_all",
            )
            began = time.perf_counter()
            store.append(record)
            name = phase["name"]
            worst[name] = max(worst[name], time.perf_counter() - began)
            writes[name] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(baseline_seconds)
        phase["name"] = "purge"
        figures = run_cli(env, "purge", "--before", before.isoformat())
    finally:
        stop.set()
        thread.join()
    return figures, {
        "appends_alone": writes["alone"], "longest_append_alone_ms": round(worst["alone"] * 1000, 1),
        "appends_during_purge": writes["purge"], "longest_append_during_purge_ms": round(worst["purge"] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="PostgreSQL URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="export-scale-")
    schema = None
    admin = None
    if args.url:
        schema = f"bench_export_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.url else "?"
        url = f"{args.url}{sep}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp}/consent.db"
    env = {**os.environ, "BENCH_DB_URL": url, "BENCH_INSTANCE": tmp, "PYTHONPATH": str(ROOT)}
    store = SQLStore(url)
    results: dict[str, object] = {"database": store.engine.dialect.name, "records": args.records,
                                  "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    try:
        store.init_db()
        results["fill_seconds"] = round(fill(store, args.records), 1)
        for name, cli_args in [
            ("stats_all", ["stats", "--format", "json"]),
            ("stats_30_days", ["stats", "--since", "2026-10-01", "--until", "2026-10-31"]),
            ("export_jsonl", ["export", "--no-progress", "-o", os.devnull]),
            ("export_csv", ["export", "--no-progress", "--format", "csv", "-o", os.devnull]),
            ("export_30_days", ["export", "--no-progress", "--since", "2026-10-01", "--until", "2026-10-31",
                                "-o", os.devnull]),
        ]:
            wall, cpu, rss, tail = run_cli(env, *cli_args)
            results[name] = {"seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mib": round(rss, 1),
                             "last_line": tail[:80]}
            print(name, results[name], flush=True)
        before = START + timedelta(days=SPAN_DAYS / 2)
        (wall, cpu, rss, tail), writer = purge_with_writer(env, store, before)
        results["purge_half"] = {
            "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mib": round(rss, 1), "last_line": tail,
            **writer, "records_left": store.count(),
        }
        print("purge_half", results["purge_half"], flush=True)
    finally:
        store.engine.dispose()
        if admin is not None and schema is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
