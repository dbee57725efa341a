"""Issue 2, item 2: the signed consent cookie. A bad cookie is the undecided state, never a 500."""

from __future__ import annotations

import base64
import re
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
    app = make_app(SESSION_COOKIE_SECURE=True, CONSENT_COOKIE_SECURE=False, CONSENT_COOKIE_SAMESITE="None",
                   CONSENT_COOKIE_NAME="shop_consent")
    client = app.test_client()
    (header,) = set_cookie_named(choose(client, "reject_all"), "shop_consent")
    assert "Secure" not in header and "SameSite=None" in header and "HttpOnly" in header


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


@pytest.mark.parametrize("config", [
    {}, {"SESSION_COOKIE_SECURE": True}, {"CONSENT_COOKIE_SAMESITE": "Strict"},
    {"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True}, {"CONSENT_COOKIE_SECURE": False},
])
@pytest.mark.parametrize("max_age", [None, 31536000])
def test_set_cookie_headers_are_what_werkzeug_writes(make_app, config, max_age) -> None:
    """The extension writes its Set-Cookie headers itself (attributes kept per config): they must equal
    werkzeug's ``set_cookie`` with the same arguments, the Expires date to within the second."""
    from email.utils import parsedate_to_datetime

    app = make_app(**config)
    e = ext(app)
    with app.test_request_context("/"):
        ours, theirs = app.response_class(""), app.response_class("")
        e._add_cookie(ours, "consent", "abc.DEF-ghi_1", max_age)
        e._add_cookie(ours, "consent", "abc.DEF-ghi_1", max_age)  # the kept attributes, second time
        theirs.set_cookie("consent", "abc.DEF-ghi_1", max_age=max_age, httponly=True, path="/",
                          secure=e._cookie_secure(), samesite=e._cookie_samesite())
    expected = theirs.headers["Set-Cookie"].split("; ")
    for header in ours.headers.getlist("Set-Cookie"):
        got = header.split("; ")
        assert [a for a in got if not a.startswith("Expires=")] == [a for a in expected if not a.startswith("Expires=")]
        dates = [parsedate_to_datetime(a[8:]) for a in got + expected if a.startswith("Expires=")]
        assert len(dates) == (0 if max_age is None else 2)
        if dates:
            assert abs((dates[0] - dates[1]).total_seconds()) <= 1


def test_hand_written_json_is_what_the_json_module_writes(app) -> None:
    """The cookie's payload and the log's granted/denied maps are put together directly; byte for byte they
    are what ``json.dumps`` writes, for every kind of state (GPC overrides, missing ids, any policy text)."""
    import json

    from flask_consent.cookie import FORMAT_VERSION, payload_json
    from flask_consent.state import undecided
    from flask_consent.store import map_json

    registry = ext(app).registry
    with app.test_request_context("/"):
        base = undecided(registry, 'v"2 \\ 版本 \x01', ext(app).max_age, gpc=True)
        states = [
            base,
            base.apply("accept_all", method="banner_accept_all", record_id="testrecord000001"),
            base.apply("reject_all", method="gpc"),
            base.apply("grant", ["advertising"], method="prompt", record_id="testrecord000002"),
            base.apply("save", ["analytics", "third_party_sharing"], method="preferences"),
        ]
    def payload_data(state):  # the object the cookie holds, as the json module would be given it
        return {"v": FORMAT_VERSION, "c": state.consent_id, "s": state.subject_id, "r": state.record_id,
                "p": state.policy_version, "t": int((state.decided_at or state.now).timestamp()),
                "m": state.method or "",
                "d": {k: [int(d.granted), d.version, 1] if d.gpc_override else [int(d.granted), d.version]
                      for k, d in state.current_decisions().items()}}

    for state in states:
        assert payload_json(state) == json.dumps(payload_data(state), separators=(",", ":"))
        granted, denied = state.split()
        for keys in (granted, denied, []):
            versions = {k: registry[k].version for k in keys}
            assert map_json(versions) == json.dumps(versions, separators=(",", ":"), sort_keys=True)
    assert '"advertising":[1,1,1]' in payload_json(states[3])  # a grant over GPC keeps its override mark
    for versions in ({"analytics": 1}, {"analytics": 2}, {"analytics": 1, "location": 1}, {"location": 1}):
        assert map_json(versions) == json.dumps(versions, separators=(",", ":"), sort_keys=True)  # each its own
    from flask_consent.store import _MAP_JSON

    for version in range(1, 301):  # maps kept per content stay bounded
        assert map_json({"analytics": version}) == f'{{"analytics":{version}}}'
    assert 0 < len(_MAP_JSON) <= 256


def test_states_and_records_built_without_init_have_every_field(app) -> None:
    """``apply`` and ``make_record`` build their frozen dataclasses without the generated ``__init__``;
    what they build has every field and equals what the constructor makes from the same values."""
    import dataclasses

    from flask_consent.records import make_record
    from flask_consent.state import ConsentState, undecided
    from flask_consent.store import ConsentRecord

    with app.test_request_context("/"):
        base = undecided(ext(app).registry, "1", ext(app).max_age)
        after = base.apply("accept_all", method="banner_accept_all", record_id="testrecord000001")
        again = after.apply("reject_all", method="preferences")
    record = make_record(again, record_id="testrecord000002", previous_id=after.record_id, method="preferences",
                         banner_hash="0" * 64, locale="en", user_id=None, ip_hash_value=None, ua="Chrome",
                         now=again.now)
    for cls, obj in ((ConsentState, after), (ConsentState, again), (ConsentRecord, record)):
        values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}
        assert set(values) <= set(vars(obj)) and obj == cls(**values)
    assert again.decided_at == again.now and not again.granted("analytics") and after.granted("analytics")


