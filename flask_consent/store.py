"""The consent log: append-only records of every decision, in SQLite (default), PostgreSQL or MySQL/MariaDB."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from .exc import ConfigurationError
from .state import new_id

#: How a decision was given.
METHODS: tuple[str, ...] = (
    "banner_accept_all",
    "banner_reject_all",
    "banner_custom",
    "preferences",
    "prompt",
    "gpc",
    "login_merge",
    "api",
)


@dataclass(frozen=True)
class ConsentRecord:
    """One row of the consent log: the full decision state after one change, and how it was given.

    ``granted`` and ``denied`` map purpose keys to the purpose version decided on; the necessary purposes
    are listed as granted. Records are never updated: a change is a new record pointing at the previous one.
    """

    subject_id: str
    consent_id: str
    policy_version: str
    banner_hash: str
    granted: Mapping[str, int]
    denied: Mapping[str, int]
    method: str
    id: str = field(default_factory=lambda: new_id(16))
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    user_id: str | None = None
    previous_id: str | None = None
    locale: str = "en"
    gpc: bool = False
    ip_hash: str | None = None
    ua_family: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record (times as ISO 8601 UTC). Field by field, not ``asdict``: its deep
        copies would make an export of a million records several times slower."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["created_at"] = _utc(self.created_at).isoformat().replace("+00:00", "Z")
        data["granted"] = dict(self.granted)
        data["denied"] = dict(self.denied)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsentRecord:
        values = dict(data)
        created = values.get("created_at")
        if isinstance(created, str):
            values["created_at"] = datetime.fromisoformat(created.replace("Z", "+00:00"))
        return cls(**values)


def _utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time. A naive time is taken as UTC: the log writes UTC, and SQLite and
    MySQL/MariaDB (``DATETIME``) give it back without a zone."""
    if value.tzinfo is timezone.utc:
        return value
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


#: The consent log's schema (the ``consent_records`` table and its indexes): the public handle for
#: migrations. List it next to the app's own metadata in Alembic's ``env.py``:
#: ``target_metadata = [db.metadata, consent_metadata]`` with
#: ``from flask_consent.store import metadata as consent_metadata``.
metadata = sa.MetaData()

#: MySQL and MariaDB dialect names (SQLAlchemy calls MariaDB ``mysql`` or ``mariadb`` after the URL).
MYSQL_DIALECTS = ("mysql", "mariadb")
#: MySQL's ``DATETIME`` keeps whole seconds unless asked: microseconds keep the order of quick decisions.
_TIME = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), *MYSQL_DIALECTS)
#: MySQL "duplicate entry" (ER_DUP_ENTRY): the one IntegrityError that an idempotent replay expects.
_MYSQL_DUP_ENTRY = 1062

