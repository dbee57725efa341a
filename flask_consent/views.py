"""The ``consent`` blueprint: the HTTP contract of the extension."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Request, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from .exc import ChoiceError
from .extension import Consent, _req, asset_dir
from .forms import Choice, csrf_ok, home, is_json, read_choice, referrer_path, safe_next
from .gcm import gcm_state
from .purposes import localise
from .records import receipt
from .state import ConsentState, new_id

blueprint = Blueprint(
    "consent", __name__, template_folder=asset_dir("templates"), static_folder=asset_dir("static"),
    static_url_path="/static",
)


def _ext() -> Consent:
    return cast(Consent, current_app.extensions["consent"])


def wants_json(req: Request | None = None) -> bool:
    """True for JSON clients (a JSON body, or ``Accept`` preferring JSON over HTML)."""
    req = req or request._get_current_object()  # type: ignore[attr-defined]
    if is_json(req):
        return True
    accept = req.environ.get("HTTP_ACCEPT", "")
    if "json" not in accept and "application/*" not in accept:  # the usual browser post: skip the parse
        return False
    return req.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def method_for(choice: Choice, req: Request | None = None) -> str:
    """How a choice was given, for the consent log."""
    if choice.is_json and (req or request).environ.get("HTTP_X_CONSENT_CLIENT") != "banner":
        return "api"
    if choice.action == "grant":
        return "prompt"
    if choice.scope == "all":
        return "preferences"
    return {"accept_all": "banner_accept_all", "reject_all": "banner_reject_all"}.get(choice.action, "banner_custom")


def state_json(ext: Consent, state: ConsentState) -> dict[str, Any]:
    locale = ext.locale()
    purposes = []
    for p in ext.registry.values():
        purposes.append({
            "key": p.key,
            "title": localise(p.title, locale),
            "description": localise(p.description, locale),
            "required": p.required,
            "version": p.version,
            "granted": state.granted(p.key),
            "decided": state.decided(p.key),
            "gpc_honoured": state.gpc_honoured(p.key),
            "vendors": list(p.vendors),
            "gcm": list(p.gcm),
            "cookies": [{"name": c.pattern, "lifetime": localise(c.lifetime, locale)} for c in p.cookies],
        })
    return {
        "policy_version": ext.policy_version,
        "locale": locale,
        "decided": state.decided(),
        "banner_due": state.needs_prompt,
        "reason": state.reason,
        "gpc": state.gpc,
        "due": [p.key for p in state.due()],
        "granted": state.granted_keys(),
        "denied": state.denied_keys(),
        "record_id": state.record_id,
        "purposes": purposes,
        "gcm": gcm_state(state),
        "csrf_token": ext.csrf_token(),
    }


def _error(message: str, status: int = 400, code: str = "bad_request") -> Response:
    if wants_json():
        response = jsonify(error=code, message=message)
    else:
        ext = _ext()
        _req().rendered = True
        html = render_template(
            "consent/preferences.html",
            **ext.template_context(next=_back_target(), scope="all", message=message),
        )
        response = current_app.make_response(html)
    response.status_code = status
    return response


def _back_target() -> str:
    """Where to return after the preferences page: ``next``, else a same-site Referer, else ``/``."""
    nxt = safe_next(request.values.get("next"))
    if nxt:
        return nxt
    path = referrer_path(request)
    if path and not path.startswith(request.script_root + current_app.config["CONSENT_URL_PREFIX"]):
        return path
    return home(request)


@blueprint.post("")
def choose() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    req = request._get_current_object()  # type: ignore[attr-defined]  # one context lookup, not one per use
    ext = cast(Consent, app.extensions["consent"])
    if not csrf_ok(req, ext.csrf, ext.csrf_cookie_name, ext.csrf_time_limit()):
        t = ext.template_context()["t"]
        return _error(t["session_expired"], 400, "csrf")
    try:
        choice = read_choice(req)
        before = ext.state()
        method = method_for(choice, req)
        after = before.apply(choice.action, choice.purposes, choice.scope, method=method, record_id=new_id(16))
    except ChoiceError as exc:
        return _error(str(exc))
    ext.commit(before, after, method=method)
    if choice.is_json or wants_json(req):
        return jsonify(state_json(ext, ext.state()))
    _req().rendered = True  # a redirect's body is never shown: nothing to inject into it
    response: Response = app.response_class(status=303)
    response.headers["Location"] = safe_next(choice.next) or home(req)
    return response


@blueprint.get("/preferences")
def preferences() -> str:
    ext = _ext()
    _req().rendered = True
    return render_template("consent/preferences.html", **ext.template_context(next=_back_target(), scope="all"))


@blueprint.get("/state")
def state() -> Response:
    ext = _ext()
    return jsonify(state_json(ext, ext.state()))


@blueprint.get("/history")
def history() -> Response:
    ext = _ext()
    st = ext.state()
    from .extension import _user_id

    user_id = _user_id()
    records = ext.store.history(st.subject_id, user_id)
    response = jsonify(subject_id=st.subject_id, records=[r.to_dict() for r in records])
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = 'attachment; filename="consent-history.json"'
    return response


@blueprint.get("/receipt/<record_id>")
def receipt_view(record_id: str) -> Response:
    ext = _ext()
    st = ext.state()
    from .extension import _user_id

    record = ext.store.get(record_id) if 0 < len(record_id) <= 64 else None
    user_id = _user_id()
    if record is None or not (
        (st.subject_id and record.subject_id == st.subject_id) or (user_id and record.user_id == user_id)
    ):
        response = jsonify(error="not_found", message="No such consent record for this visitor.")
        response.status_code = 404
        return response
    cfg = current_app.config
    return jsonify(
        receipt(
            record, ext.registry, controller=cfg["CONSENT_CONTROLLER"], policy_url=ext.policy_url(),
            jurisdiction=cfg["CONSENT_JURISDICTION"], locale=record.locale,
        )
    )


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of the JSON API above, for this app's purposes."""
    from .openapi import openapi_document

    ext = _ext()
    return jsonify(openapi_document(ext.registry, current_app.config["CONSENT_URL_PREFIX"]))


@blueprint.get("/declaration")
def declaration() -> str:
    ext = _ext()
    _req().rendered = False
    return render_template("consent/declaration.html", **ext.template_context(purposes=ext.declaration(ext.locale())))


@blueprint.get("/declaration.json")
def declaration_json() -> Response:
    ext = _ext()
    return jsonify(purposes=ext.declaration(ext.locale()))