@pytest.mark.parametrize("nbytes", [12, 16])
def test_new_id_is_what_token_urlsafe_makes(nbytes) -> None:
    """Ids are made in C calls only, in the very shape of ``secrets.token_urlsafe``: URL-safe base64 of
    ``nbytes`` random bytes, unpadded."""
    from flask_consent.state import new_id

    ids = {new_id(nbytes) for _ in range(500)}
    assert len(ids) == 500
    for value in ids:
        assert len(value) == len(secrets.token_urlsafe(nbytes)) and re.fullmatch(r"[A-Za-z0-9_-]+", value)
        assert len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == nbytes


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


def test_a_first_choice_is_worked_out_once_and_is_what_working_it_out_afresh_gives(app) -> None:
    """A choice made when no decision is in force is kept per registry and shared by every state made of it
    (with its split, maps and cookie JSON); what every choice gives, from every kind of state, is what a
    registry that has kept nothing gives; and each state keeps its own ids and times."""
    import dataclasses
    from datetime import timedelta

    from flask_consent.purposes import PurposeRegistry

    registry = ext(app).registry
    choices, starts = _choices_and_starts(app)
    for start in starts:
        cold = dataclasses.replace(start, registry=PurposeRegistry(list(registry.values())))  # nothing kept
        for action, purposes, scope in choices:
            later = start.at(start.now + timedelta(seconds=5))
            a = start.apply(action, purposes, scope, method="preferences", record_id="testrecord000001")
            b = later.apply(action, list(reversed(purposes)) * 2, scope, method="preferences")  # order, repeats
            fresh = cold.apply(action, purposes, scope, method="preferences", record_id="testrecord000001")
            assert _worked_out(a) == _worked_out(b) == _worked_out(fresh) == _worked_out(dataclasses.replace(a))
            assert a.decided_at == fresh.decided_at and b.decided_at in (start.decided_at, later.now)
            assert (a._in_force is b._in_force) == (not start.current_decisions())  # shared when nothing was in force
            if start.consent_id is None:
                assert a.consent_id != b.consent_id and a.subject_id != b.subject_id
            assert a.record_id != b.record_id and a.now != b.now
    assert 0 < len(registry.first_choices) <= 64
    # One-shot iterables are read once: the choice is made with what they held.
    undecided_start = starts[0]
    assert undecided_start.apply("save", (k for k in ["analytics"]), method="preferences").granted("analytics")
    assert undecided_start.apply("save", ("analytics",), method="preferences").granted("analytics")


