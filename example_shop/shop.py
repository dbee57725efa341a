"""The storefront: catalogue, text search, product pages, reviews, favourites, cart and checkout.

Everything here works with every optional purpose refused (C8); consent only adds personalisation and the
partner-sharing step.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_out
from werkzeug.wrappers import Response

from flask_consent import consent_required, current_consent

from .extensions import csrf, db
from .forms import CartForm, CheckoutForm, ReviewForm, SimpleForm, local_path
from .i18n import LANGUAGES
from .images import product_svg
from .models import Favourite, Order, OrderLine, PartnerShare, Product, Review
from .recommendations import RECENT_COOKIE, bestsellers, personalised, recent_cookie_value, recent_ids, record_view
from .security import same_origin_post, secure_cookies
from .seed import CATEGORIES

bp = Blueprint("shop", __name__)
PARTNER = "Lantau Partner Offers"


def _product(slug: str) -> Product:
    product: Product | None = db.session.scalar(db.select(Product).where(Product.slug == slug))
    if product is None:
        abort(404)
    return product


@bp.get("/")
def index() -> str:
    granted = current_consent.granted("recommendations")
    picks = personalised() if granted else []
    recent: list[Product] = []
    ids = recent_ids() if granted else []
    if ids:
        by_id = {p.id: p for p in db.session.scalars(db.select(Product).where(Product.id.in_(ids)))}
        recent = [by_id[i] for i in ids if i in by_id]
    return render_template(
        "index.html", picks=picks or bestsellers(), personalised=bool(picks), recent=recent, categories=CATEGORIES,
    )


@bp.get("/products")
def products() -> str:
    """The catalogue, by category and by text search (always available, no consent needed)."""
    category = request.args.get("category", "")
    q = request.args.get("q", "").strip()[:100]
    query = db.select(Product).order_by(Product.category, Product.name)
    if category in CATEGORIES:
        query = query.where(Product.category == category)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(db.or_(Product.name.ilike(like), Product.description.ilike(like)))
    return render_template(
        "products.html", products=db.session.scalars(query).all(), categories=CATEGORIES, category=category, q=q,
    )


@bp.get("/product/<slug>")
def product(slug: str) -> Response:
    item = _product(slug)
    record_view(item)
    reviews = db.session.scalars(
        db.select(Review).where(Review.product_id == item.id).order_by(Review.created_at.desc())
    ).all()
    favourite = current_user.is_authenticated and db.session.scalar(
        db.select(Favourite.id).where(Favourite.user_id == current_user.id, Favourite.product_id == item.id)
    ) is not None
    response = make_response(render_template(
        "product.html", product=item, reviews=reviews, favourite=favourite, review_form=ReviewForm(),
        cart_form=CartForm(), simple_form=SimpleForm(), categories=CATEGORIES,
    ))
    if current_consent.granted("recommendations"):
        response.set_cookie(RECENT_COOKIE, recent_cookie_value(item.id), max_age=30 * 86400, httponly=True,
                            samesite="Lax", secure=secure_cookies())
    return response


@bp.get("/product/<slug>.svg")
def product_image(slug: str) -> Response:
    response = make_response(product_svg(_product(slug)))
    response.mimetype = "image/svg+xml"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.post("/product/<slug>/review")
@login_required
def review(slug: str) -> Response:
    item = _product(slug)
    form = ReviewForm()
    if form.validate_on_submit():
        db.session.add(Review(product_id=item.id, user_id=current_user.id, rating=int(form.rating.data or 5),
                              body=form.body.data or ""))
        db.session.commit()
        flash(_("Thank you for your review."))
    else:
        flash(_("Please write a review of at least 3 characters."))
    return redirect(url_for("shop.product", slug=slug, _anchor="reviews"), 303)


@bp.post("/product/<slug>/favourite")
@login_required
def favourite(slug: str) -> Response:
    item = _product(slug)
    if not SimpleForm().validate_on_submit():
        abort(400)
    existing = db.session.scalar(
        db.select(Favourite).where(Favourite.user_id == current_user.id, Favourite.product_id == item.id)
    )
    if existing:
        db.session.delete(existing)
    else:
        db.session.add(Favourite(user_id=current_user.id, product_id=item.id))
    db.session.commit()
    return redirect(url_for("shop.product", slug=slug), 303)


def _bestsellers_page() -> str:
    return render_template("recommendations.html", picks=bestsellers(12), personalised=False)


@bp.get("/recommendations")
@consent_required("recommendations", fallback=_bestsellers_page)
def recommendations() -> str:
    """Personalised picks; the fallback shows bestsellers to visitors who did not allow it (C26), and so does
    this view until there is something to personalise from."""
    picks = personalised(12)
    if not picks:
        return _bestsellers_page()
    return render_template("recommendations.html", picks=picks, personalised=True)


def _cart() -> dict[str, int]:
    raw = session.get("cart")
    return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def cart_lines() -> tuple[list[tuple[Product, int]], int]:
    cart = _cart()
    ids = [int(k) for k in cart if k.isdigit()]
    products = db.session.scalars(db.select(Product).where(Product.id.in_(ids))).all() if ids else []
    lines = [(p, cart[str(p.id)]) for p in products]
    return lines, sum(p.price_cents * q for p, q in lines)


@bp.post("/cart/<slug>")
def cart_set(slug: str) -> Response:
    """Add to the cart (``add=1``) or set a line's quantity (0 removes it)."""
    item = _product(slug)
    form = CartForm()
    if not form.validate_on_submit():
        abort(400)
    cart = _cart()
    quantity = int(form.quantity.data or 0)
    if request.form.get("add"):
        quantity += cart.get(str(item.id), 0)
    if quantity > 0:
        cart[str(item.id)] = min(quantity, 99)
    else:
        cart.pop(str(item.id), None)
    session["cart"] = cart
    return redirect(url_for("shop.cart"), 303)


