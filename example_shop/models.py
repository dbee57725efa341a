"""The shop's tables: catalogue and its sellers, members, orders, the recommendation inputs, stores, data
requests, customer-service cases and the security log.

Which rows hold personal data matters for the privacy centre: ``User``, ``Review``, ``Favourite``, ``Order``
(consignee, address, phone), ``BrowsingEvent``, ``AnalyticsEvent``, ``PartnerShare``, ``DataRequest``,
``SupportCase``, ``SignIn`` and ``Interest``. Cancelling an account deletes or anonymises every one of them
(see ``privacy.cancel_account``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_login_id() -> str:
    """A fresh random login id (256 bits): see ``User.login_id``."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A member. Passwords are stored as Werkzeug hashes, never in clear.

    Sessions and "keep me signed in" cookies name a member by ``login_id`` (``get_id``), a random value that
    dies with the account, never by the row id: SQLite hands a deleted row's id to the next row, so a cookie
    that held ``id`` would sign its holder in as whoever registered next. ``sqlite_autoincrement`` keeps row
    ids from being reused as well, so nothing else keyed by a user id can slide onto a new member.
    """

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(400), default="")
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie (and the consent log's user id)."""
        return self.login_id


class Seller(db.Model):  # type: ignore[name-defined,misc]
    """A shop of the marketplace. Its staff sign in as the member ``user_id`` and see, at ``/seller/orders``,
    the delivery details of the order lines of its own products and nothing else."""

    __tablename__ = "sellers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True, nullable=True)


class Product(db.Model):  # type: ignore[name-defined,misc]
    """A product, sold by one seller. ``colour`` drives both its generated picture and the photo search."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True, nullable=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text)
    price_cents: Mapped[int]
    colour: Mapped[str] = mapped_column(String(7))
    sold: Mapped[int] = mapped_column(default=0)
    seller: Mapped[Seller | None] = relationship()

    @property
    def price(self) -> str:
        return f"HK${self.price_cents / 100:,.2f}"

    @property
    def rgb(self) -> tuple[int, int, int]:
        c = self.colour.lstrip("#")
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


class Review(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship()


class Favourite(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    product: Mapped[Product] = relationship()


class Order(db.Model):  # type: ignore[name-defined,misc]
    """An order. ``user_id`` and the consignee fields are cleared when the member cancels their account;
    the lines and totals stay for the shop's accounts."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    consignee: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(400))
    phone: Mapped[str] = mapped_column(String(40))
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[OrderLine]] = relationship(cascade="all, delete-orphan")

    @property
    def total(self) -> str:
        return f"HK${self.total_cents / 100:,.2f}"


class OrderLine(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    price_cents: Mapped[int]
    product: Mapped[Product] = relationship()


class BrowsingEvent(db.Model):  # type: ignore[name-defined,misc]
    """A product view, recorded only while ``recommendations`` is granted, deleted when it is withdrawn.

    Keyed by the consent subject id (a random id from the consent cookie) and, for members, the user id.
    """

    __tablename__ = "browsing_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    product: Mapped[Product] = relationship()


class AnalyticsEvent(db.Model):  # type: ignore[name-defined,misc]
    """A page-view beacon of the analytics stand-in, keyed by its ``_shop_analytics`` cookie id and, when a
    member was signed in, by the member (so that cancelling the account finds the views of every device)."""

    __tablename__ = "analytics_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    visitor: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerShare(db.Model):  # type: ignore[name-defined,misc]
    """An order shared with a partner (the partner stand-in's inbox), only with ``third_party_sharing``."""

    __tablename__ = "partner_shares"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    partner: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Store(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "stores"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    district: Mapped[str] = mapped_column(String(60), index=True)
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float]
    lng: Mapped[float]
    offers: Mapped[list[Offer]] = relationship(cascade="all, delete-orphan")


class Offer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    text: Mapped[str] = mapped_column(String(200))
    product: Mapped[Product] = relationship()


class DataRequest(db.Model):  # type: ignore[name-defined,misc]
    """A data access, correction or deletion request, tracked against the 15-day target and the PDPO's
    40-day limit (``deadlines.py``)."""

    __tablename__ = "data_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    user: Mapped[User | None] = relationship()


class SupportCase(db.Model):  # type: ignore[name-defined,misc]
    """A member's message to customer service: a question, or a dispute or return about one of their orders,
    answered against the same 15-day target as data requests (``deadlines.py``)."""

    __tablename__ = "support_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SignIn(db.Model):  # type: ignore[name-defined,misc]
    """One sign-in of a member (the security log): when, a keyed hash of the address (never the address)
    and the browser family (never the full user-agent). Kept ``signins.KEEP`` days."""

    __tablename__ = "sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip_hash: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(40))


class Interest(db.Model):  # type: ignore[name-defined,misc]
    """A product category a member said they are interested in (used only with ``recommendations``)."""

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("user_id", "category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))


def check_schema() -> None:
    """Refuse to start on a database made by an older shop, saying what to do.

    ``db.create_all()`` adds missing tables but never missing columns, so such a database would fail on its
    first query instead.
    """
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        have = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in have]
        if missing:
            raise RuntimeError(
                f"{db.engine.url.database} was made by an older version of the demo shop (table {table.name} "
                f"has no {', '.join(missing)}). Delete it and consent.db from the instance folder and start "
                "the shop again: it seeds a new one."
            )
