"""Hostile input, generated: the cookie decoder, POST /consent (form and JSON) and every query parameter the
extension reads. At least 10,000 cases per surface (see fuzz_profile.py), no 5xx, no exception out of the
extension (TESTING propagates them into the test), and no forged or altered cookie grants anything."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import build_app
from fuzz_profile import fuzz
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from payloads import OPEN_REDIRECTS, XSS
from werkzeug.datastructures import MultiDict

from flask_consent.cookie import SALT
from flask_consent.forms import safe_next
from flask_consent.store import ConsentRecord

KEY = "test-secret-key-0123456789abcdef"
KNOWN = ("accept_all", "reject_all", "save", "grant", "all", "due", "necessary", "analytics", "location",
         "advertising", "recommendations", "third_party_sharing", "", "/", "/other", "//evil.example", XSS)


class MemoryStore:
    """The consent log in a list: fuzzing is about the HTTP layer, so keep each case cheap."""

    def __init__(self) -> None:
        self.rows: list[ConsentRecord] = []

    def append(self, record: ConsentRecord) -> None:
        self.rows.append(record)

    def history(self, subject_id: str | None, user_id: str | None = None, limit: int = 100) -> list[ConsentRecord]:
        return [r for r in reversed(self.rows[-200:]) if r.subject_id == subject_id][:limit]

    def latest_for_user(self, user_id: str) -> ConsentRecord | None:
        return None

    def get(self, record_id: str) -> ConsentRecord | None:
        return next((r for r in self.rows if r.id == record_id), None)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("fuzz")
    app = build_app(f"sqlite:///{tmp / 'consent.db'}", str(tmp / "instance"), CONSENT_RATE_LIMIT=None)
    app.extensions["consent"].store = MemoryStore()
    return app


class Visitor:
    """One browser session reused across cases (cheap): its client, CSRF token and a genuine consent cookie."""

    def __init__(self, app: Any):
        self.client = app.test_client()
        self.token = str(self.client.get("/consent/state").get_json()["csrf_token"])
        self.client.post("/consent", json={"action": "reject_all"}, headers={"X-CSRFToken": self.token})
        self.cookie = str(self.client.get_cookie("consent").value)


@pytest.fixture(scope="module")
def visitor(fuzz_app: Any) -> Visitor:
    return Visitor(fuzz_app)


@pytest.fixture(scope="module")
def other_visitor(fuzz_app: Any) -> Visitor:
    return Visitor(fuzz_app)


def _decode(app: Any, raw: str) -> Any:
    ext = app.extensions["consent"]
    return ext.codec.loads(raw, now=datetime.now(timezone.utc), max_age=ext.max_age)


# --- the cookie decoder (direct calls) ------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=4,
)
payload_like = st.fixed_dictionaries(
    {},
    optional={
        "v": st.sampled_from([1, 2, 0, True, "1", None]),
        "c": st.text(max_size=70) | st.just("AAAAAAAAAAAA"),
        "s": st.text(max_size=70) | st.just("BBBBBBBBBBBB"),
        "r": st.none() | st.text(max_size=70),
        "p": st.sampled_from(["1", "2"]) | st.text(max_size=70) | st.integers(),
        "t": st.integers() | st.booleans() | st.floats(allow_nan=False),
        "m": st.text(max_size=40) | st.integers(),
        "d": st.dictionaries(st.sampled_from(["analytics", "advertising", "Bad Key", "x" * 41]) | st.text(max_size=9),
                             json_values | st.lists(st.integers(-2, 3), max_size=4), max_size=6) | json_values,
    },
)


@fuzz(0.35)
@given(raw=st.text(max_size=600) | st.binary(max_size=600).map(lambda b: b.decode("latin-1")))
def test_decoder_turns_any_text_into_undecided(fuzz_app, raw):  # C7
    assert _decode(fuzz_app, raw) is None


@fuzz(0.35)
@given(data=st.data())
def test_altered_genuine_cookie_never_decodes_to_anything_else(fuzz_app, visitor, data):  # C7
    genuine = visitor.cookie
    original = _decode(fuzz_app, genuine)
    i = data.draw(st.integers(0, len(genuine)))
    op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate", "append", "swapcase"]))
    piece = data.draw(st.text(min_size=1, max_size=4))
    altered = {
        "replace": genuine[:i] + piece + genuine[i + 1:],
        "insert": genuine[:i] + piece + genuine[i:],
        "delete": genuine[:i] + genuine[i + len(piece):],
        "truncate": genuine[:i],
        "append": genuine + piece,
        "swapcase": genuine[:i] + genuine[i:i + len(piece)].swapcase() + genuine[i + len(piece):],
    }[op]
    decoded = _decode(fuzz_app, altered)
    assert decoded is None or decoded == original


@fuzz(0.3)
@given(payload=payload_like | json_values, own_key=st.booleans())
def test_payloads_signed_by_anyone_never_raise_and_forgeries_never_decode(fuzz_app, payload, own_key):  # C7
    key = KEY if own_key else "attacker-key-0123456789abcdef"
    raw = URLSafeTimedSerializer(key, salt=SALT).dumps(payload)
    decoded = _decode(fuzz_app, raw)
    if not own_key:
        assert decoded is None
    elif decoded is not None:  # shape accepted: only well-formed decisions survive
        assert all(d.version >= 1 for d in decoded.decisions.values())


@fuzz(0.1)
@given(raw=st.text(max_size=300) | st.sampled_from(["true", "null", "1", "\"\"", "[]"]), data=st.data())
def test_forged_cookie_over_http_grants_nothing(fuzz_app, visitor, raw, data):  # C7, C6
    genuine = visitor.cookie
    value = data.draw(st.sampled_from([raw, genuine + raw, raw + genuine, genuine[: len(raw) % len(genuine)]]))
    client = fuzz_app.test_client()
    client.set_cookie("consent", value)
    for key in ("analytics", "advertising", "location"):
        r = client.get(f"/granted/{key}")
        assert r.status_code == 200 and r.get_data(as_text=True) == "False"


# --- POST /consent, form body ---------------------------------------------------------------------------

form_keys = st.sampled_from(["action", "purposes", "scope", "next", "csrf_token"]) | st.text(max_size=10)
form_values = st.sampled_from(KNOWN) | st.sampled_from(OPEN_REDIRECTS) | st.text(max_size=30)


def _check_choice_response(app: Any, r: Any, before: int, token_ok: bool) -> None:
    written = len(app.extensions["consent"].store.rows) - before
    assert r.status_code in (200, 303, 400), r.status_code
    assert written in (0, 1)
    if not token_ok or r.status_code == 400:
        assert written == 0, "a refused post wrote a record"
    if r.status_code == 303:
        location = r.headers["Location"]
        parts = urlsplit(location)
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location
        assert not parts.scheme and not parts.netloc
        assert location == "/" or safe_next(location) == location


@fuzz(0.7)
@given(fields=st.lists(st.tuples(form_keys, form_values), max_size=5),
       token=st.sampled_from(["field", "header", "missing", "garbage", "other-session"]))
def test_form_posts_never_fail_and_never_write_without_a_token(fuzz_app, visitor, other_visitor, fields,
                                                               token):  # C14
    client, genuine = visitor.client, visitor.token
    data = MultiDict([(k, v) for k, v in fields if k != "csrf_token"])
    headers = {}
    if token == "field":
        data.add("csrf_token", genuine)
    elif token == "header":
        headers["X-CSRFToken"] = genuine
    elif token == "garbage":
        data.add("csrf_token", next((v for k, v in fields if k == "csrf_token"), "x"))
    elif token == "other-session":
        data.add("csrf_token", other_visitor.token)
    before = len(fuzz_app.extensions["consent"].store.rows)
    r = client.post("/consent", data=data, headers=headers)
    _check_choice_response(fuzz_app, r, before, token in ("field", "header"))


@fuzz(0.3)
@given(body=st.binary(max_size=300),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                     "multipart/form-data", "text/plain", "application/octet-stream"]))
def test_raw_form_bodies_never_fail(fuzz_app, visitor, body, content_type):  # C14
    client, genuine = visitor.client, visitor.token
    before = len(fuzz_app.extensions["consent"].store.rows)
    r = client.post("/consent", data=body, content_type=content_type, headers={"X-CSRFToken": genuine})
    _check_choice_response(fuzz_app, r, before, True)


# --- POST /consent, JSON body ---------------------------------------------------------------------------

json_field = st.sampled_from(KNOWN) | json_scalars | st.lists(json_scalars, max_size=2)
choice_like = st.fixed_dictionaries({}, optional={
    "action": json_field, "scope": json_field, "next": json_field,
    "purposes": st.lists(json_field, max_size=6) | json_field,
})


@fuzz(0.7)
@given(body=choice_like | json_values, with_token=st.booleans())
def test_json_posts_answer_json_never_fail_never_write_without_token(fuzz_app, visitor, body, with_token):  # C14
    client = visitor.client
    headers = {"X-CSRFToken": visitor.token} if with_token else {}
    before = len(fuzz_app.extensions["consent"].store.rows)
    r = client.post("/consent", data=json.dumps(body), content_type="application/json", headers=headers)
    _check_choice_response(fuzz_app, r, before, with_token)
    assert r.status_code in (200, 400) and r.is_json


@fuzz(0.3)
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_malformed_json_bodies_answer_400_json(fuzz_app, visitor, body):  # C14
    client, token = visitor.client, visitor.token
    before = len(fuzz_app.extensions["consent"].store.rows)
    r = client.post("/consent", data=body, content_type="application/json", headers={"X-CSRFToken": token})
    _check_choice_response(fuzz_app, r, before, True)
    assert r.is_json


# --- every query parameter the extension reads ----------------------------------------------------------

PATHS = ("/consent/preferences", "/consent/history", "/nearby", "/", "/consent/state", "/recommendations",
         "/consent/declaration", "/consent/declaration.json", "/consent/openapi.json", "/consent/receipt/x")
param_keys = st.sampled_from(["next", "download", "back", "purpose", "lang"]) | st.text(max_size=8)
param_values = st.sampled_from(OPEN_REDIRECTS) | st.sampled_from(KNOWN) | st.text(max_size=40)
HREF = re.compile(r'(?:href|action)="([^"]*)"|name="next" value="([^"]*)"')


@fuzz(1.0)
@given(path=st.sampled_from(PATHS), params=st.lists(st.tuples(param_keys, param_values), max_size=4),
       referrer=st.none() | (param_values | param_values.map(lambda v: "http://localhost" + v)).map(
           lambda v: re.sub(r"[\r\n]", "", v)),
       method=st.sampled_from(["GET", "GET", "GET", "HEAD", "OPTIONS"]))
def test_query_parameters_never_fail_never_reflect_markup_never_link_off_site(fuzz_app, visitor, path, params,
                                                                              referrer, method):  # C7
    headers = {"Referer": referrer} if referrer is not None else {}
    r = visitor.client.open(path, method=method, query_string=MultiDict(params), headers=headers)
    assert r.status_code < 500
    if method != "GET" or not r.mimetype == "text/html":
        return
    body = r.get_data(as_text=True)
    assert "<script>alert(1)" not in body and "onerror=alert" not in body.replace("&#34;", "")
    for match in HREF.finditer(body):
        url = html.unescape(match.group(1) or match.group(2) or "")
        parts = urlsplit(url)
        assert not url.startswith("//") and "\\" not in url.split("?", 1)[0], url
        assert not parts.netloc and parts.scheme in ("",), url

