"""The ``consent`` blueprint: the HTTP contract of the extension."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from .banner import asset_dir, policy_url, template_context
from .components import components
from .context import (
    consent_state,
    csrf_cookie_name,
    csrf_token,
    locale,
    member_id,
    private,
    record_change,
    request_consent,
)
from .exc import ChoiceError
from .forms import Choice, csrf_ok, home, read_choice, referrer_path, safe_next, wants_json
from .gcm import gcm_state
from .purposes import localise
from .records import receipt
from .state import ConsentState, new_id

blueprint = Blueprint(
    "consent", __name__, template_folder=asset_dir("templates"), static_folder=asset_dir("static"),
    static_url_path="/static",
)


def method_for(choice: Choice) -> str:
    """How a choice was given, for the consent log."""
    if choice.is_json and request.headers.get("X-Consent-Client") != "banner":
        return "api"
    if choice.action == "grant":
        return "prompt"
    if choice.scope == "all":
        return "preferences"
    return {"accept_all": "banner_accept_all", "reject_all": "banner_reject_all"}.get(choice.action, "banner_custom")


def state_json(state: ConsentState) -> dict[str, Any]:
    """The visitor's state as ``GET /consent/state`` answers it."""
    comps = components()
    loc_name = locale()
    purposes = [
        {
            "key": p.key,
            "title": localise(p.title, loc_name),
            "description": localise(p.description, loc_name),
            "required": p.required,
            "version": p.version,
            "granted": state.granted(p.key),
            "decided": state.decided(p.key),
            "gpc_honoured": state.gpc_honoured(p.key),
            "vendors": list(p.vendors),
            "gcm": list(p.gcm),
            "cookies": [{"name": c.pattern, "lifetime": localise(c.lifetime, loc_name)} for c in p.cookies],
        }
        for p in comps.registry.values()
    ]
    granted, denied = state.split()
    return {
        "policy_version": comps.settings.policy_version,
        "locale": loc_name,
        "decided": state.decided(),
        "banner_due": state.needs_prompt,
        "reason": state.reason,
        "gpc": state.gpc,
        "due": [p.key for p in state.due()],
        "granted": granted,
        "denied": denied,
        "record_id": state.record_id,
        "purposes": purposes,
        "gcm": gcm_state(state),
        "csrf_token": csrf_token(),
    }


def page(template: str, status: int = 200, **extra: Any) -> Response:
    """One of the extension's own pages (in the app's layout with ``CONSENT_BASE_TEMPLATE``)."""
    request_consent().rendered = True
    response = current_app.make_response(render_template(template, **template_context(**extra)))
    response.status_code = status
    return response


def _error(message: str, status: int = 400, code: str = "bad_request") -> Response:
    if wants_json():
        response = jsonify(error=code, message=message)
        response.status_code = status
        return response
    return private(page("consent/preferences.html", status, next=_back_target(), scope="all", message=message))


def _back_target() -> str:
    """Where to return after the preferences page: ``next``, else a same-site Referer, else ``/``."""
    nxt = safe_next(request.values.get("next"))
    if nxt:
        return nxt
    path = referrer_path(request)
    if path and not path.startswith(request.script_root + components().settings.url_prefix):
        return path
    return home(request)


def _rate_limited(retry_after: int) -> Response:
    message = "Too many consent changes from this address; try again later."
    if wants_json():
        response = jsonify(error="rate_limited", message=message, retry_after=retry_after)
    else:
        response = current_app.response_class(message, mimetype="text/plain")
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


@blueprint.post("")
def choose() -> Response:
    r = request_consent()
    req, comps = r.request, r.comps
    if not csrf_ok(req, comps.csrf, req.cookies.get(csrf_cookie_name(r)), comps.settings.csrf_time_limit):
        return _error(template_context()["t"]["session_expired"], 400, "csrf")
    if comps.limiter is not None:
        retry_after = comps.limiter.hit("choice")
        if retry_after is not None:
            return _rate_limited(retry_after)
    try:
        choice = read_choice(req)
        before = consent_state(r)
        method = method_for(choice)
        after = before.apply(choice.action, choice.purposes, choice.scope, method=method, record_id=new_id(16))
    except ChoiceError as exc:
        return _error(str(exc))
    record_change(before, after, method=method, r=r)
    if choice.is_json or wants_json():
        return private(jsonify(state_json(consent_state(r))))
    r.rendered = True  # a redirect's body is never shown: nothing to inject into it
    response = r.app.response_class(status=303)
    response.headers["Location"] = safe_next(choice.next) or home(req)
    return response


@blueprint.get("/preferences")
def preferences() -> Response:
    return private(page("consent/preferences.html", next=_back_target(), scope="all"))


@blueprint.get("/state")
def state() -> Response:
    if wants_json(default_json=True):  # the banner script's fetch sends no Accept: JSON
        return private(jsonify(state_json(consent_state())))
    return private(page("consent/state.html"))


@blueprint.get("/history")
def history() -> Response:
    comps = components()
    st = consent_state()
    user_id = member_id()
    records = comps.store.history(st.subject_id, user_id)
    # A member's records stay theirs, even on a device they used without signing out.
    records = [r for r in records if r.user_id in (None, user_id)]
    response: Response
    if request.args.get("download") == "1":
        response = current_app.response_class(
            json.dumps({"subject_id": st.subject_id, "records": [r.to_dict() for r in records]}, indent=2),
            mimetype="application/json",
        )
        response.headers["Content-Disposition"] = 'attachment; filename="consent-history.json"'
    elif wants_json(default_json=True):
        response = jsonify(subject_id=st.subject_id, records=[r.to_dict() for r in records])
    else:
        response = page("consent/history.html", records=records, download_url=request.path + "?download=1")
    return private(response)


@blueprint.get("/receipt/<record_id>")
def receipt_view(record_id: str) -> Response:
    comps = components()
    st = consent_state()
    record = comps.store.get(record_id) if 0 < len(record_id) <= 64 else None
    user_id = member_id()
    if record is None or not (
        (user_id and record.user_id == user_id)
        or (st.subject_id and record.subject_id == st.subject_id and record.user_id in (None, user_id))
    ):
        if not wants_json(default_json=True):
            return private(page("consent/state.html", 404, not_found=True))
        response = jsonify(error="not_found", message="No such consent record for this visitor.")
        response.status_code = 404
        return private(response)
    settings = comps.settings
    data = receipt(
        record, comps.registry, controller=settings.controller, policy_url=policy_url(comps),
        jurisdiction=settings.jurisdiction, locale=record.locale,
    )
    if wants_json(default_json=True):
        return private(jsonify(data))
    return private(page("consent/receipt.html", receipt=data, record=record))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of the JSON API above, for this app's purposes."""
    from .openapi import openapi_document

    comps = components()
    return jsonify(openapi_document(comps.registry, comps.settings.url_prefix))


@blueprint.get("/declaration")
def declaration() -> Response:
    response = page("consent/declaration.html", purposes=components().declaration(locale()))
    request_consent().rendered = False  # the declaration is where a visitor reads before choosing: banner too
    return response


@blueprint.get("/declaration.json")
def declaration_json() -> Response:
    return jsonify(purposes=components().declaration(locale()))


def gpc_json() -> Response:
    """``/.well-known/gpc.json`` (C20)."""
    return jsonify(gpc=True, lastUpdate=components().settings.gpc_last_update)
