"""The consent log: append-only records of every decision, in SQLite (default) or PostgreSQL."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

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
        """A JSON-ready dict of the record (times as ISO 8601 UTC)."""
        data = asdict(self)
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
    if value.tzinfo is timezone.utc:
        return value
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = sa.MetaData()

records = sa.Table(
    "consent_records",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("consent_id", sa.String(64), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
)


def map_json(versions: Mapping[str, int]) -> str:
    """A granted/denied map as compact JSON with sorted keys: what ``json.dumps(versions, sort_keys=True,
    separators=(",", ":"))`` writes, put together directly (purpose keys and versions need no escaping
    beyond what ``encode_basestring_ascii`` does)."""
    key = tuple(versions.items())
    text = _MAP_JSON.get(key)  # a shop's records hold a handful of distinct maps
    if text is None:
        quote = encode_basestring_ascii
        text = "{" + ",".join([f"{quote(k)}:{int(v)}" for k, v in sorted(versions.items())]) + "}"
        if len(_MAP_JSON) >= 256:
            _MAP_JSON.clear()
        _MAP_JSON[key] = text
    return text


#: ``map_json``'s text per map (its items, in the map's order), at most 256 kept.
_MAP_JSON: dict[tuple[tuple[str, int], ...], str] = {}


#: What a record's fields go through on their way into a row (the others go in as they are).
_TO_ROW: dict[str, Callable[[Any], Any]] = {"created_at": _utc, "granted": map_json, "denied": map_json}


def _to_row(record: ConsentRecord) -> dict[str, Any]:
    """The log's row for ``record``: one value per column, converted as ``_TO_ROW`` says."""
    row = {c.name: getattr(record, c.name) for c in records.columns}
    for name, convert in _TO_ROW.items():
        row[name] = convert(row[name])
    return row


def _from_row(row: Mapping[str, Any] | sa.RowMapping) -> ConsentRecord:
    values = dict(row)
    values["granted"] = json.loads(values["granted"])
    values["denied"] = json.loads(values["denied"])
    values["created_at"] = _utc(values["created_at"])
    return ConsentRecord(**values)


class _PreparedInsert:
    """``INSERT INTO consent_records`` compiled once for a dialect, with its parameters' type processing.

    ``conn.execute(records.insert(), row)`` builds the statement, works out its cache key and looks the
    compiled form up on every call; this does that once. A record's fields go through what ``_to_row`` does
    to them and then the same bind processors the Core path applies (SQLite's datetime-to-text, for one),
    straight into the statement's parameters, so what is stored is the same, and the statement still runs
    through the engine (events, pool, transaction) as one execute.
    """

    def __init__(self, dialect: Any):
        compiled = records.insert().compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self._names = list(compiled.positiontup or ()) if self.positional else [c.name for c in records.columns]
        #: The record's fields in the statement's order, fetched in one C call.
        self._get = operator.itemgetter(*self._names)
        #: (position, conversion) for the few fields that need one; the others go in as they are.
        self._conversions = [
            (i, conv) for i, name in enumerate(self._names)
            if (conv := _converter(_TO_ROW.get(name), records.c[name].type.dialect_impl(dialect)
                                   .bind_processor(dialect))) is not None
        ]

    def params(self, record: ConsentRecord) -> Any:
        """The statement's parameters for ``record``: those of ``_to_row(record)``, without the dict."""
        values = list(self._get(record.__dict__))
        for i, conv in self._conversions:
            values[i] = conv(values[i])
        return tuple(values) if self.positional else dict(zip(self._names, values, strict=True))


def _converter(
    to_row: Callable[[Any], Any] | None, bind: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """One function for a field: ``_to_row``'s conversion, then the dialect's bind processor (either may be None)."""
    if to_row is None or bind is None:
        return to_row or bind
    return lambda value: bind(to_row(value))


class ConsentStore(Protocol):
    """What the extension needs of a consent log. Implement it to keep records elsewhere."""

    def append(self, record: ConsentRecord) -> None: ...

    def history(
        self, subject_id: str | None, user_id: str | None = None, limit: int = 100
    ) -> list[ConsentRecord]: ...

    def latest_for_user(self, user_id: str) -> ConsentRecord | None: ...

    def get(self, record_id: str) -> ConsentRecord | None: ...


class SQLStore:
    """A :class:`ConsentStore` on SQLAlchemy Core. The engine is created on first use, never on page views."""

    def __init__(self, url: str, **engine_options: Any):
        self.url = url
        self._engine_options = engine_options
        self._engine: Engine | None = None
        self._insert: _PreparedInsert | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine()
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
        return sa.create_engine(url, **options)

    def init_db(self) -> None:
        """Create the table and indexes if they do not exist."""
        metadata.create_all(self.engine)

    def drop_all(self) -> None:
        metadata.drop_all(self.engine)

    def append(self, record: ConsentRecord) -> None:
        """One INSERT in one transaction, of a statement compiled once for this engine's dialect."""
        engine = self.engine
        if self._insert is None:
            self._insert = _PreparedInsert(engine.dialect)
        params = self._insert.params(record)
        # What ``engine.begin()`` does, without its generator-based context manager and transaction block: the
        # connection begins its transaction itself. A failed INSERT or COMMIT is rolled back here, explicitly:
        # after a failed commit, closing the connection alone would hand it back to the pool still inside the
        # transaction (the record would be committed by the next write, or PostgreSQL's connection unusable).
        with engine.connect() as conn:
            try:
                conn.exec_driver_sql(self._insert.sql, params)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def append_idempotent(self, batch: list[ConsentRecord]) -> int:
        """Insert records whose id is not in the log yet; return how many were new.

        ``INSERT ... ON CONFLICT (id) DO NOTHING`` on SQLite and PostgreSQL, so replaying the outage spool twice,
        or from two processes at once, never duplicates a record.
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
        oldest = (
            sa.select(records.c.id)
            .where(records.c.created_at < _utc(before))
            .order_by(records.c.created_at)
            .limit(batch_size)
        )
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
