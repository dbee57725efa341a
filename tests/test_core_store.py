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


def test_one_consent_object_serves_several_apps_with_their_own_keys(tmp_path):
    """The app-factory pattern: one ``Consent()`` set up on two apps with different ``SECRET_KEY``s. Each app
    keeps its own components in ``app.extensions["consent"]``: a visitor who just accepted reads as decided
    in both apps, and one app's cookie means nothing to the other."""
    from conftest import csrf_token

    consent = Consent(purposes=[Purpose("analytics")])
    apps = []
    for name in ("one", "two"):
        app = Flask(f"factory_{name}", instance_path=str(tmp_path / name))
        app.config.update(SECRET_KEY=f"{name}-secret-key-0123456789abcdef", TESTING=True)
        consent.init_app(app, purposes=[Purpose("analytics"), Purpose(f"only_{name}")])
        apps.append(app)
    one, two = apps
    assert one.extensions["consent"] is not two.extensions["consent"]
    assert "only_one" in one.extensions["consent"].registry and "only_one" not in two.extensions["consent"].registry
    cookies = {}
    for app, name in ((one, "one"), (two, "two")):
        client = app.test_client()
        r = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": csrf_token(client)})
        assert r.status_code == 200
        state = client.get("/consent/state").get_json()
        assert state["decided"] is True and state["granted"] == ["necessary", "analytics", f"only_{name}"], name
        cookies[name] = client.get_cookie("consent").value
    assert two.extensions["consent"].store.count() == 1 and one.extensions["consent"].store.count() == 1
    stranger = two.test_client()
    stranger.set_cookie("consent", cookies["one"])  # signed with app one's key
    assert stranger.get("/consent/state").get_json()["decided"] is False
