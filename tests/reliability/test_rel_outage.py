"""Database outages lose nothing: the choice applies through the cookie, the record waits in the spool, and
replay (automatic, ``flask consent flush``, twice, from two processes at once) stores each record exactly once."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import build_app, choose, pg_schema, record_count
from outage import CuttableProxy, replay_in_process

from flask_consent.spool import SPOOL_NAME
from flask_consent.store import SQLStore, records


def _record_ids(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.select(records.c.id))]
    finally:
        engine.dispose()


def _cookie_record_id(app: Any, client: Any) -> str:
    ext = app.extensions["consent"]
    payload = ext.codec.loads(client.get_cookie("consent").value, now=datetime.now(timezone.utc),
                              max_age=ext.max_age)
    assert payload is not None
    return str(payload.record_id)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema in the shared PostgreSQL (never the server itself: other suites use it)."""
    with pg_schema("rel") as url:
        yield url


def _replay_in_two_processes(instance: str, url: str) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=replay_in_process, args=(instance, url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0, "a replaying process failed or hung"
    return [results.get(timeout=5) for _ in procs]


@pytest.mark.postgres
def test_postgres_cut_by_port_mid_run_loses_and_duplicates_nothing(pg_url, tmp_path):  # C14
    proxy = CuttableProxy(("127.0.0.1", int(sa.engine.make_url(pg_url).port or 5432)))
    url = pg_url.replace(f":{sa.engine.make_url(pg_url).port}/", f":{proxy.port}/", 1)
    instance = str(tmp_path / "instance")
    app = build_app(url, instance, CONSENT_RATE_LIMIT=None)
    ext = app.extensions["consent"]
    regular = app.test_client()
    assert choose(regular, "accept_all").status_code == 303
    assert record_count(app) == 1

    proxy.cut()
    n = 12
    visitors = [app.test_client() for _ in range(n - 1)] + [regular]
    expected = {_cookie_record_id(app, regular)}
    for i, client in enumerate(visitors):
        r = choose(client, ("reject_all", "accept_all")[i % 2] if client is not regular else "reject_all",
                   scope="due" if client is not regular else "all", next="/other")
        assert r.status_code == 303 and r.headers["Location"] == "/other"
        assert client.get_cookie("consent") is not None
        expected.add(_cookie_record_id(app, client))
    assert len(ext.spool.records()) == n
    granted = visitors[1].get("/granted/analytics").get_data(as_text=True)
    assert granted == "True", "the choice applies from the cookie while the database is away"

    proxy.restore()
    counts = _replay_in_two_processes(instance, pg_url)
    assert sum(counts) == n, counts
    assert ext.flush_spool() == 0, "a second replay finds nothing new"
    ids = _record_ids(pg_url)
    assert len(ids) == len(set(ids)) == n + 1
    assert set(ids) == expected
    assert not ext.spool.pending()
    proxy.cut()


@pytest.mark.postgres
def test_next_successful_write_replays_the_spool(pg_url, tmp_path):  # C14
    proxy = CuttableProxy(("127.0.0.1", int(sa.engine.make_url(pg_url).port or 5432)))
    url = pg_url.replace(f":{sa.engine.make_url(pg_url).port}/", f":{proxy.port}/", 1)
    app = build_app(url, str(tmp_path / "instance"), CONSENT_RATE_LIMIT=None)
    proxy.cut()
    for _ in range(5):
        assert choose(app.test_client(), "reject_all").status_code == 303
    proxy.restore()
    assert choose(app.test_client(), "accept_all").status_code == 303
    assert record_count(app) == 6
    assert not app.extensions["consent"].spool.pending()
    proxy.cut()


def test_sqlite_read_only_spools_then_flush_command_replays(tmp_path):  # C14
    db = tmp_path / "consent.db"
    instance = tmp_path / "instance"
    build_app(f"sqlite:///{db}", str(instance))
    read_only = build_app(f"sqlite:///file:{db}?mode=ro&uri=true", str(instance), CONSENT_RATE_LIMIT=None)
    clients = [read_only.test_client() for _ in range(4)]
    for client in clients:
        r = client.post("/consent", json={"action": "grant", "purposes": ["location"]},
                        headers={"X-CSRFToken": client.get("/consent/state").get_json()["csrf_token"]})
        assert r.status_code == 200 and "location" in r.get_json()["granted"]
    assert len(read_only.extensions["consent"].spool.records()) == 4

    writable = build_app(f"sqlite:///{db}", str(instance))
    runner = writable.test_cli_runner()
    result = runner.invoke(args=["consent", "flush"])
    assert result.exit_code == 0 and "Replayed 4" in result.output
    again = runner.invoke(args=["consent", "flush"])
    assert again.exit_code == 0 and "empty" in again.output
    assert record_count(writable) == 4


def test_flush_command_fails_cleanly_while_the_store_is_down(tmp_path):  # C14
    db = tmp_path / "consent.db"
    instance = tmp_path / "instance"
    build_app(f"sqlite:///{db}", str(instance))
    read_only = build_app(f"sqlite:///file:{db}?mode=ro&uri=true", str(instance), CONSENT_RATE_LIMIT=None)
    assert choose(read_only.test_client(), "accept_all").status_code == 303
    result = read_only.test_cli_runner().invoke(args=["consent", "flush"])
    assert result.exit_code == 1 and "stay spooled" in result.output
    assert len(read_only.extensions["consent"].spool.records()) == 1


def test_sqlite_locked_database_spools_and_recovers(tmp_path):  # C14
    db = tmp_path / "consent.db"
    app = build_app(f"sqlite:///{db}", str(tmp_path / "instance"), CONSENT_RATE_LIMIT=None)
    ext = app.extensions["consent"]
    ext.store = SQLStore(f"sqlite:///{db}", connect_args={"timeout": 0.05})
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        responses = [choose(app.test_client(), "reject_all") for _ in range(3)]
    finally:
        blocker.rollback()
        blocker.close()
    assert [r.status_code for r in responses] == [303, 303, 303]
    assert len(ext.spool.records()) == 3
    assert choose(app.test_client(), "accept_all").status_code == 303
    assert record_count(app) == 4


def test_replaying_a_batch_twice_after_a_crash_stores_it_once(tmp_path):  # C14
    db = tmp_path / "consent.db"
    instance = tmp_path / "instance"
    build_app(f"sqlite:///{db}", str(instance))
    down = build_app(f"sqlite:///file:{db}?mode=ro&uri=true", str(instance), CONSENT_RATE_LIMIT=None)
    for _ in range(3):
        choose(down.test_client(), "accept_all")
    spool = Path(instance) / SPOOL_NAME
    # A replay that committed and then crashed before deleting its batch leaves the same records behind.
    shutil.copy(spool, Path(instance) / f"{SPOOL_NAME}.crashed.replaying")
    up = build_app(f"sqlite:///{db}", str(instance))
    assert up.extensions["consent"].flush_spool() == 3
    assert record_count(up) == 3
    assert sorted(os.listdir(instance)) == sorted(n for n in os.listdir(instance) if "spool" not in n)


def test_sqlite_replay_from_two_processes_at_once(tmp_path):  # C14
    db = tmp_path / "consent.db"
    instance = str(tmp_path / "instance")
    build_app(f"sqlite:///{db}", instance)
    down = build_app(f"sqlite:///file:{db}?mode=ro&uri=true", instance, CONSENT_RATE_LIMIT=None)
    for _ in range(8):
        choose(down.test_client(), "reject_all")
    counts = _replay_in_two_processes(instance, f"sqlite:///{db}")
    assert sum(counts) == 8
    ids = _record_ids(f"sqlite:///{db}")
    assert len(ids) == len(set(ids)) == 8
