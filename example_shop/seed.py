"""First-run data: a catalogue of 48 products, Hong Kong stores with offers, a demo member and an admin.

The demo logins get random passwords, kept in the instance folder (``demo-logins.json``, mode 0600) so that
``flask run`` can print them each time it starts.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import DataRequest, Offer, Order, OrderLine, Product, Seller, Store, SupportCase, User, utcnow

CATEGORIES: dict[str, tuple[str, str, str]] = {
    "tea": ("Tea & coffee", "茶與咖啡", "茶与咖啡"),
    "snacks": ("Snacks", "小食", "零食"),
    "kitchen": ("Kitchen", "廚具", "厨具"),
    "home": ("Home", "家居", "家居"),
    "stationery": ("Stationery", "文具", "文具"),
    "care": ("Personal care", "個人護理", "个人护理"),
}

_CATALOGUE: dict[str, list[tuple[str, int, str]]] = {
    "tea": [
        ("Tieguanyin oolong", 9800, "#2e7d32"), ("Pu'er cake 2016", 26800, "#5d4037"),
        ("Jasmine green tea", 7800, "#9ccc65"), ("Hong Kong milk tea blend", 6800, "#a1887f"),
        ("Yuenyeung coffee beans", 11800, "#4e342e"), ("Chrysanthemum tea", 5800, "#fdd835"),
        ("Lemon tea syrup", 4800, "#ffeb3b"), ("Cold brew coffee bags", 8800, "#3e2723"),
    ],
    "snacks": [
        ("Egg rolls tin", 12800, "#ffcc80"), ("Almond cookies", 6800, "#d7a86e"),
        ("Wife cakes", 5800, "#e6b35a"), ("Dried mango", 4800, "#ffa000"),
        ("Curry fish ball crisps", 3800, "#f57c00"), ("White rabbit candy", 2800, "#f5f5f5"),
        ("Haw flakes", 1800, "#c62828"), ("Sesame rolls", 4200, "#212121"),
    ],
    "kitchen": [
        ("Bamboo steamer", 15800, "#c8a165"), ("Clay pot", 22800, "#8d6e63"),
        ("Carbon steel wok", 32800, "#424242"), ("Chopsticks set", 8800, "#6d4c41"),
        ("Porcelain rice bowls", 12800, "#e3f2fd"), ("Tea pot", 19800, "#1565c0"),
        ("Dim sum tongs", 3800, "#90a4ae"), ("Cleaver", 28800, "#607d8b"),
    ],
    "home": [
        ("Red lantern", 9800, "#d32f2f"), ("Rattan basket", 13800, "#bc8f5a"),
        ("Cotton tote", 6800, "#eeeeee"), ("Neon sign lamp", 48800, "#e040fb"),
        ("Jade plant", 11800, "#388e3c"), ("Incense holder", 5800, "#795548"),
        ("Harbour print", 16800, "#0277bd"), ("Tram model", 38800, "#00695c"),
    ],
    "stationery": [
        ("Calligraphy brush", 7800, "#263238"), ("Rice paper pad", 4800, "#fff8e1"),
        ("Red envelope pack", 2800, "#b71c1c"), ("Ink stick", 9800, "#000000"),
        ("Fountain pen", 36800, "#1a237e"), ("Notebook, kraft", 3800, "#a1887f"),
        ("Seal stamp", 21800, "#bf360c"), ("Postcards of Kowloon", 2400, "#4fc3f7"),
    ],
    "care": [
        ("Tiger balm", 3800, "#ff6f00"), ("Green herbal oil", 4800, "#43a047"),
        ("Sandalwood soap", 5800, "#d7ccc8"), ("Pearl cream", 18800, "#fce4ec"),
        ("Bamboo toothbrush", 1800, "#aed581"), ("Silk eye mask", 9800, "#7b1fa2"),
        ("Herbal tea bath", 6800, "#827717"), ("Hand fan", 4800, "#ec407a"),
    ],
}

#: (name, district, address, latitude, longitude)
STORES: list[tuple[str, str, str, float, float]] = [
    ("Central", "Central and Western", "88 Queen's Road Central", 22.2820, 114.1588),
    ("Wan Chai", "Wan Chai", "12 Johnston Road", 22.2760, 114.1751),
    ("Causeway Bay", "Wan Chai", "500 Hennessy Road", 22.2799, 114.1830),
    ("Tsim Sha Tsui", "Yau Tsim Mong", "30 Nathan Road", 22.2976, 114.1722),
    ("Mong Kok", "Yau Tsim Mong", "610 Nathan Road", 22.3193, 114.1694),
    ("Sham Shui Po", "Sham Shui Po", "180 Apliu Street", 22.3307, 114.1622),
    ("Kwun Tong", "Kwun Tong", "2 Hoi Bun Road", 22.3123, 114.2260),
    ("Sha Tin", "Sha Tin", "1 Sha Tin Centre Street", 22.3817, 114.1877),
    ("Tsuen Wan", "Tsuen Wan", "68 Sha Tsui Road", 22.3707, 114.1141),
    ("Tuen Mun", "Tuen Mun", "1 Tuen Shun Street", 22.3916, 113.9771),
    ("Tai Po", "Tai Po", "8 On Pong Road", 22.4508, 114.1688),
    ("Sai Kung", "Sai Kung", "22 Man Nin Street", 22.3814, 114.2706),
]

DEMO_MEMBER = "demo@harbour-goods.test"
DEMO_ADMIN = "admin@harbour-goods.test"
DEMO_SELLER = "seller@kowloon-tea.test"
#: The marketplace: (seller, the e-mail its staff sign in with or None, the categories it sells).
SELLERS: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("Kowloon Tea House", DEMO_SELLER, ("tea", "snacks")),
    ("Sham Shui Po Makers", "seller@ssp-makers.test", ("kitchen", "home")),
    ("Harbour Goods", None, ("stationery", "care")),
]


def slugify(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower().replace("'", "")).strip("-").replace("--", "-")


def hash_password(password: str) -> str:
    """A Werkzeug password hash (``SHOP_PASSWORD_METHOD``: scrypt, or a cheaper method in tests)."""
    return generate_password_hash(password, method=current_app.config["SHOP_PASSWORD_METHOD"])


def demo_logins(app: Flask) -> dict[str, str]:
    """The demo logins' e-mails and passwords (member, admin, sellers), created on first run; a file from an
    older shop gets the logins it lacks."""
    path = Path(app.instance_path) / "demo-logins.json"
    try:
        logins = dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        logins = {}
    wanted = [DEMO_MEMBER, DEMO_ADMIN, *(email for _name, email, _categories in SELLERS if email)]
    missing = {email: secrets.token_urlsafe(12) for email in wanted if email not in logins}
    if missing:
        logins.update(missing)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(logins, f)
    return logins


def describe(name: str, category: str) -> str:
    """The seeded description of a product."""
    return f"{name}, chosen by our buyers in Hong Kong. {CATEGORIES[category][0]} for every day."


def store_name(name: str) -> str:
    return f"Harbour Goods {name}"


def _offer_product(store: int, k: int, count: int) -> int:
    return (store * 5 + k * 17) % count


def offer_text(store: int, k: int, product: str) -> str:
    """The ``k``-th weekly offer of the ``store``-th store."""
    return f"{10 + 5 * ((store + k) % 4)}% off {product} this week"


def seeded_texts() -> list[str]:
    """Every English text the seed writes into the database and the shop shows: the msgids that
    ``babel_extract.extract_seed`` hands to ``pybabel extract``, so the catalogs translate the catalogue."""
    products = [(name, category) for category, items in _CATALOGUE.items() for name, _price, _colour in items]
    texts = [name for name, _category in products] + [describe(name, category) for name, category in products]
    texts += [names[0] for names in CATEGORIES.values()]
    for s, (name, district, address, _lat, _lng) in enumerate(STORES):
        texts += [store_name(name), district, address]
        texts += [offer_text(s, k, products[_offer_product(s, k, len(products))][0]) for k in range(2)]
    return list(dict.fromkeys(texts))


def seed(app: Flask) -> None:
    """Fill an empty database. Does nothing when products already exist."""
    if db.session.scalar(db.select(Product.id).limit(1)) is not None:
        return
    products: list[Product] = []
    for n, (category, items) in enumerate(_CATALOGUE.items()):
        for i, (name, price, colour) in enumerate(items):
            products.append(Product(
                slug=slugify(name), name=name, category=category, price_cents=price, colour=colour,
                sold=(37 * (n + 1) * (i + 3)) % 250 + 5,
                description=describe(name, category),
            ))
    logins = demo_logins(app)
    for seller_name, email, categories in SELLERS:
        seller = Seller(name=seller_name)
        if email:
            staff = User(email=email, name=f"{seller_name} staff", password_hash=hash_password(logins[email]))
            db.session.add(staff)
            db.session.flush()
            seller.user_id = staff.id
        db.session.add(seller)
        db.session.flush()
        for product in products:
            if product.category in categories:
                product.seller_id = seller.id
    db.session.add_all(products)
    db.session.flush()
    for s, (name, district, address, lat, lng) in enumerate(STORES):
        store = Store(name=store_name(name), district=district, address=address, lat=lat, lng=lng)
        for k in range(2):
            p = products[_offer_product(s, k, len(products))]
            store.offers.append(Offer(product_id=p.id, text=offer_text(s, k, p.name)))
        db.session.add(store)
    member = User(email=DEMO_MEMBER, name="Chan Tai Man", phone="+852 5555 0123",
                  address="Flat 3A, 8 Demo Street, Mong Kok", password_hash=hash_password(logins[DEMO_MEMBER]))
    admin = User(email=DEMO_ADMIN, name="Shop admin", is_admin=True,
                 password_hash=hash_password(logins[DEMO_ADMIN]))
    db.session.add_all([member, admin])
    db.session.flush()
    now = utcnow()
    db.session.add_all([
        DataRequest(user_id=member.id, kind="access", details="A copy of my order history.",
                    created_at=now - timedelta(days=44)),
        DataRequest(user_id=member.id, kind="correction", details="My phone number changed.",
                    created_at=now - timedelta(days=20)),
        DataRequest(user_id=member.id, kind="deletion", details="Delete my old reviews.",
                    created_at=now - timedelta(days=3)),
    ])
    _sample_order(member, products, now)
    db.session.commit()


def _sample_order(member: User, products: list[Product], now: datetime) -> None:
    """An order of the demo member with items of two sellers (so each seller's page has something to show,
    and nothing of the other's), and a return about it waiting at customer service."""
    tea = next(p for p in products if p.category == "tea")
    wok = next(p for p in products if p.category == "kitchen")
    order = Order(user_id=member.id, consignee=member.name, address=member.address, phone=member.phone,
                  total_cents=tea.price_cents + wok.price_cents, created_at=now - timedelta(days=6))
    order.lines.extend(OrderLine(product_id=p.id, quantity=1, price_cents=p.price_cents) for p in (tea, wok))
    db.session.add(order)
    db.session.flush()
    db.session.add(SupportCase(user_id=member.id, order_id=order.id, kind="return", created_at=now - timedelta(days=2),
                               message="The lid of the steamer does not fit; I would like to return it."))
