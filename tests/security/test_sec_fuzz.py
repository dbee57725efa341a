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
from fuzz_profile import batches, fuzz
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


@pytest.fixture(scope="module")
def reader(fuzz_app: Any) -> Visitor:
    """A visitor who only reads pages (a short consent history, so each case stays cheap)."""
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
@given(raws=batches(st.text(max_size=600) | st.binary(max_size=600).map(lambda b: b.decode("latin-1"))))
def test_decoder_turns_any_text_into_undecided(fuzz_app, raws):  # C7
    for raw in raws:
        assert _decode(fuzz_app, raw) is None


def _alter(genuine: str, position: float, op: str, piece: str) -> str:
    i = int(position * len(genuine))
    return {
        "replace": genuine[:i] + piece + genuine[i + 1:],
        "insert": genuine[:i] + piece + genuine[i:],
        "delete": genuine[:i] + genuine[i + len(piece):],
        "truncate": genuine[:i],
        "append": genuine + piece,
        "swapcase": genuine[:i] + genuine[i:i + len(piece)].swapcase() + genuine[i + len(piece):],
    }[op]


alterations = st.tuples(st.floats(0, 1), st.sampled_from(["replace", "insert", "delete", "truncate", "append",
                                                           "swapcase"]), st.text(min_size=1, max_size=4))


@fuzz(0.35)
@given(changes=batches(alterations))
def test_altered_genuine_cookie_never_decodes_to_anything_else(fuzz_app, visitor, changes):  # C7
    original = _decode(fuzz_app, visitor.cookie)
    for position, op, piece in changes:
        decoded = _decode(fuzz_app, _alter(visitor.cookie, position, op, piece))
        assert decoded is None or decoded == original


@fuzz(0.3)
@given(cases=batches(st.tuples(payload_like | json_values, st.booleans())))
def test_payloads_signed_by_anyone_never_raise_and_forgeries_never_decode(fuzz_app, cases):  # C7
    for payload, own_key in cases:
        key = KEY if own_key else "attacker-key-0123456789abcdef"
        decoded = _decode(fuzz_app, URLSafeTimedSerializer(key, salt=SALT).dumps(payload))
        if not own_key:
            assert decoded is None
        elif decoded is not None:  # shape accepted: only well-formed decisions survive
            assert all(d.version >= 1 for d in decoded.decisions.values())


@fuzz(0.1)
@given(cases=batches(st.tuples(st.text(max_size=300) | st.sampled_from(["true", "null", "1", "\"\"", "[]"]),
                               st.sampled_from(["as is", "after", "before", "cut"]))))
def test_forged_cookie_over_http_grants_nothing(fuzz_app, visitor, cases):  # C7, C6
    genuine = visitor.cookie
    client = fuzz_app.test_client()
    for raw, where in cases:
        value = {"as is": raw, "after": genuine + raw, "before": raw + genuine,
                 "cut": genuine[: len(raw) % len(genuine)]}[where]
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


tokens = st.sampled_from(["field", "header", "missing", "garbage", "other-session"])


@fuzz(0.7)
@given(cases=batches(st.tuples(st.lists(st.tuples(form_keys, form_values), max_size=5), tokens)))
def test_form_posts_never_fail_and_never_write_without_a_token(fuzz_app, visitor, other_visitor, cases):  # C14
    for fields, token in cases:
        data = MultiDict([(k, v) for k, v in fields if k != "csrf_token"])
        headers = {}
        if token == "field":
            data.add("csrf_token", visitor.token)
        elif token == "header":
            headers["X-CSRFToken"] = visitor.token
        elif token == "garbage":
            data.add("csrf_token", next((v for k, v in fields if k == "csrf_token"), "x"))
        elif token == "other-session":
            data.add("csrf_token", other_visitor.token)
        before = len(fuzz_app.extensions["consent"].store.rows)
        r = visitor.client.post("/consent", data=data, headers=headers)
        _check_choice_response(fuzz_app, r, before, token in ("field", "header"))


content_types = st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "multipart/form-data", "text/plain", "application/octet-stream"])


@fuzz(0.3)
@given(cases=batches(st.tuples(st.binary(max_size=300), content_types)))
def test_raw_form_bodies_never_fail(fuzz_app, visitor, cases):  # C14
    for body, content_type in cases:
        before = len(fuzz_app.extensions["consent"].store.rows)
        r = visitor.client.post("/consent", data=body, content_type=content_type,
                                headers={"X-CSRFToken": visitor.token})
        _check_choice_response(fuzz_app, r, before, True)


