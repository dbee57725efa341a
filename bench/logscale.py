"""The consent log at scale: 1,000,000 records in PostgreSQL, read the way the extension reads them.

Run by hand (never as a timed test)::

    python bench/logscale.py [--records 1000000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

It creates a private schema (``bench_logscale_<random>``), fills ``consent_records`` with the extension's own
table definition and indexes (200,000 visitors with five records each over a year, 30 % of them signed-in
members), and measures through :class:`SQLStore` itself:

- ``history(subject)``: the records of one visitor, newest first (``GET /consent/history``);
- ``latest_for_user(user)``: a member's newest record (the login merge);
- the 30-day statistics of ``flask consent stats`` (``flask_consent.stats.collect``), with the peak memory
  of the Python process during it.

Each of the first two is timed over many different random visitors (median and 95th percentile, in ms,
including the connection checkout and the query round trip), and its plan is printed with
``EXPLAIN (ANALYZE, BUFFERS)`` to show the index it uses. The schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_consent.stats import collect  # noqa: E402
from flask_consent.store import SQLStore  # noqa: E402

SUBJECTS = 200_000
USERS = 50_000
PURPOSE_KEYS = ["recommendations", "location", "voice_photo_search", "analytics", "advertising",
                "third_party_sharing", "social_embeds"]

FILL = """
INSERT INTO consent_records (id, consent_id, subject_id, user_id, created_at, policy_version, banner_hash,
                             granted, denied, method, previous_id, locale, gpc, ip_hash, ua_family)
SELECT 'r' || lpad(g::text, 15, '0'),
       'c' || (g % :subjects),
       's' || (g % :subjects),
       CASE WHEN g % :subjects % 10 < 3 THEN 'u' || (g % :subjects % :users) END,
       now() - ((g::bigint * 7919) % 31536000) * interval '1 second',
       '1',
       'b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf',
       CASE g % 4 WHEN 0 THEN :granted_none WHEN 1 THEN :granted_all ELSE :granted_some END,
       CASE g % 4 WHEN 0 THEN :denied_none WHEN 1 THEN '{}' ELSE :denied_some END,
       (ARRAY['banner_accept_all','banner_reject_all','banner_custom','preferences','prompt','gpc',
              'login_merge','api'])[g % 8 + 1],
       NULL,
       (ARRAY['en','zh-HK','zh-CN'])[g % 3 + 1],
       g % 20 = 0,
       md5(g::text),
       'Chrome'
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g
"""


def _decisions(keys: list[str]) -> str:
    return json.dumps({k: 1 for k in keys}, separators=(",", ":"), sort_keys=True)


#: Three kinds of visitors: refused everything, accepted everything, chose two purposes.
DECISIONS = {
    "granted_none": _decisions(["necessary"]),
    "denied_none": _decisions(PURPOSE_KEYS),
    "granted_all": _decisions(["necessary", *PURPOSE_KEYS]),
    "granted_some": _decisions(["necessary", "analytics", "recommendations"]),
    "denied_some": _decisions([k for k in PURPOSE_KEYS if k not in ("analytics", "recommendations")]),
}


def timed_calls(fn: Any, args: list[Any]) -> tuple[float, float, float]:
    """Median, 95th percentile and fastest in ms of ``fn(arg)`` over ``args``."""
    times = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[0]


def explain(store: SQLStore, call: Any) -> list[str]:
    """The plan of the one statement ``call`` runs, with real execution (EXPLAIN ANALYZE)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
    return [str(r) for r in rows]


def stats_30_days(store: SQLStore) -> int:
    """``flask consent stats`` over the last 30 days; returns how many records it covered."""
    since = datetime.now(timezone.utc) - timedelta(days=30)
    return collect(store, PURPOSE_KEYS, since=since).records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=500, help="random visitors per query")
    parser.add_argument("--pg", default=os.environ.get("CONSENT_BENCH_DATABASE_URL")
                        or os.environ.get("CONSENT_TEST_DATABASE_URL")
                        or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    schema = f"bench_logscale_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.pg else "?"
    store = SQLStore(f"{args.pg}{sep}options=-csearch_path%3D{schema}")
    try:
        store.init_db()
        start = time.perf_counter()
        batch = 250_000
        with store.engine.begin() as conn:
            for first in range(1, args.records + 1, batch):
                conn.execute(sa.text(FILL), {"subjects": SUBJECTS, "users": USERS, "start": first,
                                             "stop": min(first + batch - 1, args.records), **DECISIONS})
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE consent_records")
        fill_s = time.perf_counter() - start
        total = store.count()
        print(f"PostgreSQL, {total:,} records in schema {schema} (filled and analysed in {fill_s:.0f} s)")

        rng = random.Random(7)
        subjects = [f"s{rng.randrange(SUBJECTS)}" for _ in range(args.samples)]
        users = [f"u{rng.randrange(USERS)}" for _ in range(args.samples)]
        store.history(subjects[0])  # open the pool
        for label, fn, sample in (
            ("history(subject)", store.history, subjects),
            ("latest_for_user(user)", store.latest_for_user, users),
        ):
            median, p95, fastest = timed_calls(fn, sample)
            ok = "yes" if median < 2 else "NO"
            print(f"\n{label}: median {median:.2f} ms, p95 {p95:.2f} ms, fastest {fastest:.2f} ms over "
                  f"{len(sample)} visitors, end to end through SQLStore (median < 2 ms: {ok})")
            for line in explain(store, lambda f=fn, a=sample[1]: f(a)):
                print("    " + line)

        tracemalloc.start()
        start = time.perf_counter()
        in_window = stats_30_days(store)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"\nflask consent stats over 30 days (stats.collect): {in_window:,} records in the window, "
              f"{elapsed * 1000:.0f} ms, peak Python memory {peak / 1024:.0f} KiB")
    finally:
        store.engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
