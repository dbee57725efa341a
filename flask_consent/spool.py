"""The outage spool: consent records that the store could not take, kept durably until it can.

A consent record is legal evidence, so a database outage must not lose one. When the store fails, the record is
appended as one JSON line to a file in the instance folder and fsync'ed before the visitor gets an answer. The
spool is replayed into the store as soon as a write succeeds again, and by ``flask consent flush``.

Replay is safe to run twice and from several processes at once: the spool file is moved aside under an
exclusive ``fcntl`` lock (appenders re-check they still hold the live file), and records are inserted with
``ON CONFLICT (id) DO NOTHING``, so a record replayed twice is stored once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import sqlalchemy as sa

from .store import ConsentRecord

log = logging.getLogger("flask_consent")

SPOOL_NAME = "consent-spool.jsonl"
#: Failures of the store that send a record to the spool instead of failing the visitor's request.
STORE_ERRORS: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, OSError)
#: Failures that replaying again cannot cure: the database refuses the record itself.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (sa.exc.DataError, sa.exc.IntegrityError)
DEAD_LETTER_NAME = "consent-spool.dead.jsonl"
_BATCH_SUFFIX = ".replaying"


class IdempotentStore(Protocol):
    """A store that can take records whose id it may already hold (see ``SQLStore.append_idempotent``)."""

    def append_idempotent(self, batch: list[ConsentRecord]) -> int: ...


class _Appending:
    """A store without ``append_idempotent`` (a custom :class:`ConsentStore`), replayed one ``append`` at a
    time: such a store must itself ignore a record whose id it already holds."""

    def __init__(self, store: Any):
        self.store = store

    def append_idempotent(self, batch: list[ConsentRecord]) -> int:
        for record in batch:
            self.store.append(record)
        return len(batch)


@contextmanager
def _locked(f: IO[Any]) -> Iterator[None]:
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class Spool:
    """An append-only, fsync'ed JSON-lines file of records waiting for the store.

    ``directory`` is usually the app's instance folder. Batches moved aside for replay are named
    ``consent-spool.jsonl.<uuid>.replaying``; a crash mid-replay leaves them for the next replay.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self.path = self.directory / SPOOL_NAME
        #: Records the database rejected for good (see ``replay``), one JSON line each with the error.
        self.dead_path = self.directory / DEAD_LETTER_NAME

    def append(self, record: ConsentRecord) -> None:
        """Write ``record`` durably (data and directory entry fsync'ed) before returning."""
        self._write_line(self.path, record.to_dict())

    def _write_line(self, path: Path, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n").encode()
        while True:
            created = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "r+b", buffering=0) as f, _locked(f):
                if not self._is_live(f, path):
                    continue  # a replay moved this file aside after we opened it: write to the new one
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # never glue a record onto a line a crash cut short
                os.write(fd, line)
                os.fsync(fd)
            if created:
                self._sync_directory()
            return

    def pending(self) -> bool:
        """True when records are waiting (in the spool, or in a batch an interrupted replay left)."""
        try:
            if self.path.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
        return bool(self._batches())

    def records(self) -> list[ConsentRecord]:
        """Every record waiting in the spool and in batches left by an interrupted replay (for inspection)."""
        out: list[ConsentRecord] = []
        for path in [self.path, *self._batches()]:
            out.extend(self._read(path))
        return out

    def find(self, record_id: str) -> ConsentRecord | None:
        """The waiting record with ``record_id``, or None."""
        return next((r for r in self.records() if r.id == record_id), None)

    def replay(self, store: IdempotentStore) -> int:
        """Move the spool aside and insert its records into ``store``; return how many were new there.

        A batch the database refuses for good (a ``DataError`` or ``IntegrityError``: a value too long for its
        column, say) is replayed record by record, and each record refused is moved to the dead-letter file
        (``flask consent check`` reports it), so one bad record never blocks the others. A batch file is
        deleted only after its records are committed or dead-lettered: a transient failure (the database
        still down) keeps them for the next attempt, and the exception propagates.
        """
        if not hasattr(store, "append_idempotent"):
            store = _Appending(store)
        self._move_aside()
        inserted = 0
        for batch in self._batches():
            records = self._read(batch)
            if records:
                try:
                    inserted += store.append_idempotent(records)
                except PERMANENT_ERRORS:
                    inserted += self._replay_one_by_one(store, records)
            try:
                batch.unlink()
            except FileNotFoundError:
                pass  # another process replayed the same batch; the ids made that harmless
        if inserted:
            log.info("flask_consent: replayed %d spooled consent record(s) into the store", inserted)
        return inserted

    def _replay_one_by_one(self, store: IdempotentStore, records: list[ConsentRecord]) -> int:
        inserted = 0
        dead = {d.get("record", {}).get("id") for d in self.dead_letters()}
        for record in records:
            if record.id in dead:  # a retry of a batch a transient failure kept: dead-lettered already
                continue
            try:
                inserted += store.append_idempotent([record])
            except PERMANENT_ERRORS as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                log.error("flask_consent: consent record %s rejected by the database (%s); dead-lettered in %s",
                          record.id, reason, self.dead_path)
                self._write_line(self.dead_path, {"error": reason, "record": record.to_dict()})
        return inserted

    def dead_letters(self) -> list[dict[str, Any]]:
        """The records the database rejected for good, each ``{"error": ..., "record": {...}}``."""
        try:
            lines = self.dead_path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    # --- internals -----------------------------------------------------------------------------------------

    def _is_live(self, f: IO[Any], path: Path | None = None) -> bool:
        try:
            return os.fstat(f.fileno()).st_ino == (path or self.path).stat().st_ino
        except FileNotFoundError:
            return False

    def _move_aside(self) -> None:
        try:
            f = open(self.path, "ab")  # noqa: SIM115 - closed below, after the lock is released
        except FileNotFoundError:
            return
        with f:
            with _locked(f):
                if not self._is_live(f) or os.fstat(f.fileno()).st_size == 0:
                    return
                os.rename(self.path, self.path.with_name(f"{SPOOL_NAME}.{uuid.uuid4().hex}{_BATCH_SUFFIX}"))
        self._sync_directory()

    def _batches(self) -> list[Path]:
        """Batches an interrupted replay left (``consent-spool.jsonl.<id>.replaying``), oldest name first.

        Checked after every write, so it is one listing of the folder without ``glob``'s pattern machinery.
        """
        try:
            with os.scandir(self.directory) as entries:
                names = [e.name for e in entries
                         if e.name.startswith(SPOOL_NAME + ".") and e.name.endswith(_BATCH_SUFFIX)]
        except FileNotFoundError:
            return []
        return [self.directory / name for name in sorted(names)]

    def _read(self, path: Path) -> list[ConsentRecord]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
        for number, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(ConsentRecord.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                # Only a write cut short by a crash can leave a partial line; it never got an answer.
                log.error("flask_consent: unreadable line %d in %s skipped", number, path)
        return out

    def _sync_directory(self) -> None:
        try:
            fd = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EBADF):
                raise
        finally:
            os.close(fd)
