"""How long the shop keeps what, as its privacy policy promises, and the deletions that enforce it.

Browsing history and analytics page views are trimmed whenever new ones are written; ``flask --app
example_shop shop retention`` applies every limit, orders included (run it daily from cron).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .models import AnalyticsEvent, BrowsingEvent, Order, utcnow

HISTORY = timedelta(days=90)
ANALYTICS = timedelta(days=396)  # 13 months
#: Hong Kong's Inland Revenue Ordinance (s.51C) asks for business records to be kept seven years.
ORDERS = timedelta(days=7 * 366)


def purge_history(now: datetime | None = None) -> int:
    result = db.session.execute(db.delete(BrowsingEvent).where(BrowsingEvent.viewed_at < (now or utcnow()) - HISTORY))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_analytics(now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - ANALYTICS
    result = db.session.execute(db.delete(AnalyticsEvent).where(AnalyticsEvent.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_orders(now: datetime | None = None) -> int:
    old = db.session.scalars(db.select(Order).where(Order.created_at < (now or utcnow()) - ORDERS)).all()
    for order in old:
        db.session.delete(order)  # its lines go with it (cascade)
    return len(old)


def apply_all(now: datetime | None = None) -> dict[str, int]:
    """Apply every retention limit; returns how many rows each one deleted."""
    counts = {"browsing_history": purge_history(now), "analytics": purge_analytics(now), "orders": purge_orders(now)}
    db.session.commit()
    return counts


def init_cli(app: Flask) -> None:
    group = AppGroup("shop", help="Harbour Goods maintenance.")

    @group.command("retention")
    def retention_command() -> None:
        """Delete what is older than the privacy policy allows."""
        for name, count in apply_all().items():
            click.echo(f"{name}: {count} deleted")

    app.cli.add_command(group)
