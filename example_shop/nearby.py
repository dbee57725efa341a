"""Stores and offers: a district picker for everyone, and "nearby" by browser location with consent (C25).

The browser's position is asked for only on the ``/nearby`` page, which the ``location`` purpose gates; the
coordinates are used to answer one request and never stored (nor written to access logs: they travel in a POST
body).
"""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from flask_consent import consent_required

from .extensions import db
from .geo import haversine_km
from .i18n import seeded
from .models import Store

bp = Blueprint("nearby", __name__)
# Hong Kong with a margin: positions outside it have no store within reach.
_LAT = (22.1, 22.6)
_LNG = (113.8, 114.5)


def _districts() -> list[str]:
    return list(db.session.scalars(db.select(Store.district).distinct().order_by(Store.district)))


@bp.get("/stores")
def stores() -> str:
    """Every store, or those of one district: the alternative that needs no location."""
    district = request.args.get("district", "")
    query = db.select(Store).order_by(Store.district, Store.name)
    if district:
        query = query.where(Store.district == district)
    return render_template("stores.html", stores=db.session.scalars(query).all(), districts=_districts(),
                           district=district)


@bp.get("/nearby")
@consent_required("location")
def nearby() -> str:
    return render_template("nearby.html", districts=_districts())


def _coordinate(data: object, name: str, limit: float) -> float | None:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and -limit <= value <= limit else None


@bp.post("/nearby/stores")
@consent_required("location")
def nearest() -> Response:
    """The three nearest stores and their offers, as JSON, for ``{"lat": …, "lng": …}`` from the browser.

    A POST body rather than a query string, so the position never lands in access logs.
    """
    data = request.get_json(silent=True)
    lat, lng = _coordinate(data, "lat", 90), _coordinate(data, "lng", 180)
    if lat is None or lng is None:
        response = jsonify(error="bad_request", message="Give 'lat' and 'lng' in decimal degrees.")
        response.status_code = 400
        return response
    ranked = sorted(
        ((haversine_km(lat, lng, s.lat, s.lng), s) for s in db.session.scalars(db.select(Store))),
        key=lambda pair: (pair[0], pair[1].id),
    )
    in_hk = _LAT[0] <= lat <= _LAT[1] and _LNG[0] <= lng <= _LNG[1]
    response = jsonify(
        in_hong_kong=in_hk,
        stores=[
            {"name": seeded(s.name), "district": seeded(s.district), "address": seeded(s.address),
             "distance_km": round(d, 2),
             "offers": [{"text": seeded(o.text), "url": url_for("shop.product", slug=o.product.slug)}
                        for o in s.offers]}
            for d, s in ranked[:3]
        ],
    )
    response.headers["Cache-Control"] = "no-store"
    return response
