"""Issue 2, item 6: the consent log's default home, its schema and ``flask consent init-db``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import choose
from flask import Flask
from flask.testing import FlaskCliRunner

from flask_consent import Consent, Purpose


def _bare_app(tmp_path: Path, **config) -> Flask:
    app = Flask("store_test", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True, **config)
    Consent(app, purposes=[Purpose("analytics")])
    return app


def test_default_log_is_a_wal_sqlite_file_in_the_instance_folder(tmp_path):
    app = _bare_app(tmp_path)
    store = app.extensions["consent"].store
    assert store.url == f"sqlite:///{tmp_path / 'instance' / 'consent.db'}"
    result = FlaskCliRunner(app).invoke(args=["consent", "init-db"])
    assert result.exit_code == 0 and "ready" in result.output
    choose(app.test_client(), "accept_all")
    assert (tmp_path / "instance" / "consent.db").exists()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_init_db_creates_table_and_indexes_and_is_idempotent(db_url, tmp_path):
    app = _bare_app(tmp_path, CONSENT_DATABASE_URL=db_url)
    runner = FlaskCliRunner(app)
    for _ in range(2):
        assert runner.invoke(args=["consent", "init-db"]).exit_code == 0
    inspector = sa.inspect(app.extensions["consent"].store.engine)
    columns = {c["name"] for c in inspector.get_columns("consent_records")}
    assert columns == {"id", "consent_id", "subject_id", "user_id", "created_at", "policy_version", "banner_hash",
                       "granted", "denied", "method", "previous_id", "locale", "gpc", "ip_hash", "ua_family"}
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("consent_records")}
    assert {("subject_id", "created_at"), ("user_id", "created_at"), ("created_at",)} <= indexed


def test_one_consent_object_serves_several_apps_without_mixing_them(tmp_path):
    from conftest import csrf_token

    consent = Consent(purposes=[Purpose("analytics")])
    apps = []
    for name in ("one", "two"):
        app = Flask(f"factory_{name}", instance_path=str(tmp_path / name))
        app.config.update(SECRET_KEY=f"{name}-secret-key-0123456789abcdef", TESTING=True)
        consent.init_app(app, purposes=[Purpose("analytics"), Purpose(f"only_{name}")])
        app.extensions["consent"].store.init_db()
        apps.append(app)
    one, two = apps
    assert one.extensions["consent"] is consent and two.extensions["consent"] is not consent
    assert "only_one" in one.extensions["consent"].registry and "only_one" not in two.extensions["consent"].registry
    client = two.test_client()
    client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": csrf_token(client)})
    assert two.extensions["consent"].store.count() == 1 and one.extensions["consent"].store.count() == 0
    assert client.get("/consent/state").get_json()["granted"] == ["necessary", "analytics", "only_two"]


def test_append_stores_exactly_what_a_core_insert_stores(db_url):
    """``SQLStore.append`` runs an INSERT compiled once, with the type processing applied by hand: every
    column it stores (as the database holds it, and as read back) equals a plain Core insert of the record."""
    from datetime import datetime, timedelta, timezone

    from flask_consent.store import ConsentRecord, SQLStore, _to_row, records

    store = SQLStore(db_url)
    store.init_db()
    base = dict(subject_id="subj-0001", consent_id="cons-0001", policy_version="2", banner_hash="f" * 64,
                granted={"necessary": 1, "analytics": 3}, denied={"ads": 1}, method="banner_custom",
                created_at=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=8))),
                user_id="member-7", previous_id="prev-0001", locale="zh-HK", gpc=True, ip_hash="a" * 32,
                ua_family="Firefox")
    store.append(ConsentRecord(id="fast-path-0001", **base))
    with store.engine.begin() as conn:
        conn.execute(records.insert(), [_to_row(ConsentRecord(id="core-path-0001", **base))])
    with store.engine.connect() as conn:
        raw = {r[0]: r[1:] for r in conn.execute(sa.text(
            "SELECT id, consent_id, subject_id, user_id, CAST(created_at AS VARCHAR(64)), policy_version, "
            "banner_hash, granted, denied, method, previous_id, locale, gpc, ip_hash, ua_family "
            "FROM consent_records"))}
    assert raw["fast-path-0001"] == raw["core-path-0001"]
    fast, core = store.get("fast-path-0001"), store.get("core-path-0001")
    assert fast is not None and core is not None
    assert {**fast.to_dict(), "id": ""} == {**core.to_dict(), "id": ""}
    assert fast.created_at == base["created_at"] and fast.gpc is True and fast.granted == base["granted"]
    store.engine.dispose()


def test_a_failed_commit_is_rolled_back_and_the_connection_stays_usable(db_url, monkeypatch):
    """A record whose COMMIT fails is reported as failed (so the caller spools it) and never reaches the log
    later, and the next write works on the same pooled connection."""
    from flask_consent.store import ConsentRecord, SQLStore

    store = SQLStore(db_url, pool_size=1, max_overflow=0)
    store.init_db()
    base = dict(subject_id="subj-0001", consent_id="cons-0001", policy_version="1", banner_hash="f" * 64,
                granted={"necessary": 1}, denied={"ads": 1}, method="banner_reject_all")
    dialect = store.engine.dialect
    real_commit = dialect.do_commit
    calls = []

    def commit_failing_once(dbapi_connection):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("COMMIT", {}, Exception("database is locked"))
        real_commit(dbapi_connection)

    monkeypatch.setattr(dialect, "do_commit", commit_failing_once)
    with pytest.raises(sa.exc.OperationalError):
        store.append(ConsentRecord(id="failed-commit-01", **base))
    store.append(ConsentRecord(id="next-write-0001", **base))
    monkeypatch.undo()
    assert [r.id for r in store.history("subj-0001")] == ["next-write-0001"]
    assert store.get("failed-commit-01") is None
    store.engine.dispose()
