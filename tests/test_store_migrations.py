"""Issue 17, item 1: a Flask-SQLAlchemy shop keeps the consent log in its own database and lets
Alembic (Flask-Migrate) own the table.

The shop's models live in ``db.metadata``; the log's schema is ``flask_consent.store.metadata``. Autogenerate,
given both, creates the app's tables and ``consent_records`` with its three indexes; once that migration has
run there is nothing left to generate, and a choice lands in that table. With ``CONSENT_CREATE_TABLES =
False`` and no migration the extension creates nothing itself: the choice is spooled and ``flask consent
check`` says what to run. The snippets of docs/deployment.rst are executed here, so the docs and the tests
use the same names.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped, mapped_column

pytest.importorskip("alembic", reason="alembic is in the test extra: pip install -e '.[test]'")
flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy", reason="Flask-SQLAlchemy is in the test extra")

from alembic.autogenerate import compare_metadata, produce_migrations  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402
from alembic.operations import Operations  # noqa: E402
from conftest import choose  # noqa: E402

import flask_consent.store  # noqa: E402
from flask_consent import Consent, Purpose, SQLStore  # noqa: E402
from flask_consent.store import metadata as consent_metadata  # noqa: E402  (the name the docs use)

DEPLOYMENT = Path(__file__).resolve().parent.parent / "docs" / "deployment.rst"
SECTION = "Keeping the log in your app's database (Flask-SQLAlchemy, Flask-Migrate/Alembic)"
CONSENT_INDEXES = {"ix_consent_records_subject_time", "ix_consent_records_user_time", "ix_consent_records_time"}

db = flask_sqlalchemy.SQLAlchemy()


class Product(db.Model):  # type: ignore[name-defined,misc]
    """The shop's own model: its table is in ``db.metadata``, not in the consent log's metadata."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), index=True)


# --- the docs' snippets --------------------------------------------------------------------------------------

def _section() -> str:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    start = text.index(SECTION + "\n")
    end = re.search(r"\n[^\n]+\n-{3,}\n", text[start + len(SECTION) + 1:])
    return text[start:start + len(SECTION) + 1 + end.start()] if end else text[start:]


def _snippets(language: str) -> list[str]:
    """The ``.. code-block:: <language>`` blocks of the section, dedented."""
    blocks = re.findall(rf"\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)", _section())
    return ["\n".join(line[3:] for line in block.splitlines()).strip() + "\n" for block in blocks]


def _docs_config() -> dict[str, Any]:
    """The configuration the docs show, with the shop's URL as it is written there."""
    namespace: dict[str, Any] = {}
    exec(next(s for s in _snippets("python") if "CONSENT_CREATE_TABLES" in s), namespace)
    return {k: v for k, v in namespace.items() if k.isupper()}


def _flask_migrate_target_metadata() -> Any:
    """What the docs' Flask-Migrate ``get_metadata()`` returns, run with Flask-Migrate's ``target_db``."""
    namespace: dict[str, Any] = {"target_db": db}
    exec(next(s for s in _snippets("python") if "def get_metadata" in s), namespace)
    return namespace["get_metadata"]()


# --- the shop ------------------------------------------------------------------------------------------------

def make_shop(tmp_path: Path, **config: Any) -> Flask:
    """A Flask-SQLAlchemy shop configured as the docs say, on one SQLite file for its models and the log."""
    docs = _docs_config()
    assert docs["CONSENT_DATABASE_URL"] == docs["SQLALCHEMY_DATABASE_URI"]
    assert docs["CONSENT_CREATE_TABLES"] is False
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    app = Flask("migrating_shop", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                      SQLALCHEMY_DATABASE_URI=url)
    app.config.update(CONSENT_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                      CONSENT_CREATE_TABLES=docs["CONSENT_CREATE_TABLES"])
    app.config.update(config)
    db.init_app(app)
    Consent(app, purposes=[Purpose("analytics", "Analytics", "Counts visits.")])
    return app


def _diff(app: Flask, target: Any) -> list[Any]:
    with app.app_context(), db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), target))


def _upgrade(app: Flask, target: Any) -> None:
    """What ``flask db migrate`` then ``flask db upgrade`` do: generate the operations and run them."""
    def run(operations: Operations, ops: list[Any]) -> None:
        for op in ops:
            if hasattr(op, "ops"):  # a ModifyTableOps: the indexes of one table
                run(operations, op.ops)
            else:
                operations.invoke(op)

    with app.app_context(), db.engine.begin() as conn:
        context = MigrationContext.configure(conn)
        script = produce_migrations(context, target)
        assert script.upgrade_ops is not None
        run(Operations(context), script.upgrade_ops.ops)


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


# --- tests ---------------------------------------------------------------------------------------------------

