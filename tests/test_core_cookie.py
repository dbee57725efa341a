"""Issue 2, item 2: the signed consent cookie. A bad cookie is the undecided state, never a 500."""

from __future__ import annotations

import base64
import secrets
import time
from datetime import datetime, timezone

import pytest
from conftest import choose, record_count
from core_util import DAY, cookie_of, ext, payload, set_cookie_named, sign
from itsdangerous import URLSafeTimedSerializer

SECRET = "test-secret-key-0123456789abcdef"
ALL_GRANTED = {k: [1, 1] for k in ("recommendations", "location", "analytics", "advertising", "third_party_sharing")}


def _undecided(client) -> None:
    """The visitor is treated as undecided: the banner shows and nothing optional is granted."""
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="consent-banner"' in response.get_data(as_text=True)
    state = client.get("/consent/state").get_json()
    assert state["granted"] == ["necessary"] and state["banner_due"]


def _bad_cookies() -> dict[str, str]:
    good = sign(payload(ALL_GRANTED), SECRET)
    body, _, sig = good.rpartition(".")
    forged_sig = sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
    raw_json = base64.urlsafe_b64encode(b'{"v":1}').decode().rstrip("=")
    oversized = sign(payload(ALL_GRANTED, pad=secrets.token_urlsafe(4000)), SECRET)
    return {
        "forged_signature": body + "." + forged_sig,
        "wrong_key": sign(payload(ALL_GRANTED), "another-secret-key-that-is-long"),
        "wrong_salt": str(URLSafeTimedSerializer(SECRET, salt="other").dumps(payload(ALL_GRANTED))),
        "expired": sign(payload(ALL_GRANTED, at=time.time() - 400 * DAY), SECRET, at=time.time() - 400 * DAY),
        "from_the_future": sign(payload(ALL_GRANTED), SECRET, at=time.time() + 3 * DAY),
        "truncated": good[: len(good) // 2],
        "truncated_signature": good[:-5],
        "unsigned_json": raw_json,
        "not_base64": "%%%not-a-cookie%%%",
        "non_json_signed": _signed_bytes(b"\xff\xfe not json"),
        "wrongly_shaped_list": sign([1, 2, 3], SECRET),
        "wrongly_shaped_decision": sign(payload({"analytics": "yes"}), SECRET),
        "wrong_format_version": sign(payload(ALL_GRANTED, v=2), SECRET),
        "bad_ids": sign(payload(ALL_GRANTED, c="<script>", s=""), SECRET),
        "bool_as_int": sign(payload({"analytics": [True, 1]}), SECRET),
        "oversized": oversized,
        "literal_true": "true",
        "signed_true": sign(True, SECRET),
        "empty": "",
    }


def _signed_bytes(raw: bytes) -> str:
    """A correctly signed cookie whose payload does not decode as JSON."""
    signer = URLSafeTimedSerializer(SECRET, salt="flask-consent.cookie.v1").make_signer("flask-consent.cookie.v1")
    return signer.sign(base64.urlsafe_b64encode(raw).rstrip(b"=")).decode()


BAD = _bad_cookies()


@pytest.mark.filterwarnings("ignore:The 'consent' cookie is too large")
def test_bad_cookie_means_undecided_never_500(app):
    assert len(BAD["oversized"]) > 4096
    for kind, value in sorted(BAD.items()):
        client = app.test_client()
        client.set_cookie("consent", value)
        try:
            _undecided(client)
            assert client.get("/recommendations").get_data(as_text=True) == "bestsellers"
            assert client.get("/nearby", headers={"Accept": "application/json"}).status_code == 403
        except AssertionError as exc:
            raise AssertionError(f"bad cookie {kind!r}: {exc}") from exc
    assert record_count(app) == 0


def test_missing_cookie_is_undecided(client):
    _undecided(client)


def test_forged_cookie_granting_everything_is_ignored(client):
    client.set_cookie("consent", sign(payload(ALL_GRANTED), "attacker-guess-of-the-secret-key"))
    for key in ALL_GRANTED:
        assert client.get(f"/granted/{key}").get_data(as_text=True) == "False"


def test_valid_cookie_is_trusted(client):
    client.set_cookie("consent", sign(payload(ALL_GRANTED), SECRET))
    assert client.get("/granted/analytics").get_data(as_text=True) == "True"
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)


def test_unknown_purpose_keys_in_cookie_are_ignored(client):
    client.set_cookie("consent", sign(payload({**ALL_GRANTED, "telemetry": [1, 1]}), SECRET))
    assert client.get("/granted/telemetry").get_data(as_text=True) == "False"
    assert client.get("/granted/analytics").get_data(as_text=True) == "True"
    assert client.get("/consent/state").get_json()["decided"] is True


