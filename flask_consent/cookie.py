"""The signed consent cookie: compact JSON through itsdangerous' ``URLSafeTimedSerializer``, strictly parsed.

The cookie holds the consent id, the subject id, the last record id, the policy version, each purpose's
decision (``[granted, version]`` or ``[granted, version, 1]`` for a grant given over a GPC signal), how it was
given, and when the oldest decision in force was made. The signature's timestamp is the time of the last
change. Anything that does not verify or parse is *untrusted*: the visitor is simply undecided.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

from .purposes import PurposeRegistry
from .state import ConsentState, Decision

log = logging.getLogger("flask_consent")

SALT = "flask-consent.cookie.v1"
#: Longer values are not even verified (a browser keeps at most 4 KiB per cookie).
MAX_COOKIE_BYTES = 4096
FORMAT_VERSION = 1
#: How far a cookie's signing time may be ahead of this server's clock (another server's clock may run fast).
_CLOCK_SKEW = -timedelta(seconds=300)
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Payload:
    """What a verified cookie holds: the decisions and the ids, plus the time it was signed.

    A payload is kept in the codec's cache and shared by every request with the same cookie: nothing in it
    can change (its decisions are a read-only mapping).
    """

    consent_id: str
    subject_id: str
    record_id: str | None
    policy: str
    decided_at: datetime
    method: str
    decisions: Mapping[str, Decision]
    signed_at: datetime


def payload_of(state: ConsentState) -> dict[str, Any]:
    """The cookie's JSON object for ``state``: its decisions in force and its ids."""
    return {
        "v": FORMAT_VERSION,
        "c": state.consent_id,
        "s": state.subject_id,
        "r": state.record_id,
        "p": state.policy_version,
        "t": int((state.decided_at or state.now).timestamp()),
        "m": state.method or "",
        "d": {
            k: [int(d.granted), d.version, 1] if d.gpc_override else [int(d.granted), d.version]
            for k, d in state.current_decisions().items()
        },
    }


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


def parse_payload(data: Any, signed_at: int) -> Payload | None:
    """Check the shape of a decoded cookie strictly; anything unexpected means 'untrusted' (None)."""
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
        decisions[key] = Decision(bool(granted), version, bool(rest and rest[0]))
    return Payload(
        str(c), str(s), r, p, datetime.fromtimestamp(t, timezone.utc), m, MappingProxyType(decisions),
        datetime.fromtimestamp(signed_at, timezone.utc),
    )


class CookieSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, compressing with a small zlib window (its documented
    ``dump_payload`` hook).

    ``zlib.compress`` sets up a 32 KiB window and its tables on every call, far more than a cookie of a few
    hundred bytes needs; a 1 KiB window compresses it as well in a fraction of the time. The result is still
    zlib with the same ``.`` marker, which itsdangerous' own ``load_payload`` reads.
    """

    def dump_payload(self, obj: Any) -> bytes:
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON, before the mixin's compression
        packer = zlib.compressobj(level=6, wbits=10, memLevel=4)  # a 1 KiB window, small tables
        compressed = packer.compress(json) + packer.flush()
        if len(compressed) < len(json) - 1:
            return b"." + base64_encode(compressed)
        return base64_encode(json)


class CookieCodec:
    """Signs and verifies the consent cookies of one app.

    ``secret_keys`` lists the keys to accept, oldest first (Flask's ``SECRET_KEY_FALLBACKS`` then
    ``SECRET_KEY``); itsdangerous signs with the last, so a cookie signed with an old key is re-signed on the
    next change. Verified payloads are cached per raw cookie value (the codec's one cache, bounded by
    ``cache_size``): the signature binds the content, so a value decodes the same every time; its age is
    checked against the clock on every read.
    """

    def __init__(self, secret_keys: Iterable[str | bytes], *, salt: str = SALT, cache_size: int = 4096):
        # hashlib's own sha1 (itsdangerous' default is a wrapper of it) lets hmac take OpenSSL's fast path; the
        # signatures are the same.
        self.serializer = CookieSerializer(
            list(secret_keys), salt=salt, signer_kwargs={"digest_method": hashlib.sha1}  # type: ignore[arg-type]
        )
        self._verified = lru_cache(maxsize=cache_size)(self._verify)

    def dumps(self, state: ConsentState) -> str:
        """The cookie value for ``state``."""
        return str(self.serializer.dumps(payload_of(state)))

    def _verify(self, raw: str) -> Payload | None:
        try:
            data, signed = self.serializer.loads(raw, return_timestamp=True)
        except BadData:
            log.debug("consent cookie rejected: bad signature or encoding")
            return None
        except Exception:  # noqa: BLE001 - a hostile cookie (a zip bomb, deep JSON) must never become a 500
            log.debug("consent cookie rejected: undecodable", exc_info=True)
            return None
        return parse_payload(data, int(signed.timestamp()))

    def loads(self, raw: str | None, *, now: datetime, max_age: timedelta) -> Payload | None:
        """Verify ``raw``; None when it cannot be trusted. Cookies older than twice ``max_age`` are dropped."""
        if not raw or len(raw) > MAX_COOKIE_BYTES:
            return None
        payload = self._verified(raw)
        if payload is None:
            return None
        age = now - payload.signed_at
        if age < _CLOCK_SKEW or age > 2 * max_age:
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
    """The request's :class:`ConsentState`; purposes the cookie names but the app does not are ignored."""
    if payload is None:
        return ConsentState(registry=registry, policy_version=policy_version, max_age=max_age, now=now, gpc=gpc)
    decisions = payload.decisions
    if not registry.optional_keys.issuperset(decisions):
        decisions = {k: d for k, d in decisions.items() if k in registry.optional_keys}
    return ConsentState(
        registry=registry,
        policy_version=policy_version,
        max_age=max_age,
        now=now,
        decisions=decisions,
        decided_policy=payload.policy,
        decided_at=payload.decided_at,
        changed_at=payload.signed_at,
        consent_id=payload.consent_id,
        subject_id=payload.subject_id,
        record_id=payload.record_id,
        method=payload.method or None,
        gpc=gpc,
    )