def test_shared_decisions_cannot_be_changed_and_callers_get_their_own_copies(app) -> None:
    """The decisions in force that many states share refuse every change; what is worked out from them is
    handed out as lists and dicts of the caller's own; they copy and pickle as plain values."""
    import copy
    import pickle

    from flask_consent.records import decision_maps
    from flask_consent.state import undecided

    registry = ext(app).registry
    root = undecided(registry, "1", ext(app).max_age)
    a = root.apply("accept_all", scope="due", method="banner_accept_all")
    b = root.apply("accept_all", scope="due", method="banner_accept_all")
    shared = a._in_force
    assert shared is b._in_force is a.decisions
    before = dict(shared)
    for change in (lambda: shared.__setitem__("analytics", None), lambda: shared.pop("analytics"),
                   lambda: shared.update(x=1), lambda: shared.clear(), lambda: shared.setdefault("x", 1),
                   lambda: shared.popitem(), lambda: shared.__delitem__("analytics")):
        with pytest.raises(TypeError, match="never change"):
            change()
    granted, _ = a.split()
    granted.append("mystery")
    maps = decision_maps(a)
    maps[0]["mystery"] = 9
    a.current_decisions().clear()
    assert dict(shared) == before and "mystery" not in b.split()[0] and "mystery" not in decision_maps(b)[0]
    for twin in (copy.deepcopy(shared), pickle.loads(pickle.dumps(shared))):
        assert twin == before and twin is not shared


def test_first_choices_kept_are_bounded_and_bad_ones_are_refused_every_time(app) -> None:
    """A refused choice keeps nothing, so it is refused again, whatever was accepted before; and a registry
    keeps at most 64 first choices, whatever clients send."""
    import itertools

    from flask_consent.exc import ChoiceError
    from flask_consent.state import undecided

    registry = ext(app).registry
    registry.first_choices.clear()
    root = undecided(registry, "1", ext(app).max_age)
    root.apply("grant", ["analytics"], method="prompt")
    for _ in range(2):
        for bad in ({"action": "grant"}, {"action": "grant", "purposes": ["analytics", "mystery"]},
                    {"action": "accept_all", "scope": "some"}, {"action": ["accept_all"]}):
            with pytest.raises(ChoiceError):
                root.apply(bad.pop("action"), **bad, method="prompt")
    optional = [p.key for p in registry.optional]
    for size in range(1, len(optional) + 1):
        for keys in itertools.combinations(optional, size):
            for gpc in (False, True):
                state = undecided(registry, "1", ext(app).max_age, gpc=gpc)
                for action in ("save", "grant"):
                    after = state.apply(action, keys, method="preferences")
                    assert [k for k, d in after.current_decisions().items() if d.granted] == [
                        k for k in optional if k in keys]  # registry order
    assert 0 < len(registry.first_choices) <= 64


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


def test_b64url_is_what_itsdangerous_writes() -> None:
    """The cookie's base64 (and the ids') is itsdangerous's ``base64_encode``: URL-safe, unpadded, for
    every length of input (each padding case) and every byte value."""
    from itsdangerous.encoding import base64_encode

    from flask_consent.state import b64url

    data = bytes(range(256)) * 2
    for n in range(0, 70):
        chunk = data[n * 3:n * 3 + n]
        assert b64url(chunk) == base64_encode(chunk)
    assert b64url(b"\xfb\xff\xfe") == base64_encode(b"\xfb\xff\xfe") == b"-__-"