records = sa.Table(
    "consent_records",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("consent_id", sa.String(64), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=True),
    sa.Column("created_at", _TIME, nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("banner_hash", sa.String(64), nullable=False),
    sa.Column("granted", sa.Text, nullable=False),
    sa.Column("denied", sa.Text, nullable=False),
    sa.Column("method", sa.String(24), nullable=False),
    sa.Column("previous_id", sa.String(32), nullable=True),
    sa.Column("locale", sa.String(16), nullable=False),
    sa.Column("gpc", sa.Boolean, nullable=False),
    sa.Column("ip_hash", sa.String(64), nullable=True),
    sa.Column("ua_family", sa.String(32), nullable=True),
    sa.Index("ix_consent_records_subject_time", "subject_id", "created_at"),
    sa.Index("ix_consent_records_user_time", "user_id", "created_at"),
    sa.Index("ix_consent_records_time", "created_at"),
    # MySQL/MariaDB: ids and keys compare exactly (case and accents matter), as on SQLite and PostgreSQL.
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)


_COMPACT_SORTED = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_COLUMNS = tuple(c.name for c in records.columns)


def _map_json(versions: Mapping[str, int]) -> str:
    """A granted/denied map as the log stores it: compact JSON with sorted keys."""
    return _COMPACT_SORTED.encode(dict(versions))


def _to_row(record: ConsentRecord) -> dict[str, Any]:
    """The log's row for ``record``: one value per column."""
    row = {name: getattr(record, name) for name in _COLUMNS}
    row.update(created_at=_utc(record.created_at), granted=_map_json(record.granted), denied=_map_json(record.denied))
    return row


def _from_row(row: Mapping[str, Any] | sa.RowMapping) -> ConsentRecord:
    values = dict(row)
    values["granted"] = json.loads(values["granted"])
    values["denied"] = json.loads(values["denied"])
    values["created_at"] = _utc(values["created_at"])
    return ConsentRecord(**values)


class ConsentStore(Protocol):
    """What the extension needs of a consent log. Implement it to keep records elsewhere."""

    def append(self, record: ConsentRecord) -> None: ...

    def history(
        self, subject_id: str | None, user_id: str | None = None, limit: int = 100
    ) -> list[ConsentRecord]: ...

    def latest_for_user(self, user_id: str) -> ConsentRecord | None: ...

    def get(self, record_id: str) -> ConsentRecord | None: ...


def check_database_url(url: str) -> None:
    """Fail at start-up, with the fix, on a URL SQLAlchemy cannot read or whose database driver is missing
    (the engine itself is made on first use, which would be a visitor's request)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigurationError(
            "CONSENT_DATABASE_URL is not a database URL SQLAlchemy can read; use e.g. sqlite:////path/consent.db "
            "or postgresql+psycopg://user:password@host/database."
        ) from None
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        folder = Path(database).absolute().parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"CONSENT_DATABASE_URL puts the SQLite log in {folder}, a folder that does not exist: create it "
                "(SQLite creates the file, not its folder) or fix the path (sqlite:////absolute/path/consent.db)."
            )
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigurationError(
            f"CONSENT_DATABASE_URL names the database driver {parsed.drivername!r}, which cannot be loaded ({exc}): "
            "install it (e.g. pip install psycopg for postgresql+psycopg, pymysql for mysql+pymysql) or name an "
            "installed one in the URL."
        ) from None


class SQLStore:
    """A :class:`ConsentStore` on SQLAlchemy Core. The engine is created on first use, never on page views.

    ``SQLStore(url)`` makes and owns its engine (on SQLite with WAL and a busy timeout). ``SQLStore(engine=...)``
    uses an engine the app already has, e.g. Flask-SQLAlchemy's ``db.engine``, as it is: no connection settings
    of ours are added to it, and it is never disposed by the store. The table is ``records`` in
    ``flask_consent.store.metadata``, the schema to give Alembic (see :doc:`deployment`).
    """

    def __init__(
        self, url: str | None = None, *, engine: Engine | None = None, create_tables: bool = True,
        **engine_options: Any,
    ):
        if (url is None) == (engine is None):
            raise TypeError("SQLStore needs a database URL or an engine=, not both")
        if engine is not None and engine_options:
            raise TypeError(f"engine options {sorted(engine_options)} apply to a URL, not to a given engine")
        #: The database URL (of the given engine, with its password, when ``engine=`` was given).
        self.url: str = engine.url.render_as_string(hide_password=False) if engine is not None else str(url)
        if engine is None:
            check_database_url(self.url)
        #: Create the table (``init_db``) the first time the engine is used, when it is missing.
        self.create_tables = create_tables
        self._engine_options = engine_options
        self._given_engine = engine
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine: the given one, or made on first use (with the table, when ``create_tables``)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = self._given_engine if self._given_engine is not None else self._make_engine()
                    if self.create_tables:
                        metadata.create_all(engine)
                    self._engine = engine
        return self._engine

    def _make_engine(self) -> Engine:
        url = sa.engine.make_url(self.url)
        options = dict(self._engine_options)
        if url.get_backend_name() == "sqlite":
            options.setdefault("connect_args", {"timeout": 15})
            engine = sa.create_engine(url, **options)

            @sa.event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                if url.database not in (None, "", ":memory:"):
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            return engine
        options.setdefault("pool_pre_ping", True)
        engine = sa.create_engine(url, **options)
        if engine.dialect.name in MYSQL_DIALECTS:

            @sa.event.listens_for(engine, "connect")
            def _mysql_session(dbapi_conn: Any, _record: Any) -> None:
                # Strict mode: a value too long or a NULL in a NOT NULL column is an error (the spool
                # dead-letters it), never silently truncated evidence. UTC: DATETIME keeps no zone.
                cursor = dbapi_conn.cursor()
                cursor.execute("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'STRICT_ALL_TABLES')")
                cursor.execute("SET SESSION time_zone = '+00:00'")
                cursor.close()

        return engine

    def close(self) -> None:
        """Dispose of the engine this store made (an engine given to it is the app's, and stays)."""
        if self._engine is not None and self._given_engine is None:
            self._engine.dispose()

    def init_db(self) -> None:
        """Create the table and indexes if they do not exist."""
        metadata.create_all(self.engine)

    def drop_all(self) -> None:
        metadata.drop_all(self.engine)

    def append(self, record: ConsentRecord) -> None:
        """One INSERT in one transaction (``engine.begin()`` commits it, or rolls it back on any failure)."""
        with self.engine.begin() as conn:
            conn.execute(records.insert(), _to_row(record))

    def append_idempotent(self, batch: list[ConsentRecord]) -> int:
        """Insert records whose id is not in the log yet; return how many were new.

        ``INSERT ... ON CONFLICT (id) DO NOTHING`` on SQLite and PostgreSQL, so replaying the outage spool twice,
        or from two processes at once, never duplicates a record. MySQL/MariaDB: see ``_append_new_mysql``.
        A record the database refuses (``DataError``, ``IntegrityError``) raises, never vanishes.
        """
        rows = [_to_row(r) for r in batch]
        if not rows:
            return 0
        dialect = self.engine.dialect.name
        with self.engine.begin() as conn:
            if dialect in ("postgresql", "sqlite"):
                if dialect == "postgresql":
                    from sqlalchemy.dialects.postgresql import insert as pg_insert

                    stmt: Any = pg_insert(records)
                else:
                    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                    stmt = sqlite_insert(records)
                stmt = stmt.on_conflict_do_nothing(index_elements=[records.c.id]).returning(records.c.id)
                return len(conn.execute(stmt, rows).all())
            if dialect in MYSQL_DIALECTS:
                return _append_new_mysql(conn, rows)
            inserted = 0
            for row in rows:  # other databases: check first (not race-free; they lack a portable upsert)
                if conn.execute(sa.select(records.c.id).where(records.c.id == row["id"])).first() is None:
                    conn.execute(records.insert(), row)
                    inserted += 1
            return inserted

    def history(
        self, subject_id: str | None, user_id: str | None = None, limit: int = 100
    ) -> list[ConsentRecord]:
        """Records of a subject (and of a member, when ``user_id`` is given), newest first."""
        conditions = []
        if subject_id:
            conditions.append(records.c.subject_id == subject_id)
        if user_id:
            conditions.append(records.c.user_id == user_id)
        if not conditions:
            return []
        where = sa.or_(*conditions)
        query = sa.select(records).where(where).order_by(records.c.created_at.desc(), records.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]

    def latest_for_user(self, user_id: str) -> ConsentRecord | None:
        query = (
            sa.select(records)
            .where(records.c.user_id == user_id)
            .order_by(records.c.created_at.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _from_row(row) if row else None

    def get(self, record_id: str) -> ConsentRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(records).where(records.c.id == record_id)).mappings().first()
        return _from_row(row) if row else None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())

    def iter_records(
        self, since: datetime | None = None, until: datetime | None = None, subject_id: str | None = None,
        batch: int = 1000,
    ) -> Iterator[ConsentRecord]:
        """Every matching record, oldest first, fetched in keyset-paginated batches (bounded memory)."""
        last: tuple[datetime, str] | None = None
        while True:
            query = sa.select(records).order_by(records.c.created_at, records.c.id).limit(batch)
            if since is not None:
                query = query.where(records.c.created_at >= _utc(since))
            if until is not None:
                query = query.where(records.c.created_at < _utc(until))
            if subject_id is not None:
                query = query.where(records.c.subject_id == subject_id)
            if last is not None:
                # The plain >= bound lets PostgreSQL range-scan the time index; with only the OR it reads
                # the index from the start on every batch (quadratic over a large log).
                query = query.where(
                    records.c.created_at >= last[0],
                    sa.or_(
                        records.c.created_at > last[0],
                        sa.and_(records.c.created_at == last[0], records.c.id > last[1]),
                    )
                )
            with self.engine.connect() as conn:
                rows = [_from_row(r) for r in conn.execute(query).mappings()]
            yield from rows
            if len(rows) < batch:
                return
            last = (rows[-1].created_at, rows[-1].id)

    def purge(
        self, before: datetime, batch_size: int = 1000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Delete the records created before ``before`` (retention), oldest first, ``batch_size`` at a time.

        Each batch is its own short transaction, so consent writes are never blocked for long. ``progress``
        is called with the number deleted after each batch. Returns the total deleted.
        """
        oldest: Any = (
            sa.select(records.c.id)
            .where(records.c.created_at < _utc(before))
            .order_by(records.c.created_at)
            .limit(batch_size)
        )
        if self.engine.dialect.name in MYSQL_DIALECTS:
            # MySQL refuses LIMIT in an IN subquery, and a subquery on the table it deletes from: a derived
            # table is materialised first, which it accepts.
            oldest = sa.select(oldest.subquery("oldest").c.id)
        total = 0
        while True:
            with self.engine.begin() as conn:
                result = conn.execute(records.delete().where(records.c.id.in_(oldest.scalar_subquery())))
            deleted = int(result.rowcount or 0)
            if not deleted:
                return total
            total += deleted
            if progress is not None:
                progress(deleted)

    def unlink_user(self, user_id: str) -> int:
        """Remove a member's identity from their records (account deletion); the proof of consent stays."""
        with self.engine.begin() as conn:
            result = conn.execute(records.update().where(records.c.user_id == user_id).values(user_id=None))
        return int(result.rowcount or 0)


def _append_new_mysql(conn: sa.Connection, rows: list[dict[str, Any]]) -> int:
    """MySQL/MariaDB's idempotent insert, counting exactly the rows it added.

    ``INSERT ... ON DUPLICATE KEY UPDATE`` cannot count them: SQLAlchemy connects with ``CLIENT_FOUND_ROWS``,
    so a duplicate reports one affected row, as an insert does; ``INSERT IGNORE`` would also swallow the
    data errors that the spool dead-letters. So: leave out the ids already in the log, insert the rest in
    one statement, and if another replay inserted one of them meanwhile (duplicate entry: InnoDB undoes
    that statement only), insert them one by one, skipping each duplicate. Any other error raises.
    """
    ids = [row["id"] for row in rows]
    present = set(conn.execute(sa.select(records.c.id).where(records.c.id.in_(ids))).scalars())
    fresh = [row for row in rows if row["id"] not in present]
    if not fresh:
        return 0
    try:
        conn.execute(records.insert(), fresh)
        return len(fresh)
    except sa.exc.IntegrityError as exc:
        if not _is_duplicate(exc):
            raise
    inserted = 0
    for row in fresh:
        try:
            conn.execute(records.insert(), row)
        except sa.exc.IntegrityError as exc:
            if not _is_duplicate(exc):
                raise
        else:
            inserted += 1
    return inserted


def _is_duplicate(exc: sa.exc.IntegrityError) -> bool:
    args: tuple[Any, ...] = getattr(exc.orig, "args", ())
    return bool(args) and args[0] == _MYSQL_DUP_ENTRY
