"""The retention periods the privacy policy promises are enforced in code."""

from __future__ import annotations

from datetime import timedelta

from example_shop.extensions import db
from example_shop.models import AnalyticsEvent, BrowsingEvent, Order, OrderLine, utcnow


def test_retention_command_deletes_only_what_is_past_its_period(shop):
    now = utcnow()
    with shop.app_context():
        seeded_orders, seeded_lines = (db.session.scalar(db.select(db.func.count()).select_from(m))
                                       for m in (Order, OrderLine))
        db.session.add_all([
            BrowsingEvent(subject_id="s", product_id=1, viewed_at=now - timedelta(days=91)),
            BrowsingEvent(subject_id="s", product_id=2, viewed_at=now - timedelta(days=89)),
            AnalyticsEvent(visitor="v", path="/", created_at=now - timedelta(days=400)),
            AnalyticsEvent(visitor="v", path="/", created_at=now - timedelta(days=300)),
            Order(consignee="", address="", phone="", total_cents=1, created_at=now - timedelta(days=8 * 365),
                  lines=[OrderLine(product_id=1, quantity=1, price_cents=1)]),
            Order(consignee="", address="", phone="", total_cents=1, created_at=now - timedelta(days=6 * 365)),
        ])
        db.session.commit()
    result = shop.test_cli_runner().invoke(args=["shop", "retention"])
    assert result.exit_code == 0, result.output
    assert "browsing_history: 1 deleted" in result.output and "analytics: 1 deleted" in result.output
    assert "orders: 1 deleted" in result.output
    with shop.app_context():
        count = lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))  # noqa: E731
        assert (count(BrowsingEvent), count(AnalyticsEvent), count(Order) - seeded_orders,
                count(OrderLine) - seeded_lines) == (1, 1, 1, 0)
