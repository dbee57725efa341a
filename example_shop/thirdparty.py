"""Local stand-ins for third parties: an analytics SDK's collection endpoint, an ad pixel and a
live-broadcast player. Each refuses to collect anything, or to set its cookie, without its purpose."""

from __future__ import annotations

import base64
import secrets

from flask import Blueprint, jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement
from werkzeug.wrappers import Response

from flask_consent import consent_required, current_consent

from .extensions import db
from .models import AnalyticsEvent
from .retention import ANALYTICS, purge_analytics
from .security import secure_cookies

bp = Blueprint("thirdparty", __name__, url_prefix="/tp")
ANALYTICS_COOKIE = "_shop_analytics"
ADS_COOKIE = "_ads_id"
LIVE_COOKIE = "_live_viewer"
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def analytics_of(member: int | None) -> ColumnElement[bool]:
    """The page views of this visitor: the signed-in ``member``'s on any device, and this browser's (its
    analytics cookie) made while nobody or this member was signed in."""
    visitor = request.cookies.get(ANALYTICS_COOKIE)
    who = []
    if visitor:
        signed_in_as = AnalyticsEvent.user_id.is_(None)
        if member:
            signed_in_as = db.or_(signed_in_as, AnalyticsEvent.user_id == member)
        who.append(db.and_(AnalyticsEvent.visitor == visitor, signed_in_as))
    if member:
        who.append(AnalyticsEvent.user_id == member)
    return db.or_(db.false(), *who)


@bp.post("/collect")
@consent_required("analytics")
def collect() -> Response:
    """The analytics beacon: one page view, keyed by the SDK's own HttpOnly visitor cookie."""
    data = request.get_json(silent=True)
    path = data.get("path") if isinstance(data, dict) else None
    if not isinstance(path, str) or not path.startswith("/"):
        path = "/"
    visitor = request.cookies.get(ANALYTICS_COOKIE)
    if not visitor or len(visitor) > 64:
        visitor = secrets.token_urlsafe(16)
    purge_analytics()
    member = current_user.id if current_user.is_authenticated else None
    db.session.add(AnalyticsEvent(visitor=visitor, user_id=member, path=path[:200]))
    db.session.commit()
    response = jsonify(ok=True)
    response.set_cookie(ANALYTICS_COOKIE, visitor, max_age=int(ANALYTICS.total_seconds()),
                        httponly=True, samesite="Lax", secure=secure_cookies())
    return response


@bp.get("/pixel.gif")
def pixel() -> Response:
    """The ad pixel: a transparent GIF that sets the ad id only when advertising is allowed."""
    response = make_response(_GIF)
    response.mimetype = "image/gif"
    response.headers["Cache-Control"] = "no-store"
    if current_consent.granted("advertising") and not request.cookies.get(ADS_COOKIE):
        response.set_cookie(ADS_COOKIE, secrets.token_urlsafe(12), max_age=90 * 86400, httponly=True,
                            samesite="Lax", secure=secure_cookies())
    return response


@bp.get("/live")
@consent_required("social_embeds")
def live() -> Response:
    """The live-broadcast player, framed by the home page once social embeds are allowed."""
    response = make_response(render_template("thirdparty/live.html"))
    if not request.cookies.get(LIVE_COOKIE):
        response.set_cookie(LIVE_COOKIE, secrets.token_urlsafe(8), httponly=True, samesite="Lax",
                            secure=secure_cookies())
    return response
