"""Many threads and several processes writing at once: every successful answer has exactly one record."""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa
from conftest import build_app
from workers import post_choices, post_choices_in_process

from flask_consent.store import records


def test_threads_and_processes_each_answer_has_exactly_one_record(db_url, tmp_path):  # C14
    instance = str(tmp_path / "instance")
    app = build_app(db_url, instance, CONSENT_RATE_LIMIT=None)
    if db_url.startswith("sqlite"):
        with app.extensions["consent"].store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=post_choices_in_process, args=(instance, db_url, 3, 3, 8, out)) for _ in range(3)]
    for p in procs:
        p.start()
    answered = post_choices(app, visitors=6, shared=4, posts=8)
    for _ in procs:
        answered += out.get(timeout=180)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0, "a writer process failed or hung"

    app.extensions["consent"].flush_spool()  # anything a lock timeout sent to the spool counts too
    with app.extensions["consent"].store.engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.select(records.c.id))]
    assert len(answered) == (1 + 10 * 8) + 3 * (1 + 6 * 8)
    assert len(set(answered)) == len(answered), "two answers named the same record"
    assert sorted(stored) == sorted(answered), "a record without an answer, or an answer without a record"
