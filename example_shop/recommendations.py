"""Recommendations: personalised only with the ``recommendations`` purpose, bestsellers otherwise (C26).

Browsing history is recorded only while the purpose is granted; withdrawing it deletes what was recorded,
in the same request (``consent_changed``). The same listener removes the data of the other purposes a
visitor withdraws: analytics page views and orders waiting in the partner's inbox.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask, request
from flask_login import current_user

from flask_consent import ConsentState, current_consent
from flask_consent.signals import consent_changed

from .extensions import db
from .models import AnalyticsEvent, BrowsingEvent, Favourite, Order, OrderLine, PartnerShare, Product
from .retention import purge_history

RECENT_COOKIE = "recs_recent"
RECENT_MAX = 6


def bestsellers(limit: int = 8) -> list[Product]:
    """The non-personalised alternative: the same list for everyone."""
    return list(db.session.scalars(db.select(Product).order_by(Product.sold.desc(), Product.id).limit(limit)))


def _member_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


def record_view(product: Product) -> bool:
    """Note a product view for recommendations, only when the visitor allowed it. Returns True if recorded."""
    if not current_consent.granted("recommendations") or not current_consent.subject_id:
        return False
    purge_history()
    db.session.add(BrowsingEvent(subject_id=current_consent.subject_id, user_id=_member_id(), product_id=product.id))
    db.session.commit()
    return True


def recent_ids() -> list[int]:
    """Product ids of the ``recs_recent`` cookie (set only with consent; see ``shop.product``)."""
    raw = request.cookies.get(RECENT_COOKIE, "")
    return [int(x) for x in raw.split(".") if x.isdigit()][:RECENT_MAX]


def recent_cookie_value(product_id: int) -> str:
    ids = [product_id, *(i for i in recent_ids() if i != product_id)][:RECENT_MAX]
    return ".".join(map(str, ids))


def personalised(limit: int = 8) -> list[Product]:
    """Products from the categories the visitor viewed, favourited and bought most, best sellers first,
    leaving out what they already bought. Empty while nothing is known about the visitor yet."""
    subject = current_consent.subject_id
    member = _member_id()
    weights: Counter[str] = Counter()
    bought: set[int] = set()
    views = db.select(BrowsingEvent).where(
        db.or_(BrowsingEvent.subject_id == subject, BrowsingEvent.user_id == member) if member
        else BrowsingEvent.subject_id == subject
    )
    for event in db.session.scalars(views):
        weights[event.product.category] += 1
    if member:
        for fav in db.session.scalars(db.select(Favourite).where(Favourite.user_id == member)):
            weights[fav.product.category] += 3
        lines = db.select(OrderLine).join(Order).where(Order.user_id == member)
        for line in db.session.scalars(lines):
            weights[line.product.category] += 2
            bought.add(line.product_id)
    if not weights:
        return []
    ranked = [c for c, _ in weights.most_common()]
    candidates = db.session.scalars(db.select(Product).where(Product.category.in_(ranked))).all()
    picks = sorted(
        (p for p in candidates if p.id not in bought),
        key=lambda p: (ranked.index(p.category), -p.sold, p.id),
    )
    return picks[:limit]


def forget_withdrawn(sender: Flask, before: ConsentState, after: ConsentState, **_: Any) -> None:
    """Delete the data a visitor collected under a purpose they just withdrew."""
    withdrawn = {k for k in ("recommendations", "analytics", "third_party_sharing")
                 if before.granted(k) and not after.granted(k)}
    if not withdrawn:
        return
    member = _member_id()
    if "recommendations" in withdrawn:
        who = [BrowsingEvent.subject_id == after.subject_id]
        if member:
            who.append(BrowsingEvent.user_id == member)
        db.session.execute(db.delete(BrowsingEvent).where(db.or_(*who)))
    visitor = request.cookies.get("_shop_analytics")
    if "analytics" in withdrawn and visitor:
        db.session.execute(db.delete(AnalyticsEvent).where(AnalyticsEvent.visitor == visitor))
    if "third_party_sharing" in withdrawn and member:
        db.session.execute(db.delete(PartnerShare).where(PartnerShare.user_id == member))
    db.session.commit()


def connect_withdrawal(app: Flask) -> None:
    consent_changed.connect(forget_withdrawn, app, weak=False)
