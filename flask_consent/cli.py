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