def test_the_docs_give_alembic_the_apps_metadata_and_the_consent_logs() -> None:
    assert _flask_migrate_target_metadata() == [db.metadata, consent_metadata]
    assert consent_metadata is flask_consent.store.metadata
    assert set(consent_metadata.tables) == {"consent_records"}, "the log's metadata holds its table only"
    # plain Alembic: env.py imports the shop's db and sets target_metadata
    shop = types.ModuleType("myshop")
    shop.db = db  # type: ignore[attr-defined]
    saved = sys.modules.get("myshop")
    sys.modules["myshop"] = shop
    try:
        namespace: dict[str, Any] = {}
        exec(next(s for s in _snippets("python") if "target_metadata =" in s), namespace)
    finally:
        if saved is None:
            del sys.modules["myshop"]
        else:
            sys.modules["myshop"] = saved
    assert namespace["target_metadata"] == [db.metadata, consent_metadata]
    commands = "".join(_snippets("sh"))
    assert "flask db migrate" in commands and "flask db upgrade" in commands


def test_autogenerate_creates_the_log_with_the_apps_tables_and_then_has_nothing_left(tmp_path: Path) -> None:
    app = make_shop(tmp_path)
    target = _flask_migrate_target_metadata()
    diff = _diff(app, target)
    added_tables = {d[1].name for d in diff if d[0] == "add_table"}
    added_indexes = {d[1].name for d in diff if d[0] == "add_index"}
    assert added_tables == {"products", "consent_records"}, diff
    assert CONSENT_INDEXES <= added_indexes, diff
    assert {d[0] for d in diff} == {"add_table", "add_index"}, diff

    _upgrade(app, target)
    assert {"products", "consent_records"} <= _tables(app)
    with app.app_context():
        indexes = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("consent_records")}
    assert indexes == CONSENT_INDEXES
    assert _diff(app, target) == [], "after the migration autogenerate finds nothing to do"

    client = app.test_client()
    assert choose(client, "accept_all").status_code == 303
    ext = app.extensions["consent"]
    assert not ext.spool.pending()
    with app.app_context():
        db.session.add(Product(name="Kettle"))
        db.session.commit()
        rows = db.session.execute(sa.select(flask_consent.store.records)).mappings().all()
        assert db.session.execute(sa.select(sa.func.count()).select_from(Product)).scalar_one() == 1
    assert len(rows) == 1, "the choice is in the shop's database"
    assert '"analytics":1' in rows[0]["granted"]
    assert ext.store.count() == 1


def test_without_the_migration_the_extension_creates_no_table_and_says_what_to_run(tmp_path: Path) -> None:
    app = make_shop(tmp_path)
    with app.app_context():
        db.create_all()  # the shop's own tables: db.metadata only
    client = app.test_client()
    assert choose(client, "accept_all").status_code == 303, "a choice never fails the visitor"
    ext = app.extensions["consent"]
    assert ext.spool.pending(), "the choice waits in the spool"
    assert "consent_records" not in _tables(app), "CONSENT_CREATE_TABLES=False: the extension created nothing"

    runner = app.test_cli_runner()
    result = runner.invoke(args=["consent", "check"])
    assert result.exit_code == 1, result.output
    assert "consent log table does not exist" in result.output
    assert "init-db" in result.output and "migration" in result.output

    _upgrade(app, _flask_migrate_target_metadata())  # the migration, late
    result = runner.invoke(args=["consent", "flush"])
    assert result.exit_code == 0, result.output
    assert not ext.spool.pending() and ext.store.count() == 1, "the spooled choice is in the log now"


def test_autogenerate_without_the_consent_metadata_would_drop_the_log(tmp_path: Path) -> None:
    """Why the docs warn: the log's table in the app's database, unknown to target_metadata, is dropped."""
    app = make_shop(tmp_path)
    _upgrade(app, _flask_migrate_target_metadata())
    removed = {d[1].name for d in _diff(app, db.metadata) if d[0] == "remove_table"}
    assert removed == {"consent_records"}
    assert _diff(app, [db.metadata, consent_metadata]) == []


def test_a_store_on_flask_sqlalchemys_engine_uses_it_as_it_is(tmp_path: Path) -> None:
    app = Flask("engine_shop", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'shop.db'}")
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        pool = engine.pool
        store = SQLStore(engine=engine, create_tables=False)
        Consent(app, purposes=[Purpose("analytics", "Analytics", "Counts visits.")], store=store)
        db.create_all()
        _upgrade(app, [db.metadata, consent_metadata])
    assert store.engine is engine and store.url == str(engine.url)

    assert choose(app.test_client(), "accept_all").status_code == 303
    assert store.count() == 1 and not app.extensions["consent"].spool.pending()
    assert engine.pool is pool, "the given engine was not disposed (dispose() replaces the pool)"
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    assert mode == "delete", "the store added none of its own SQLite settings (WAL) to the app's engine"

    # a store with its own engine (the URL form) does set them up
    own = SQLStore(f"sqlite:///{tmp_path / 'own.db'}")
    with own.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    own.engine.dispose()


def test_a_store_takes_a_url_or_an_engine() -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(TypeError):
        SQLStore()
    with pytest.raises(TypeError):
        SQLStore("sqlite://", engine=engine)
    with pytest.raises(TypeError, match="pool_size"):
        SQLStore(engine=engine, pool_size=1)
    store = SQLStore(engine=engine)
    assert store.create_tables and "consent_records" in sa.inspect(store.engine).get_table_names()
