"""Recommendations: personalised only with the ``recommendations`` purpose, bestsellers otherwise (C26).

Browsing history is recorded only while the purpose is granted; withdrawing it deletes what was recorded
(``withdrawal.py``).
"""

from __future__ import annotations

from collections import Counter

from flask import request
from flask_login import current_user
from sqlalchemy import ColumnElement

from flask_consent import current_consent

from .extensions import db
from .models import BrowsingEvent, Favourite, Interest, Order, OrderLine, Product
from .retention import purge_history

RECENT_COOKIE = "recs_recent"
RECENT_MAX = 6


def bestsellers(limit: int = 8) -> list[Product]:
    """The non-personalised alternative: the same list for everyone."""
    return list(db.session.scalars(db.select(Product).order_by(Product.sold.desc(), Product.id).limit(limit)))


def _member_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


def browsing_of(subject: str | None, member: int | None) -> ColumnElement[bool]:
    """The product views of this visitor: the member's own on any device, and this device's (its consent
    subject) made while nobody or this member was signed in. Another member's views on a shared device,
    left signed in, stay theirs."""
    who = []
    if subject:
        signed_in_as = BrowsingEvent.user_id.is_(None)
        if member:
            signed_in_as = db.or_(signed_in_as, BrowsingEvent.user_id == member)
        who.append(db.and_(BrowsingEvent.subject_id == subject, signed_in_as))
    if member:
        who.append(BrowsingEvent.user_id == member)
    return db.or_(db.false(), *who)


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
    """Products from the categories the visitor viewed, favourited, bought and (members, with the
    ``recommendations`` purpose) picked as interests, most first, best sellers first,
    leaving out what they already bought. Empty while nothing is known about the visitor yet."""
    subject = current_consent.subject_id
    member = _member_id()
    weights: Counter[str] = Counter()
    bought: set[int] = set()
    views = db.select(BrowsingEvent).where(browsing_of(subject, member))
    for event in db.session.scalars(views):
        weights[event.product.category] += 1
    if member and current_consent.granted("recommendations"):
        # Interests are the member's own words, but still personalisation: only with the purpose granted.
        for category in db.session.scalars(db.select(Interest.category).where(Interest.user_id == member)):
            weights[category] += 2
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
