"""``flask consent ...``: operate the consent log from the command line.

Exit codes that scripts can rely on:

* ``0`` done (``check``: no problems found; it may still print ``warning:`` lines, advice that does not
  stop a deploy, such as SQLite outside debug);
* ``1`` ``check`` found problems (``problem:`` lines: a missing or weak SECRET_KEY, a consent log that cannot
  be reached, ...), or ``flush`` could not replay the spool yet (the records stay spooled);
* ``2`` usage error: unknown option or format, a bad date, an output file that cannot be written;
* ``3`` the consent log could not be read or written (database unreachable, table missing).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from itertools import chain, islice
from typing import IO, Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from jinja2 import TemplateNotFound

from . import stats as stats_module
from .components import Components, components
from .exc import ConfigurationError
from .settings import weak_secret_key
from .store import ConsentRecord, SQLStore

EXIT_PROBLEMS = 1
EXIT_STORE = 3

_EXIT_CODES_HELP = (
    "Exit codes: 0 done, 1 problems found (check) or records still spooled (flush), 2 usage error, "
    "3 consent log unavailable."
)

_CHECK_HELP = (
    f"{_EXIT_CODES_HELP} check prints each problem as a 'problem:' line and each warning as a 'warning:' line; "
    "warnings alone exit 0."
)

consent_cli = AppGroup("consent", help=f"Manage the consent log of flask_consent.\n\n{_EXIT_CODES_HELP}")

CSV_FIELDS = (
    "id", "created_at", "subject_id", "consent_id", "user_id", "method", "policy_version", "banner_hash",
    "granted", "denied", "gpc", "locale", "previous_id", "ip_hash", "ua_family",
)


def _ext() -> Components:
    return components()


class StoreUnavailable(click.ClickException):
    """The consent log could not be reached; exit code 3."""

    exit_code = EXIT_STORE


def _sql_store() -> SQLStore:
    store = _ext().store
    if not isinstance(store, SQLStore):
        raise click.UsageError("This command needs the SQL consent log (a custom ConsentStore is configured).")
    return store


@contextmanager
def _store_errors() -> Iterator[None]:
    """Turn database failures into a one-line message and exit code 3 instead of a traceback."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreUnavailable(
            f"The consent log is unavailable: {reason}. Check CONSENT_DATABASE_URL and run 'flask consent init-db'."
        ) from exc


@contextmanager
def _output_errors(output: IO[str]) -> Iterator[None]:
    """Report an output that fails mid-way (disk full, closed pipe) as a usage error, exit code 2."""
    try:
        yield
        output.flush()
    except BrokenPipeError:
        # The reader went away (``flask consent export | head``): stop quietly, as Unix tools do. Python
        # would otherwise complain again when it flushes stdout at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), output.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        raise SystemExit(0) from None
    except OSError as exc:
        name = getattr(output, "name", "the output")
        raise click.UsageError(f"Could not write the export to {name}: {exc.strerror or exc}.") from exc