@bp.get("/cart")
def cart() -> str:
    lines, total = cart_lines()
    return render_template("cart.html", lines=lines, total=total, cart_form=CartForm())


#: The session key of what a member typed at checkout before a detour to their privacy choices.
DRAFT = "checkout_draft"
_DRAFT_FIELDS = ("consignee", "address", "phone")


def _keep_draft(form: CheckoutForm) -> None:
    """Keep the typed delivery details for this member while they visit their privacy choices."""
    session[DRAFT] = {"user": current_user.id, **{f: str(form[f].data or "")[:400] for f in _DRAFT_FIELDS}}


def _draft() -> dict[str, str]:
    """This member's kept delivery details, if any (never another member's on a shared browser)."""
    draft = session.get(DRAFT)
    if not isinstance(draft, dict) or draft.get("user") != current_user.id:
        return {}
    return {f: str(draft.get(f, "")) for f in _DRAFT_FIELDS}


@user_logged_out.connect
def _forget_draft(sender: object, **extra: object) -> None:
    """Signing out leaves no delivery details of the member in the browser's session."""
    session.pop(DRAFT, None)


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout() -> str | Response:
    lines, total = cart_lines()
    if not lines:
        return redirect(url_for("shop.cart"))
    form = CheckoutForm()
    if request.method == "POST" and request.form.get("detour") and form.csrf_token.validate(form):
        _keep_draft(form)
        return redirect(url_for("consent.preferences", next=url_for("shop.checkout")), 303)
    if request.method == "GET":
        draft = _draft()
        form.consignee.data = draft.get("consignee") or current_user.name
        form.address.data = draft.get("address") or current_user.address
        form.phone.data = draft.get("phone") or current_user.phone
    if form.validate_on_submit():
        order = Order(user_id=current_user.id, consignee=form.consignee.data or "", address=form.address.data or "",
                      phone=form.phone.data or "", total_cents=total)
        for p, q in lines:
            order.lines.append(OrderLine(product_id=p.id, quantity=q, price_cents=p.price_cents))
            p.sold += q
        db.session.add(order)
        db.session.flush()
        # Shared only when the visitor ticked the box AND holds consent: a forged field shares nothing.
        if form.share_with_partner.data and current_consent.granted("third_party_sharing"):
            db.session.add(PartnerShare(
                order_id=order.id, user_id=current_user.id, partner=PARTNER,
                payload=json.dumps({
                    "email": current_user.email,
                    "district": district_of(form.address.data or ""),
                    "items": [p.name for p, _ in lines],
                }),
            ))
        db.session.commit()
        session.pop("cart", None)
        session.pop(DRAFT, None)
        return redirect(url_for("shop.order", order_id=order.id), 303)
    return render_template("checkout.html", form=form, lines=lines, total=total, partner=PARTNER,
                           count=sum(q for _, q in lines))