# --- POST /consent, JSON body ---------------------------------------------------------------------------

json_field = st.sampled_from(KNOWN) | json_scalars | st.lists(json_scalars, max_size=2)
choice_like = st.fixed_dictionaries({}, optional={
    "action": json_field, "scope": json_field, "next": json_field,
    "purposes": st.lists(json_field, max_size=6) | json_field,
})


@fuzz(0.7)
@given(cases=batches(st.tuples(choice_like | json_values, st.booleans())))
def test_json_posts_answer_json_never_fail_never_write_without_token(fuzz_app, visitor, cases):  # C14
    for body, with_token in cases:
        headers = {"X-CSRFToken": visitor.token} if with_token else {}
        before = len(fuzz_app.extensions["consent"].store.rows)
        r = visitor.client.post("/consent", data=json.dumps(body), content_type="application/json", headers=headers)
        _check_choice_response(fuzz_app, r, before, with_token)
        assert r.status_code in (200, 400) and r.is_json


@fuzz(0.3)
@given(bodies=batches(st.binary(max_size=300) | st.text(max_size=300).map(str.encode)))
def test_malformed_json_bodies_answer_400_json(fuzz_app, visitor, bodies):  # C14
    for body in bodies:
        before = len(fuzz_app.extensions["consent"].store.rows)
        r = visitor.client.post("/consent", data=body, content_type="application/json",
                                headers={"X-CSRFToken": visitor.token})
        _check_choice_response(fuzz_app, r, before, True)
        assert r.is_json


# --- every query parameter the extension reads ----------------------------------------------------------

PATHS = ("/consent/preferences", "/consent/history", "/nearby", "/", "/consent/state", "/recommendations",
         "/consent/declaration", "/consent/declaration.json", "/consent/openapi.json", "/consent/receipt/x")
param_keys = st.sampled_from(["next", "download", "back", "purpose", "lang"]) | st.text(max_size=8)
param_values = st.sampled_from(OPEN_REDIRECTS) | st.sampled_from(KNOWN) | st.text(max_size=40)
referrers = st.none() | (param_values | param_values.map(lambda v: "http://localhost" + v)).map(
    lambda v: re.sub(r"[\r\n]", "", v))  # a header cannot carry a line break
HREF = re.compile(r'(?:href|action)="([^"]*)"|name="next" value="([^"]*)"')
query_cases = st.tuples(st.sampled_from(PATHS), st.lists(st.tuples(param_keys, param_values), max_size=4), referrers,
                        st.sampled_from(["GET", "GET", "GET", "HEAD", "OPTIONS"]))


@fuzz(1.0)
@given(cases=batches(query_cases))
def test_query_parameters_never_fail_never_reflect_markup_never_link_off_site(fuzz_app, reader, cases):  # C7
    for path, params, referrer, method in cases:
        headers = {"Referer": referrer} if referrer is not None else {}
        r = reader.client.open(path, method=method, query_string=MultiDict(params), headers=headers)
        assert r.status_code < 500
        if method != "GET" or not r.mimetype == "text/html":
            continue
        body = r.get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<img src=x" not in body
        for match in HREF.finditer(body):
            url = html.unescape(match.group(1) or match.group(2) or "")
            if url == "data:,":  # the pages' empty favicon: it links nowhere (and spares a /favicon.ico request)
                continue
            parts = urlsplit(url)
            assert not url.startswith("//") and "\\" not in url.split("?", 1)[0], url
            assert not parts.netloc and not parts.scheme, url


_PATH_CHARS = st.sampled_from(list("/abcAZ09_.~-%?#:\\@ \t") + ["//", "%2f", "%5c", "javascript:", "\x00", "é"])


@fuzz(0.1)
@given(cases=batches(st.lists(_PATH_CHARS, max_size=12).map(lambda parts: "/" + "".join(parts))))
def test_safe_next_fast_path_agrees_with_the_full_check(cases):  # C7
    """A plain path is accepted without the decoding loop: only where the full check accepts it too."""
    import flask_consent.forms as forms

    plain = forms._PLAIN_PATH
    for value in cases:
        fast = safe_next(value)
        forms._PLAIN_PATH = re.compile(r"(?!)")  # never matches: the full check only
        try:
            full = safe_next(value)
        finally:
            forms._PLAIN_PATH = plain
        assert fast == full, value
