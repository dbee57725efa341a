"""The marketplace's sellers (``/seller/orders``): a signed-in seller sees, for the order lines of its own
products, what it needs to deliver them (consignee, address, phone) and nothing else: no other seller's items,
no other orders, no e-mail or account of the shopper. The privacy policy and the data download say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from .extensions import db
from .models import Order, OrderLine, Product, Seller

bp = Blueprint("seller", __name__, url_prefix="/seller")


@dataclass(frozen=True)
class Delivery:
    """One order line of a seller's product, with the delivery details of its order."""

    order_id: int
    ordered_at: datetime
    product: str
    quantity: int
    consignee: str
    address: str
    phone: str


def seller_of(user_id: int) -> Seller | None:
    """The seller whose staff account ``user_id`` is, if any."""
    return db.session.scalar(db.select(Seller).where(Seller.user_id == user_id))


def deliveries(seller_id: int) -> list[Delivery]:
    """The order lines of ``seller_id``'s products, newest first (lines of a cancelled account's order keep
    nothing to deliver to and are left out)."""
    rows = db.session.execute(
        db.select(Order, OrderLine, Product).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Product.seller_id == seller_id, Order.consignee != "")
        .order_by(Order.created_at.desc(), OrderLine.id)
    ).all()
    return [Delivery(o.id, o.created_at, p.name, ln.quantity, o.consignee, o.address, o.phone) for o, ln, p in rows]


def sellers_of_order(order: Order) -> list[str]:
    """The names of the sellers that receive ``order``'s delivery details (for the data download)."""
    names = {ln.product.seller.name for ln in order.lines if ln.product.seller is not None}
    return sorted(names)


@bp.get("/orders")
@login_required
def orders() -> str:
    seller = seller_of(current_user.id)
    if seller is None:
        abort(403)
    return render_template("seller/orders.html", seller=seller, deliveries=deliveries(seller.id))