class UTCDate(click.ParamType):  # type: ignore[type-arg]
    """A date (``2026-11-01``) or an ISO 8601 time; without a zone it is taken as UTC."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD or an ISO 8601 time like 2026-11-01T08:00Z.",
                      param, ctx)
        except OverflowError:  # a time zone that moves the time past year 9999 or before year 1
            self.fail(f"{value!r} is out of range: use a date between years 1 and 9999 in UTC.", param, ctx)


DATE = UTCDate()


def _window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise click.BadParameter("--since must be earlier than --until.", param_hint="'--since'/'--until'")


def _show_progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


_progress_option = click.option(
    "--progress/--no-progress", default=None,
    help="Show a progress bar on stderr (default: only when stderr is a terminal).",
)


@consent_cli.command("init-db", epilog=_EXIT_CODES_HELP)
def init_db() -> None:
    """Create the consent log table and its indexes."""
    store = _ext().store
    init = getattr(store, "init_db", None)
    if init is None:
        raise click.ClickException("This consent store has no init_db(); create its storage yourself.")
    with _store_errors():
        init()
    click.echo("Consent log ready.")


@consent_cli.command("audit", epilog=_EXIT_CODES_HELP)
def audit() -> None:
    """List cookies the app set that no purpose declares."""
    names = _ext().undeclared_cookies()
    if not names:
        click.echo("No undeclared cookies seen.")
        return
    for name in names:
        click.echo(name)


@consent_cli.command("check", epilog=_CHECK_HELP)
def check() -> None:
    """Lint the consent configuration; exit 1 when a problem is found, 0 when only warnings are.

    Problems: purposes without a description, required purposes without a justification, cookies the app set
    that no purpose declares, a missing or weak SECRET_KEY, records the database rejected for good, and a
    consent log that cannot be reached (or has no table while CONSENT_CREATE_TABLES is off).

    Warnings: SQLite outside debug/testing, Google Consent Mode helpers in templates while no purpose grants
    analytics_storage or ad_storage, and advertising purposes that a Global Privacy Control signal does not
    refuse.
    """
    problems = list(_problems())
    warnings = list(_warnings())
    for problem in problems:
        click.echo(f"problem: {problem}")
    for warning in warnings:
        click.echo(f"warning: {warning}")
    if problems:
        click.echo(f"{len(problems)} problem(s), {len(warnings)} warning(s) found.", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"No problems found ({len(warnings)} warning(s))." if warnings else "No problems found.")


def _problems() -> Iterator[str]:
    ext = _ext()
    app = current_app
    for purpose in ext.registry.values():
        if not purpose.description:
            yield f"purpose {purpose.key!r} has no description: visitors cannot tell what they agree to."
        if purpose.required and not purpose.justification:
            yield f"required purpose {purpose.key!r} has no justification of why it is strictly necessary."
    for name in ext.undeclared_cookies():
        yield f"cookie {name!r} was set but no purpose declares it: add it to a Purpose(cookies=[...])."
    weak = weak_secret_key(app.secret_key)
    if weak:
        yield f"{weak}: consent cookies cannot be signed safely."
    hasher = ext.recorder.ip_hasher
    if ext.settings.ip_hash_key is None and hasher.path.exists():
        try:
            hasher.key()
        except ConfigurationError as exc:
            yield str(exc)
    dead = ext.spool.dead_letters()
    if dead:
        yield (f"{len(dead)} spooled consent record(s) were rejected by the database for good; they are kept in "
               f"{ext.spool.dead_path}: fix and re-import them, or keep the file as evidence.")
    store = ext.store
    if isinstance(store, SQLStore):
        try:
            with store.engine.connect() as conn:
                present = sa.inspect(conn).has_table("consent_records")
        except sa.exc.SQLAlchemyError as exc:
            yield f"the consent log cannot be reached: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
        else:
            if not present and not ext.settings.create_tables:
                yield ("the consent log table does not exist and CONSENT_CREATE_TABLES is off: run "
                       "'flask consent init-db' or the migration that creates it.")
        backend = sa.engine.make_url(store.url).get_backend_name()
        if backend != "sqlite" and ext.settings.ip_hash_key is None and not (app.debug or app.testing):
            # A server database is shared by several workers and usually several hosts; without a configured
            # key each host hashes IP addresses with a key of its own instance folder, so one visitor's
            # records would not match from host to host. Nothing here can prove there is only one host.
            yield (f"the consent log is on a {backend} server, which several hosts may share, but "
                   "CONSENT_IP_HASH_KEY is not set, so each host hashes IP addresses with its own key: set "
                   "CONSENT_IP_HASH_KEY to the same long random value on every host, e.g. the output of "
                   "python -c 'import secrets; print(secrets.token_hex(32))'.")


def _warnings() -> Iterator[str]:
    """Advice that does not make ``check`` fail (see :func:`_problems` for what does)."""
    ext = _ext()
    app = current_app
    store = ext.store
    if isinstance(store, SQLStore) and not (app.debug or app.testing):
        if sa.engine.make_url(store.url).get_backend_name() == "sqlite":
            yield ("the consent log is on SQLite in production: fine for one process on one host; with several "
                   "workers or hosts set CONSENT_DATABASE_URL to PostgreSQL.")
    mapped = {t for p in ext.registry.values() for t in p.gcm}
    if not mapped & {"analytics_storage", "ad_storage"}:
        tagged = templates_calling(app, ("consent_gcm_default(", "consent_google_tag("))
        if tagged:
            yield (f"{', '.join(tagged)} use Google Consent Mode, but no purpose grants analytics_storage or "
                   "ad_storage, so Google tags stay denied even after 'Accept all': give the purpose that covers "
                   "them gcm=['analytics_storage'] (or the ad_* types), or the key 'analytics' or 'advertising'.")
    for purpose in ext.registry.optional:
        if not purpose.gpc_opt_out and {"ad_storage", "ad_user_data"} & set(purpose.gcm):
            yield (f"purpose {purpose.key!r} shares data for advertising but a Global Privacy Control signal does "
                   "not refuse it: set gpc_opt_out=True (an opt-out of sale or sharing, e.g. under the CCPA).")


def templates_calling(app: Flask, calls: tuple[str, ...]) -> list[str]:
    """The names of ``app``'s templates whose source contains one of ``calls`` (an empty list when the
    template loader cannot list its templates)."""
    env = app.jinja_env
    loader = env.loader
    try:
        names = env.list_templates()
    except TypeError:  # a loader that cannot list templates
        return []
    found = []
    for name in names:
        try:
            source = loader.get_source(env, name)[0] if loader is not None else ""
        except (TemplateNotFound, UnicodeDecodeError, OSError):
            continue
        if any(call in source for call in calls):
            found.append(name)
    return found


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


@consent_cli.command("stats", epilog=_EXIT_CODES_HELP)
@click.option("--since", type=DATE, help="Only records created at or after this date (UTC).")
@click.option("--until", type=DATE, help="Only records created before this date (UTC, not included).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(since: datetime | None, until: datetime | None, fmt: str) -> None:
    """Opt-in rate per purpose, decisions by method, refusal rate and GPC share.

    Computed by the database (GROUP BY), so memory stays flat however large the log is.
    """
    _window(since, until)
    store = _sql_store()
    keys = [p.key for p in _ext().registry.optional]
    with _store_errors():
        result = stats_module.collect(store, keys, since, until)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(f"records   {result.records}")
    click.echo(f"visitors  {result.subjects}")
    click.echo(f"refusals  {_pct(result.refusal_rate)}  (granted no optional purpose)")
    click.echo(f"GPC       {_pct(result.gpc_share)}  (decisions with Sec-GPC: 1)")
    click.echo("")
    width = max([len("purpose"), *(len(k) for k in keys)])
    click.echo(f"{'purpose':<{width}}  {'granted':>9}  {'denied':>9}  {'opt-in':>7}")
    for p in result.purposes:
        click.echo(f"{p.key:<{width}}  {p.granted:>9}  {p.denied:>9}  {_pct(p.rate):>7}")
    click.echo("")
    mwidth = max([len("method"), *(len(m) for m in result.methods)])
    click.echo(f"{'method':<{mwidth}}  {'records':>9}")
    for method, n in result.methods.items():
        click.echo(f"{method:<{mwidth}}  {n:>9}")




def _jsonl_writer(out: IO[str]) -> Callable[[ConsentRecord], None]:
    def write(record: ConsentRecord) -> None:
        out.write(json.dumps(record.to_dict(), separators=(",", ":"), ensure_ascii=False) + "\n")

    return write


#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: Columns the extension generates from URL-safe characters only (ids, hashes): such a value cannot make a
#: formula that runs anything, and it must stay exactly as the log has it (an id found in a CSV is looked up).
_GENERATED_FIELDS = frozenset({"id", "subject_id", "consent_id", "previous_id", "banner_hash", "ip_hash"})


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell a spreadsheet will not run: text starting like a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_writer(out: IO[str]) -> Callable[[ConsentRecord], None]:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)

    def write(record: ConsentRecord) -> None:
        data = record.to_dict()
        data["granted"] = json.dumps(data["granted"], separators=(",", ":"), sort_keys=True)
        data["denied"] = json.dumps(data["denied"], separators=(",", ":"), sort_keys=True)
        writer.writerow([data[f] if f in _GENERATED_FIELDS else csv_cell(data[f]) for f in CSV_FIELDS])

    return write


@consent_cli.command("export", epilog=_EXIT_CODES_HELP)
@click.option("--since", type=DATE, help="Only records created at or after this date (UTC).")
@click.option("--until", type=DATE, help="Only records created before this date (UTC, not included).")
@click.option("--subject", help="Only the records of this subject id (one visitor).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to FILE instead of standard output (opened once every other option is checked).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True,
              help="Records fetched per query.")
@_progress_option
def export(
    since: datetime | None, until: datetime | None, subject: str | None, fmt: str, output_path: str,
    batch_size: int, progress: bool | None,
) -> None:
    """Stream consent records, oldest first, as JSON Lines or CSV.

    Records are read in keyset-paginated batches and written one by one, so memory stays flat.
    """
    _window(since, until)
    store = _sql_store()
    with _store_errors():  # the log answers before the file is opened (and emptied)
        rows = store.iter_records(since=since, until=until, subject_id=subject, batch=batch_size)
        first = list(islice(rows, 1))
        total = stats_module.count(store, since, until, subject) if _show_progress(progress) else None
    output = _open_output(output_path)
    try:
        written = _write_export(output, fmt, chain(first, rows), total)
    finally:
        if output_path != "-":
            with suppress(OSError):  # a failed write was reported already; closing retries the same flush
                output.close()
    if output_path != "-":  # a file: say how much went into it
        click.echo(f"Exported {written} records.", err=True)


def _write_export(output: IO[str], fmt: str, rows: Iterator[ConsentRecord], total: int | None) -> int:
    """Write ``rows`` to ``output`` (with a progress bar when the ``total`` is known); return how many."""
    written = 0
    with _store_errors(), _output_errors(output):
        write = (_jsonl_writer if fmt == "jsonl" else _csv_writer)(output)
        if total is not None:
            with click.progressbar(rows, length=total, label="Exporting", file=sys.stderr) as bar:
                for record in bar:
                    write(record)
                    written += 1
        else:
            for record in rows:
                write(record)
                written += 1
    return written


def _open_output(path: str) -> IO[str]:
    """The export's destination: standard output for ``-``, else the file, opened (and so emptied) only now
    that every option has been checked."""
    if path == "-":
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"Could not write the export to {path}: {exc.strerror or exc}.") from exc


@consent_cli.command("purge", epilog=_EXIT_CODES_HELP)
@click.option("--before", type=DATE, required=True, help="Delete records created before this date (UTC).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Records deleted per transaction (smaller batches hold locks for less time).")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@_progress_option
def purge(before: datetime, batch_size: int, dry_run: bool, progress: bool | None) -> None:
    """Delete records older than the retention limit, in batches of short transactions."""
    if before > datetime.now(timezone.utc):
        raise click.BadParameter("is in the future; purging would delete current consent records.",
                                 param_hint="'--before'")
    store = _sql_store()
    with _store_errors():
        due = stats_module.count(store, until=before)
        if dry_run:
            click.echo(f"Would delete {due} records created before {before.isoformat()}.")
            return
        if _show_progress(progress):
            with click.progressbar(length=due, label="Purging", file=sys.stderr) as bar:
                deleted = store.purge(before, batch_size=batch_size, progress=bar.update)
        else:
            deleted = store.purge(before, batch_size=batch_size)
    click.echo(f"Deleted {deleted} records created before {before.isoformat()}.")


@consent_cli.command("flush", epilog=_EXIT_CODES_HELP)
def flush() -> None:
    """Replay consent records spooled during a database outage into the consent log.

    Safe to run at any time, twice, or from several machines sharing the instance folder: a record already in
    the log is not written again. Exits 1 when the log still cannot be written (the records stay spooled).
    """
    ext = _ext()
    if not ext.spool.pending():
        click.echo("The spool is empty.")
        return
    try:
        count = ext.flush_spool()
    except Exception as exc:  # noqa: BLE001 - any store failure: report it, keep the spool, exit non-zero
        raise click.ClickException(f"The consent log cannot be written yet ({exc}); records stay spooled.") from exc
    click.echo(f"Replayed {count} spooled record(s).")


from .audit import scan_command  # noqa: E402

consent_cli.add_command(scan_command, "scan")
