"""Issue 17, item 10: two hosts behind one load balancer share the consent log (PostgreSQL) and the rate limit
(Redis), hash IP addresses alike with a shared key (which ``flask consent check`` demands), and each replays
its own outage spool with ``flask consent flush``.

Each "host" is an app instance with its own instance folder, as two machines would have.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import build_app, choose, pg_schema, require_service
from flask import Flask

from flask_consent.recording import IpHasher

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SHARED_KEY = secrets.token_hex(32)


@pytest.fixture
def redis_url() -> str:
    return require_service("CONSENT_TEST_REDIS_URL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema("mh") as url:
        yield url


def _visitor_ip() -> str:
    """An address of this test alone: the rate-limit counts in the shared Redis are kept per address."""
    return "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


def _host(name: str, db: str, tmp_path: Path, **config: Any) -> Flask:
    return build_app(db, str(tmp_path / f"host-{name}" / "instance"), **config)


def _client(app: Flask, ip: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_two_hosts_share_the_rate_limit_and_hash_ips_alike(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    config = dict(CONSENT_RATE_LIMIT="5/minute", CONSENT_RATE_LIMIT_STORAGE_URI=redis_url,
                  CONSENT_IP_HASH_KEY=SHARED_KEY)
    hosts = [_host("a", pg_url, tmp_path, **config), _host("b", pg_url, tmp_path, **config)]
    ip = _visitor_ip()
    statuses = []
    for i in range(7):  # the load balancer alternates: a, b, a, b, ...
        client = _client(hosts[i % 2], ip)
        statuses.append(choose(client, ("accept_all", "reject_all")[i % 2]).status_code)
    assert statuses == [303] * 5 + [429, 429], "5/minute across both hosts, not 5 on each"
    other = _client(hosts[1], _visitor_ip())
    assert choose(other, "accept_all").status_code == 303, "the limit is per client"

    store = hosts[0].extensions["consent"].store
    hashes = {r.ip_hash for r in store.iter_records() if r.ip_hash}
    assert hosts[1].extensions["consent"].store.count() == store.count() == 6
    assert len(hashes) == 2, "each visitor's address hashes alike on both hosts (one hash per visitor)"
    assert IpHasher(SHARED_KEY.encode(), str(tmp_path / "x"))(ip) in hashes
    for host in hosts:
        assert not (Path(host.instance_path) / "consent-ip-hash.key").exists(), "the shared key, not a kept one"


def test_without_a_shared_key_each_host_hashes_differently(tmp_path: Path) -> None:
    """Why the key must be shared: each host keeps a key of its own in its instance folder."""
    ip = "203.0.113.7"
    assert IpHasher(None, str(tmp_path / "a"))(ip) != IpHasher(None, str(tmp_path / "b"))(ip)


def test_check_demands_a_shared_ip_hash_key_on_a_server_database(pg_url: str, tmp_path: Path) -> None:
    production = dict(TESTING=False, CONSENT_RATE_LIMIT=None)
    result = _host("a", pg_url, tmp_path, **production).test_cli_runner().invoke(args=["consent", "check"])
    assert result.exit_code == 1, result.output
    (line,) = [ln for ln in result.output.splitlines() if "CONSENT_IP_HASH_KEY" in ln]
    assert line.startswith("problem:") and "same long random value on every host" in line

    keyed = _host("b", pg_url, tmp_path, CONSENT_IP_HASH_KEY=SHARED_KEY, **production)
    result = keyed.test_cli_runner().invoke(args=["consent", "check"])
    assert result.exit_code == 0 and "CONSENT_IP_HASH_KEY" not in result.output, result.output

    single = _host("c", f"sqlite:///{tmp_path / 'one.db'}", tmp_path, **production)
    result = single.test_cli_runner().invoke(args=["consent", "check"])
    assert "CONSENT_IP_HASH_KEY" not in result.output, "one SQLite file: one host, its kept key is the key"


def test_a_record_spooled_on_one_host_is_replayed_by_flush_on_that_host(
    pg_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = dict(CONSENT_RATE_LIMIT="5/minute", CONSENT_RATE_LIMIT_STORAGE_URI=redis_url,
                  CONSENT_IP_HASH_KEY=SHARED_KEY)
    a, b = _host("a", pg_url, tmp_path, **config), _host("b", pg_url, tmp_path, **config)
    store_a = a.extensions["consent"].store

    def down(record: Any) -> None:
        raise sa.exc.OperationalError("INSERT INTO consent_records", {}, Exception("connection refused"))

    monkeypatch.setattr(store_a, "append", down)  # host a loses its connection to the database
    client = _client(a, _visitor_ip())
    assert choose(client, "accept_all").status_code == 303
    assert client.get("/granted/analytics").get_data(as_text=True) == "True", "the choice applies meanwhile"
    spooled = a.extensions["consent"].spool.records()
    assert len(spooled) == 1 and b.extensions["consent"].store.count() == 0
    assert (Path(a.instance_path) / "consent-spool.jsonl").exists()

    monkeypatch.undo()  # the database is back
    other = b.test_cli_runner().invoke(args=["consent", "flush"])
    assert other.exit_code == 0 and "The spool is empty" in other.output, "host b has no spool of a's"
    result = a.test_cli_runner().invoke(args=["consent", "flush"])
    assert result.exit_code == 0 and "Replayed 1" in result.output, result.output
    record = b.extensions["consent"].store.get(spooled[0].id)
    assert record is not None and record.ip_hash == spooled[0].ip_hash
    again = a.test_cli_runner().invoke(args=["consent", "flush"])
    assert again.exit_code == 0 and "The spool is empty" in again.output
