"""``flask consent ...``: operate the consent log from the command line."""

from __future__ import annotations

from typing import cast

import click
from flask import current_app
from flask.cli import AppGroup

consent_cli = AppGroup("consent", help="Manage the consent log of flask_consent.")


def _ext():  # type: ignore[no-untyped-def]
    from .extension import Consent

    return cast(Consent, current_app.extensions["consent"])


@consent_cli.command("init-db")
def init_db() -> None:
    """Create the consent log table and its indexes."""
    store = _ext().store
    init = getattr(store, "init_db", None)
    if init is None:
        raise click.ClickException("This consent store has no init_db(); create its storage yourself.")
    init()
    click.echo("Consent log ready.")


@consent_cli.command("audit")
def audit() -> None:
    """List cookies the app set that no purpose declares."""
    names = _ext().undeclared_cookies()
    if not names:
        click.echo("No undeclared cookies seen.")
        return
    for name in names:
        click.echo(name)


@consent_cli.command("flush")
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
