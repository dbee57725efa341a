"""Writing a visitor's change of consent to the log: one append-only record, or the spool when the log is down.

:class:`Recorder` knows the store, the spool and the IP hasher and nothing of Flask's request: the caller
hands it the facts of the request (:class:`RequestFacts`), so it can be read and tested on its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from .exc import ConfigurationError
from .i18n import strings
from .purposes import PurposeRegistry
from .records import banner_text_hash, ip_hash, make_record, ua_family
from .settings import MIN_IP_HASH_KEY_BYTES
from .spool import STORE_ERRORS, Spool
from .state import ConsentState, new_id
from .store import ConsentRecord, ConsentStore

log = logging.getLogger("flask_consent")

IP_HASH_KEY_NAME = "consent-ip-hash.key"
#: The log's ``user_id`` column holds this many characters; a longer id is stored as its hash.
MAX_USER_ID = 128
_HASHED = "sha256:"


@dataclass(frozen=True)
class RequestFacts:
    """What a record needs to know about the request that made the change."""

    locale: str
    #: The signed-in member's id as the app gives it (``get_id()``); the record holds ``checked_user_id`` of it.
    user_id: str | None
    remote_addr: str | None
    user_agent: str | None


class IpHasher:
    """The keyed hash of IP addresses in records, with ``CONSENT_IP_HASH_KEY`` or a key kept in the
    instance folder.

    Several workers may make their first record at the same moment: the kept key is written to a temporary
    file and linked into place, which fails for all but one; the others read the winner's key. A key file
    shorter than 32 bytes is refused (the hashes would be reversible by enumerating addresses).
    """

    def __init__(self, key: bytes | None, instance_path: str):
        self._key = key
        self.path = Path(instance_path) / IP_HASH_KEY_NAME
        self._lock = threading.Lock()

    def key(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load_or_create()
        return self._key

    def _load_or_create(self) -> bytes:
        try:
            return self._checked(self.path.read_bytes().strip())
        except FileNotFoundError:
            pass
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{IP_HASH_KEY_NAME}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, self.path)  # atomic: the key appears whole, and only the first worker's does
        except FileExistsError:
            pass  # another worker won: use its key
        finally:
            tmp.unlink()
        return self._checked(self.path.read_bytes().strip())

    def _checked(self, key: bytes) -> bytes:
        if len(key) < MIN_IP_HASH_KEY_BYTES:
            raise ConfigurationError(
                f"The IP-hash key in {self.path} is {len(key)} bytes, shorter than {MIN_IP_HASH_KEY_BYTES}: "
                "delete the file (a new key is made) or set CONSENT_IP_HASH_KEY to a long random value."
            )
        return key

    def __call__(self, ip: str | None) -> str | None:
        return ip_hash(ip, self.key())


def checked_user_id(user_id: str | None) -> str | None:
    """``user_id`` as the log stores it: as it is when it fits the column, else ``sha256:<hex>``.

    An id that itself starts with ``sha256:`` is hashed too, so no member's id can equal the stored form of
    another's long one.
    """
    if user_id is None or (len(user_id) <= MAX_USER_ID and not user_id.startswith(_HASHED)):
        return user_id
    return _HASHED + hashlib.sha256(user_id.encode("utf-8", "replace")).hexdigest()


class Recorder:
    """Appends one record per change of consent, to the store or, when it fails, to the spool."""

    def __init__(
        self, store: ConsentStore, spool: Spool, ip_hasher: IpHasher, registry: PurposeRegistry, policy_version: str
    ):
        self.store = store
        self.spool = spool
        self.ip_hasher = ip_hasher
        self.registry = registry
        self.policy_version = policy_version
        self._replaying = threading.Lock()
        self._banner_hashes: dict[str, str] = {}

    def banner_hash(self, locale: str) -> str:
        """The hash of what the banner says in ``locale`` (C15).

        Worked out once per locale: a locale's texts never change while the process runs (the catalogs are
        loaded once, see ``i18n``), and the locales are the few the app speaks.
        """
        found = self._banner_hashes.get(locale)
        if found is None:
            found = self._banner_hashes[locale] = banner_text_hash(
                self.registry, strings(locale), locale, self.policy_version
            )
        return found

    def commit(
        self, before: ConsentState, after: ConsentState, *, method: str, facts: RequestFacts
    ) -> ConsentRecord | None:
        """Record the change from ``before`` to ``after``; None (nothing written) when nothing changed.

        ``after`` must carry its ``record_id``.
        """
        if before.same_decisions(after):
            return None
        record = make_record(
            after,
            record_id=after.record_id or new_id(16),
            previous_id=before.record_id,
            method=method,
            banner_hash=self.banner_hash(facts.locale),
            locale=facts.locale,
            user_id=checked_user_id(facts.user_id),
            ip_hash_value=self.ip_hasher(facts.remote_addr),
            ua=ua_family(facts.user_agent),
            now=after.now,
        )
        self.append(record)
        return record

    def append(self, record: ConsentRecord) -> None:
        """Write ``record`` to the store, or to the spool when the store fails: the choice still applies."""
        try:
            self.store.append(record)
        except STORE_ERRORS as exc:
            log.warning("flask_consent: consent store unavailable (%s); record %s spooled", exc, record.id)
            self.spool.append(record)
            return
        if self.spool.pending():
            self.flush(wait=False)

    def flush(self, wait: bool = True) -> int:
        """Replay spooled records into the store; return how many were new. ``flask consent flush`` calls it.

        With ``wait=False`` (after a successful write) it returns 0 at once when another thread is already
        replaying, and a store that fails again only logs: the records stay spooled for the next attempt.
        """
        if not self._replaying.acquire(blocking=wait):
            return 0
        try:
            return self.spool.replay(self.store)  # type: ignore[arg-type]
        except STORE_ERRORS as exc:
            if wait:
                raise
            log.warning("flask_consent: spool replay failed (%s); will retry after the next write", exc)
            return 0
        finally:
            self._replaying.release()