def test_cookie_is_compact(client):
    choose(client, "accept_all")
    assert len(cookie_of(client)) < 300


def test_old_key_cookie_still_read_and_resigned_with_new_key(make_app):
    old, new = "old-secret-key-0123456789abcdef", "new-secret-key-0123456789abcdef"
    old_app = make_app(SECRET_KEY=old)
    old_client = old_app.test_client()
    choose(old_client, "save", ("analytics",))
    old_cookie = cookie_of(old_client)

    rotated = make_app(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old])
    client = rotated.test_client()
    client.set_cookie("consent", old_cookie)
    assert client.get("/granted/analytics").get_data(as_text=True) == "True"
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)

    choose(client, "save", ("analytics", "location"))
    resigned = cookie_of(client)
    assert resigned != old_cookie
    only_new = URLSafeTimedSerializer(new, salt="flask-consent.cookie.v1")
    data = only_new.loads(resigned)
    assert data["d"]["analytics"][0] == 1 and data["d"]["location"][0] == 1
    assert ext(rotated).codec.loads(resigned, now=_now(), max_age=ext(rotated).max_age) is not None

    without_fallback = make_app(SECRET_KEY=new).test_client()
    without_fallback.set_cookie("consent", old_cookie)
    assert without_fallback.get("/granted/analytics").get_data(as_text=True) == "False"


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_cookie_is_httponly_with_flask_session_defaults(client):
    response = choose(client, "reject_all")
    (header,) = set_cookie_named(response, "consent")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    assert "Max-Age=" in header and "Path=/" in header


def test_cookie_flags_follow_flask_session_cookie_config(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_DOMAIN="shop.test")
    client = app.test_client()
    base = "https://shop.test"
    token = client.get("/consent/state", base_url=base).get_json()["csrf_token"]
    response = client.post("/consent", data={"csrf_token": token, "action": "reject_all"}, base_url=base)
    (header,) = set_cookie_named(response, "consent")
    assert "Secure" in header and "SameSite=Strict" in header and "HttpOnly" in header
    assert "Domain=shop.test" in header


def test_consent_cookie_config_overrides_session_config(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax", CONSENT_COOKIE_SECURE=False,
                   CONSENT_COOKIE_SAMESITE="Strict", CONSENT_COOKIE_NAME="shop_consent")
    client = app.test_client()
    (header,) = set_cookie_named(choose(client, "reject_all"), "shop_consent")
    assert "Secure" not in header and "SameSite=Strict" in header and "HttpOnly" in header


@pytest.mark.parametrize("action", ["accept_all", "reject_all"])
def test_itsdangerous_reads_the_cookie_back(app, monkeypatch, action) -> None:
    """``CookieCodec.dumps`` skips the serializer's per-call set-up and deflates with a small window, but
    writes its format: itsdangerous's own ``loads`` verifies the signature and time and returns the data, and
    the cookie is no longer than the serializer's."""
    import zlib

    from flask_consent.cookie import SALT
    from flask_consent.state import undecided

    monkeypatch.setattr(time, "time", lambda: 1_790_000_000.0)
    codec = ext(app).codec
    with app.test_request_context("/"):
        state = undecided(ext(app).registry, "1", ext(app).max_age).apply(
            action, method="banner_accept_all", record_id="testrecord000001")
    value = codec.dumps(state)
    reference = URLSafeTimedSerializer(SECRET, salt=SALT)
    data, signed_at = reference.loads(value, return_timestamp=True)
    assert signed_at.timestamp() == 1_790_000_000
    assert data["c"] == state.consent_id and data["r"] == "testrecord000001"
    assert data["d"] == {k: [int(d.granted), d.version] for k, d in state.current_decisions().items()}
    assert value.startswith(".")  # compressed, as the serializer would
    assert len(value) <= len(reference.dumps(data))
    body = value[1:].split(".")[0]
    packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert zlib.decompress(packed)  # a plain zlib stream
    # The timestamp part is kept per second: the same second signs the same way, the next one anew.
    assert codec.dumps(state) == value
    monkeypatch.setattr(time, "time", lambda: 1_790_000_001.9)
    later = codec.dumps(state)
    assert reference.loads(later, return_timestamp=True) == (data, datetime.fromtimestamp(1_790_000_001, timezone.utc))
    monkeypatch.undo()
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    assert codec.loads(tampered, now=state.now, max_age=ext(app).max_age) is None










