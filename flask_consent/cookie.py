"""The signed consent cookie: compact JSON, signed with the app's secret, never trusted blindly.

Decoding never raises: a missing, forged, expired, truncated, malformed or oversized value decodes to
None, which the extension turns into the *undecided* state.
"""

from __future__ import annotations

import hmac
import logging
import re
import struct
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from .purposes import PurposeRegistry
from .state import ConsentState, Decision, b64url, decision

log = logging.getLogger("flask_consent")

SALT = "flask-consent.cookie.v1"
MAX_COOKIE_BYTES = 4096
FORMAT_VERSION = 1
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: A string as JSON writes it by default (ASCII only, escaped), the C function ``json`` itself uses.
_quote = encode_basestring_ascii
#: The JSON of the decisions in force, in their ``InForce``'s memo (it depends on nothing else).
_DECISIONS_KEY = ("cookie.decisions",)
#: itsdangerous's timestamp: a big-endian integer without its leading zero bytes.
_TIMESTAMP = struct.Struct(">Q")


def payload_json(state: ConsentState) -> str:
    """What the cookie holds for ``state``, as compact JSON: the very text ``json.dumps(...,
    separators=(",", ":"))`` writes of it, put together directly (the encoder costs more than the rest of
    writing a cookie). ``_parse`` reads it back."""
    q = _quote
    in_force = state._in_force
    decisions = in_force.memo.get(_DECISIONS_KEY)  # the same for every state holding these decisions
    if decisions is None:
        decisions = in_force.memo[_DECISIONS_KEY] = ",".join(
            f"{q(k)}:[{int(d.granted)},{d.version},1]" if d.gpc_override else f"{q(k)}:[{int(d.granted)},{d.version}]"
            for k, d in in_force.items()
        )
    r = "null" if state.record_id is None else q(state.record_id)
    c = "null" if state.consent_id is None else q(state.consent_id)
    s = "null" if state.subject_id is None else q(state.subject_id)
    t = int((state.decided_at or state.now).timestamp())
    return (f'{{"v":{FORMAT_VERSION},"c":{c},"s":{s},"r":{r},"p":{q(state.policy_version)},"t":{t},'
            f'"m":{q(state.method or "")},"d":{{{decisions}}}}}')


@dataclass(frozen=True)
class Payload:
    """What a verified cookie holds: the decisions and the ids, plus the time it was signed."""

    consent_id: str
    subject_id: str
    record_id: str | None
    policy: str
    decided_at: int
    method: str
    decisions: Mapping[str, Decision]
    signed_at: int


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


def _parse(data: Any, signed_at: int) -> Payload | None:
    """Check the shape of a decoded cookie strictly; anything unexpected means 'untrusted'."""
    if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
        return None
    c, s, r, p, t, m, d = (data.get(k) for k in ("c", "s", "r", "p", "t", "m", "d"))
    if not (_valid_id(c) and _valid_id(s) and (r is None or _valid_id(r))):
        return None
    if not isinstance(p, str) or len(p) > 64 or not isinstance(m, str) or len(m) > 32:
        return None
    if isinstance(t, bool) or not isinstance(t, int) or t < 0 or t > signed_at + 300:
        return None
    if not isinstance(d, dict):
        return None
    decisions: dict[str, Decision] = {}
    for key, value in d.items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            return None
        if not isinstance(value, list) or len(value) not in (2, 3):
            return None
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
            return None
        granted, version, *rest = value
        if granted not in (0, 1) or version < 1 or (rest and rest[0] not in (0, 1)):
            return None
        decisions[key] = decision(bool(granted), version, bool(rest and rest[0]))
    return Payload(str(c), str(s), r, p, t, m, decisions, signed_at)


