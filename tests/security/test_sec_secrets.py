"""Secrets: no start without a real SECRET_KEY, key rotation end to end, and an IP-hash key of its own."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from typing import Any

import pytest
from conftest import build_app, choose, shop_purposes
from flask import Flask

from flask_consent import Consent
from flask_consent.exc import ConfigurationError

OLD_KEY = "old-signing-key-0123456789abcdef"
NEW_KEY = "new-signing-key-fedcba9876543210"


def _production_app(tmp_path: Any, **config: Any) -> Flask:
    app = Flask("prod", instance_path=str(tmp_path / "instance"))
    app.config.update(CONSENT_DATABASE_URL=f"sqlite:///{tmp_path / 'consent.db'}", **config)
    return app


@pytest.mark.parametrize("key", [None, "", "dev", "secret", "change-me", "short-key"])
def test_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    app = _production_app(tmp_path, SECRET_KEY=key)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Consent(app, purposes=shop_purposes())


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_weak_key_is_tolerated_in_debug_and_testing_only(tmp_path, mode):
    app = _production_app(tmp_path, SECRET_KEY="dev", **{mode: True})
    Consent(app, purposes=shop_purposes())
    assert "consent" in app.extensions


def test_missing_key_is_refused_even_in_debug(tmp_path):
    app = _production_app(tmp_path, DEBUG=True)
    with pytest.raises(ConfigurationError, match="not set"):
        Consent(app, purposes=shop_purposes())


def test_a_real_key_starts(tmp_path):
    app = _production_app(tmp_path, SECRET_KEY=os.urandom(32).hex())
    Consent(app, purposes=shop_purposes())


def _app(tmp_path: Any, key: str, fallbacks: list[str] | None = None) -> Flask:
    return build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"), SECRET_KEY=key,
                     SECRET_KEY_FALLBACKS=fallbacks or [], CONSENT_RATE_LIMIT=None)


def test_key_rotation_through_fallbacks_end_to_end(tmp_path):  # C12
    before = _app(tmp_path, OLD_KEY).test_client()
    choose(before, "save", purposes=("analytics",))
    old_cookie = before.get_cookie("consent").value

    rotated = _app(tmp_path, NEW_KEY, [OLD_KEY])
    visitor = rotated.test_client()
    visitor.set_cookie("consent", old_cookie)
    assert visitor.get("/granted/analytics").get_data(as_text=True) == "True", "old cookies still read"
    assert 'id="consent-banner"' not in visitor.get("/").get_data(as_text=True), "not asked again"
    choose(visitor, "save", purposes=("analytics", "location"))
    new_cookie = visitor.get_cookie("consent").value
    assert new_cookie != old_cookie

    retired = _app(tmp_path, NEW_KEY).test_client()  # the old key dropped from the fallbacks
    retired.set_cookie("consent", new_cookie)
    assert retired.get("/granted/location").get_data(as_text=True) == "True", "re-signed with the new key"
    stale = _app(tmp_path, NEW_KEY).test_client()
    stale.set_cookie("consent", old_cookie)
    assert stale.get("/granted/analytics").get_data(as_text=True) == "False", "retired key no longer trusted"


def _ip_hash(key: bytes, ip: str = "127.0.0.1") -> str:
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def test_ip_hash_uses_its_own_key_not_the_signing_key(tmp_path):  # C16
    app = build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"),
                    CONSENT_IP_HASH_KEY="ip-hash-key-one-0123456789abcdef01234567", CONSENT_RATE_LIMIT=None)
    client = app.test_client()
    choose(client, "reject_all")
    record = list(app.extensions["consent"].store.iter_records())
    assert record[0].ip_hash == _ip_hash(b"ip-hash-key-one-0123456789abcdef01234567")
    assert record[0].ip_hash != _ip_hash(app.secret_key.encode())
    assert "127.0.0.1" not in repr(record[0])


KEY_2025 = "ip-key-2025-0123456789abcdef0123456789"
KEY_2026 = "ip-key-2026-0123456789abcdef0123456789"


def test_ip_hash_key_rotates_without_touching_cookies(tmp_path):  # C16
    db, instance = f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance")
    first = build_app(db, instance, CONSENT_IP_HASH_KEY=KEY_2025, CONSENT_RATE_LIMIT=None)
    client = first.test_client()
    choose(client, "reject_all")
    cookie = client.get_cookie("consent").value
    second = build_app(db, instance, CONSENT_IP_HASH_KEY=KEY_2026, CONSENT_RATE_LIMIT=None)
    visitor = second.test_client()
    visitor.set_cookie("consent", cookie)
    assert 'id="consent-banner"' not in visitor.get("/").get_data(as_text=True), "the cookie is still valid"
    choose(visitor, "accept_all")
    hashes = [r.ip_hash for r in second.extensions["consent"].store.iter_records()]
    assert hashes == [_ip_hash(KEY_2025.encode()), _ip_hash(KEY_2026.encode())]


def test_default_ip_hash_key_is_random_private_and_not_the_secret_key(tmp_path):  # C16
    app = build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"), CONSENT_RATE_LIMIT=None)
    choose(app.test_client(), "reject_all")
    key_file = tmp_path / "instance" / "consent-ip-hash.key"
    key = key_file.read_bytes().strip()
    assert len(key) >= 32 and key != app.secret_key.encode()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    record = next(iter(app.extensions["consent"].store.iter_records()))
    assert record.ip_hash == _ip_hash(key)