#: Hong Kong's 18 districts, and the areas people write in an address, each with its district.
DISTRICTS = {name.casefold(): name for name in (
    "Central and Western", "Wan Chai", "Eastern", "Southern", "Yau Tsim Mong", "Sham Shui Po", "Kowloon City",
    "Wong Tai Sin", "Kwun Tong", "Kwai Tsing", "Tsuen Wan", "Tuen Mun", "Yuen Long", "North", "Tai Po",
    "Sha Tin", "Sai Kung", "Islands",
)} | {area.casefold(): district for area, district in (
    ("Central", "Central and Western"), ("Sheung Wan", "Central and Western"), ("Sai Ying Pun", "Central and Western"),
    ("Mid-Levels", "Central and Western"), ("Causeway Bay", "Wan Chai"), ("Happy Valley", "Wan Chai"),
    ("North Point", "Eastern"), ("Quarry Bay", "Eastern"), ("Chai Wan", "Eastern"), ("Aberdeen", "Southern"),
    ("Stanley", "Southern"), ("Tsim Sha Tsui", "Yau Tsim Mong"), ("Mong Kok", "Yau Tsim Mong"),
    ("Jordan", "Yau Tsim Mong"), ("Yau Ma Tei", "Yau Tsim Mong"), ("Cheung Sha Wan", "Sham Shui Po"),
    ("To Kwa Wan", "Kowloon City"), ("Hung Hom", "Kowloon City"), ("Diamond Hill", "Wong Tai Sin"),
    ("Ngau Tau Kok", "Kwun Tong"), ("Kwai Chung", "Kwai Tsing"), ("Tsing Yi", "Kwai Tsing"),
    ("Tin Shui Wai", "Yuen Long"), ("Sheung Shui", "North"), ("Fanling", "North"), ("Tai Wai", "Sha Tin"),
    ("Ma On Shan", "Sha Tin"), ("Tseung Kwan O", "Sai Kung"), ("Tung Chung", "Islands"), ("Lantau", "Islands"),
)}
#: Parts of an address after the district that name no district: the region, the territory.
_REGIONS = frozenset({"hong kong", "hk", "kowloon", "new territories", "nt", "hong kong sar"})
_PARTS = re.compile(r"[,\n\r]+")


def district_of(address: str) -> str | None:
    """The district an address names in a part of its own (after the last comma or line break, the region
    aside), or None: the partner gets a district or nothing, never a street, building or flat, and a street
    named after a district ("Tai Po Road") is no district."""
    for part in reversed([p.strip(" .").casefold() for p in _PARTS.split(address) if p.strip(" .")]):
        if part in DISTRICTS:
            return DISTRICTS[part]
        if part not in _REGIONS:
            return None
    return None


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int) -> str:
    item = db.session.get(Order, order_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    shared = db.session.scalar(db.select(PartnerShare.id).where(PartnerShare.order_id == item.id)) is not None
    return render_template("order.html", order=item, shared=shared)


@bp.post("/lang")
@csrf.exempt
def set_language() -> Response:
    """The language switch: keeps the choice in the session (a necessary cookie) for the whole shop.

    It is on every page, so it carries no CSRF token (that would set a session cookie on every page view);
    a post from another site is refused by its ``Origin`` and ``Sec-Fetch-Site`` instead.
    """
    same_origin_post()
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(local_path(request.form.get("next")) or url_for("shop.index"), 303)