def test_due_split_and_accept_all_match_their_definitions(app) -> None:
    """``due()``, ``split()`` and ``accept_all`` read the decisions in force directly; they answer as the rules say,
    with and without a GPC signal, over grants made under the signal, after expiry and a policy change."""
    import dataclasses
    from datetime import timedelta

    from flask_consent.state import undecided

    registry = ext(app).registry
    states = []
    for gpc in (False, True):
        base = undecided(registry, "1", ext(app).max_age, gpc=gpc)
        states += [
            base,
            base.apply("accept_all", method="banner_accept_all"),
            base.apply("reject_all", method="banner_reject_all"),
            base.apply("grant", ["advertising"], method="prompt"),
            base.apply("save", ["analytics"], method="preferences"),
            base.apply("grant", ["advertising"], method="prompt").apply(
                "accept_all", scope="due", method="banner_accept_all"),
        ]
    old = undecided(registry, "1", ext(app).max_age).apply("accept_all", method="banner_accept_all")
    states += [old.at(old.now + ext(app).max_age + timedelta(seconds=1)),  # expired
               dataclasses.replace(old, policy_version="2")]  # decided under another policy
    for state in states:
        expected = tuple(p for p in registry.optional
                         if not p.separate and state.current(p.key) is None and not state.gpc_honoured(p.key))
        assert state.due() == expected
        assert state.split() == (
            [k for k in registry if state.granted(k)],
            [p.key for p in registry.optional if state.decided(p.key) and not state.granted(p.key)],
        )
        after = state.apply("accept_all", scope="all", method="banner_accept_all")
        for key in after.current_decisions():
            d = state.current(key)
            overridden = d is not None and d.granted and d.gpc_override
            gpc_key = state.gpc and key in registry.gpc_keys
            assert after.current(key).granted == (not gpc_key or overridden)
            assert after.current(key).gpc_override == overridden
    assert any(s.due() for s in states) and any(not s.due() for s in states)
    assert any(s.current("advertising") and s.current("advertising").gpc_override for s in states)


def _choices_and_starts(app):
    """Choices of every kind, and states to make them from: with nothing in force (undecided, expired, under
    another policy, decided on an older purpose version) and with decisions in force, each without and with
    a GPC signal."""
    import dataclasses
    from datetime import timedelta

    from flask_consent.state import ConsentState, decision, undecided

    registry, max_age = ext(app).registry, ext(app).max_age
    choices = [("accept_all", (), "due"), ("accept_all", (), "all"), ("reject_all", (), "due"),
               ("reject_all", (), "all"), ("grant", ("advertising",), "all"),
               ("grant", ("analytics", "location"), "due"),
               ("save", ("analytics",), "due"), ("save", ("third_party_sharing", "analytics"), "all"),
               ("save", (), "all"), ("accept_all", ("analytics",), "due")]
    base = undecided(registry, "1", max_age)
    old_version = ConsentState(registry=registry, policy_version="1", max_age=max_age, now=base.now,
                               decisions={"analytics": decision(True, 9)}, decided_policy="1",
                               decided_at=base.now, consent_id="consentid0001", subject_id="subjectid0001")
    decided = base.apply("grant", ["advertising"], method="prompt").apply("save", ["analytics"], method="preferences")
    starts = [base, base.apply("accept_all", method="banner_accept_all").at(base.now + max_age + timedelta(days=1)),
              dataclasses.replace(decided, policy_version="2"), old_version, decided,
              base.apply("reject_all", scope="due", method="banner_reject_all")]
    return choices, [dataclasses.replace(s, gpc=g) for s in starts for g in (False, True)]


def _worked_out(state):
    """Everything a state answers from its decisions, for comparing two ways of making it (its times aside)."""
    import json

    from flask_consent.cookie import payload_json
    from flask_consent.records import decision_maps

    return (state.current_decisions(), state.split(), decision_maps(state), json.loads(payload_json(state))["d"],
            [p.key for p in state.due()], state.expired, state.reason)








def test_a_choice_that_keeps_an_expired_decision_leaves_everything_due(app) -> None:
    """A choice made at a time when a kept decision has expired (its time is the oldest decision's) is a
    state whose decisions are all due again, and so is a state read (``at``) after its decisions expired."""
    import dataclasses
    from datetime import timedelta

    from flask_consent.state import undecided

    registry, max_age = ext(app).registry, ext(app).max_age
    old = undecided(registry, "1", max_age).apply("grant", ["analytics"], method="prompt")
    after = old.apply("grant", ["advertising"], method="prompt", now=old.now + max_age + timedelta(days=1))
    assert after.expired and after.current("analytics") is None and after.current("advertising") is None
    assert after.due() == dataclasses.replace(after).due() and after.due()
    soon = old.apply("grant", ["advertising"], method="prompt", now=old.now + timedelta(days=1))
    assert soon.current("analytics") is not None and soon.current("advertising") is not None
    assert old.current("analytics") is not None
    read_late = old.at(old.now + max_age + timedelta(seconds=1))
    assert read_late.current("analytics") is None and not read_late.granted("analytics") and read_late.due()
    assert old.at(old.now + max_age).current("analytics") is not None  # up to the very end