class CookieCodec:
    """Signs and verifies consent cookies for one app.

    ``secret_keys`` lists the keys to accept, newest last (Flask's ``SECRET_KEY_FALLBACKS`` then
    ``SECRET_KEY``); the newest signs, so a cookie signed with an old key is re-signed on the next write.
    Verified values are cached per raw cookie string: the signature binds the content, and the age is
    checked again against the clock on every request.
    """

    def __init__(self, secret_keys: Iterable[str | bytes], *, salt: str = SALT, cache_size: int = 4096):
        keys = [k.encode() if isinstance(k, str) else k for k in secret_keys if k]
        self._serializer = URLSafeTimedSerializer(keys, salt=salt)
        # Signing state made once (the serializer builds a signer and derives its key on every ``dumps``):
        # itsdangerous's HMAC of the newest key's derived key, copied for each cookie.
        signer = self._serializer.make_signer()
        self._mac = hmac.new(signer.derive_key(signer.secret_keys[-1]), digestmod=signer.digest_method)
        self._decode_cached = lru_cache(maxsize=cache_size)(self._decode_uncached)
        #: The last second a cookie was signed in, and its "." timestamp part (one tuple: threads share it).
        self._stamp: tuple[int, bytes] = (-1, b"")

    def dumps(self, state: ConsentState) -> str:
        """The cookie value for ``state``."""
        # URLSafeTimedSerializer's format (compact JSON, zlib when that is shorter, base64, "." timestamp,
        # "." HMAC signature), which its ``loads`` reads back, without its per-call set-up; and deflated with
        # a 512-byte window, which a cookie needs, instead of zlib's default 32 KiB (7x slower, same size).
        # The timestamp part is kept per second.
        payload = payload_json(state).encode()
        deflate = zlib.compressobj(6, zlib.DEFLATED, 9, 2)
        packed = deflate.compress(payload) + deflate.flush()
        if len(packed) < len(payload) - 1:
            body = b"." + b64url(packed)
        else:
            body = b64url(payload)
        now = int(time.time())
        stamp = self._stamp
        if stamp[0] != now:
            stamp = self._stamp = (now, b"." + b64url(_TIMESTAMP.pack(now).lstrip(b"\0")))
        body += stamp[1]
        mac = self._mac.copy()
        mac.update(body)
        return (body + b"." + b64url(mac.digest())).decode()

    def _decode_uncached(self, raw: str) -> Payload | None:
        try:
            data, signed = self._serializer.loads(raw, return_timestamp=True)
        except BadData:
            log.debug("consent cookie rejected: bad signature or encoding")
            return None
        except Exception:  # noqa: BLE001 - a hostile cookie must never become a 500
            log.debug("consent cookie rejected: undecodable", exc_info=True)
            return None
        return _parse(data, int(signed.timestamp()))

    def loads(self, raw: str | None, *, now: datetime, max_age: timedelta) -> Payload | None:
        """Verify ``raw``; None when it cannot be trusted. Cookies older than twice ``max_age`` are dropped."""
        if not raw or len(raw) > MAX_COOKIE_BYTES:
            return None
        payload = self._decode_cached(raw)
        if payload is None:
            return None
        age = now.timestamp() - payload.signed_at
        if age < -300 or age > 2 * max_age.total_seconds():
            return None
        return payload


def state_from_payload(
    payload: Payload | None,
    registry: PurposeRegistry,
    *,
    policy_version: str,
    max_age: timedelta,
    now: datetime,
    gpc: bool,
) -> ConsentState:
    """Build the request's :class:`ConsentState`; unknown purpose keys in the cookie are ignored."""
    if payload is None:
        return ConsentState(registry=registry, policy_version=policy_version, max_age=max_age, now=now, gpc=gpc)
    decisions = {k: d for k, d in payload.decisions.items() if k in registry.optional_keys}
    return ConsentState(
        registry=registry,
        policy_version=policy_version,
        max_age=max_age,
        now=now,
        decisions=decisions,
        decided_policy=payload.policy,
        decided_at=datetime.fromtimestamp(payload.decided_at, timezone.utc),
        changed_at=datetime.fromtimestamp(payload.signed_at, timezone.utc),
        consent_id=payload.consent_id,
        subject_id=payload.subject_id,
        record_id=payload.record_id,
        method=payload.method or None,
        gpc=gpc,
    )
