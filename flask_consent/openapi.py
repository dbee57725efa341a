"""The OpenAPI 3.1 description of the consent JSON API, served at ``GET /consent/openapi.json``.

It describes what the views really answer (a test validates live responses against it, and Schemathesis
fuzzes the running app with it), so client authors and auditors can rely on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, has_app_context, has_request_context, request

from .purposes import PurposeRegistry
from .state import ACTIONS, SCOPES
from .store import METHODS

_JSON = "application/json"
_HTML = "text/html"

_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}

_VERSIONS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}

_RECORD: dict[str, Any] = {
    "type": "object",
    "required": ["id", "consent_id", "subject_id", "created_at", "policy_version", "banner_hash", "granted",
                 "denied", "method", "locale", "gpc"],
    "properties": {
        "id": {"type": "string"},
        "consent_id": {"type": "string"},
        "subject_id": {"type": "string"},
        "user_id": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "policy_version": {"type": "string"},
        "banner_hash": {"type": "string", "description": "SHA-256 of the banner text the visitor saw."},
        "granted": _VERSIONS,
        "denied": _VERSIONS,
        "method": {"type": "string", "enum": list(METHODS)},
        "previous_id": {"type": ["string", "null"]},
        "locale": {"type": "string"},
        "gpc": {"type": "boolean"},
        "ip_hash": {"type": ["string", "null"], "description": "Keyed hash of the address; never the address."},
        "ua_family": {"type": ["string", "null"]},
    },
}

_RECEIPT: dict[str, Any] = {
    "type": "object",
    "description": "A consent receipt with the fields of Kantara Consent Receipt 1.1 / ISO/IEC TS 27560.",
    "required": ["version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID",
                 "piiPrincipalId", "policyUrl", "policyVersion", "services"],
    "properties": {
        "version": {"type": "string"},
        "jurisdiction": {"type": "string"},
        "consentTimestamp": {"type": "integer"},
        "consentTime": {"type": "string", "format": "date-time"},
        "collectionMethod": {"type": "string"},
        "consentReceiptID": {"type": "string"},
        "previousReceiptID": {"type": ["string", "null"]},
        "consentID": {"type": "string"},
        "language": {"type": "string"},
        "piiPrincipalId": {"type": "string"},
        "piiControllers": {"type": "array", "items": {"type": "object"}},
        "policyUrl": {"type": "string"},
        "policyVersion": {"type": "string"},
        "noticeHash": {"type": "string"},
        "globalPrivacyControl": {"type": "boolean"},
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["purpose", "purposeVersion", "status"],
                "properties": {
                    "purpose": {"type": "string"},
                    "purposeVersion": {"type": "integer"},
                    "status": {"type": "string", "enum": ["granted", "denied"]},
                    "thirdPartyNames": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def _state_schema(keys: list[str]) -> dict[str, Any]:
    key = {"type": "string", "enum": keys}
    return {
        "type": "object",
        "required": ["policy_version", "locale", "decided", "banner_due", "granted", "denied", "purposes",
                     "csrf_token"],
        "properties": {
            "policy_version": {"type": "string"},
            "locale": {"type": "string"},
            "decided": {"type": "boolean"},
            "banner_due": {"type": "boolean"},
            "reason": {"type": ["string", "null"],
                       "enum": ["first_visit", "policy_changed", "purpose_changed", "expired", None]},
            "gpc": {"type": "boolean"},
            "due": {"type": "array", "items": key},
            "granted": {"type": "array", "items": key},
            "denied": {"type": "array", "items": key},
            "record_id": {"type": ["string", "null"]},
            "csrf_token": {"type": "string", "description": "Send it back in the X-CSRFToken header."},
            "gcm": {"type": "object", "additionalProperties": {"type": "string", "enum": ["granted", "denied"]}},
            "purposes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "title", "description", "required", "version", "granted", "decided"],
                    "properties": {
                        "key": key,
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "required": {"type": "boolean"},
                        "version": {"type": "integer", "minimum": 1},
                        "granted": {"type": "boolean"},
                        "decided": {"type": "boolean"},
                        "gpc_honoured": {"type": "boolean"},
                        "vendors": {"type": "array", "items": {"type": "string"}},
                        "gcm": {"type": "array", "items": {"type": "string"}},
                        "cookies": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
    }


def _choice_schema(keys: list[str], optional: list[str]) -> dict[str, Any]:
    purposes: dict[str, Any] = {"type": "array", "maxItems": 64, "items": {"type": "string", "enum": keys}}
    common: dict[str, Any] = {
        "scope": {"enum": [*SCOPES, "", None], "default": "all", "description": "Empty or null: all."},
        "next": {"description": "Any value; JSON clients get the new state, never a redirect."},
    }
    return {
        "description": (
            "accept_all / reject_all: every optional purpose in the scope; save: grants the listed purposes and "
            "refuses the rest of the scope; grant: grants the listed purposes (at least one optional one) and "
            "leaves the others as they are."
        ),
        "oneOf": [
            {
                "type": "object",
                "required": ["action"],
                "properties": {"action": {"type": "string", "enum": [a for a in ACTIONS if a != "grant"]},
                               "purposes": purposes, **common},
            },
            {
                "type": "object",
                "required": ["action", "purposes"],
                "properties": {
                    "action": {"const": "grant"},
                    "purposes": {**purposes, "contains": {"enum": optional}},
                    **common,
                },
            },
        ],
    }


#: The tags that group the operations, each with what it covers (tools show them as sections).
_TAGS: list[dict[str, str]] = [
    {"name": "consent", "description": "Read the visitor's purposes and decisions, and record a new choice."},
    {"name": "records", "description": "The visitor's own consent log: every record, and a receipt for each."},
]


def _server_root() -> str:
    """The app's root as an absolute path (``/``, or ``/shop`` under a ``SCRIPT_NAME``: no trailing slash, as
    the paths start with one), so the document points at the site that served it, by whatever host or scheme
    the client reached it."""
    return (request.script_root if has_request_context() else "") or "/"


def _csrf_cookie() -> str:
    """The name of the CSRF double-submit cookie: the consent cookie's name with ``_csrf`` appended."""
    name = current_app.config.get("CONSENT_COOKIE_NAME", "consent") if has_app_context() else "consent"
    return f"{name}_csrf"


def _contact(controller: Mapping[str, str] | None) -> dict[str, str] | None:
    """``info.contact`` from the controller of the data (``CONSENT_CONTROLLER``, Kantara's field names): whom a
    visitor or auditor asks about these records. None when the app names no controller."""
    if not controller:
        return None
    fields = {"name": controller.get("piiController") or controller.get("contact"),
              "email": controller.get("email"), "url": controller.get("piiControllerUrl")}
    return {k: v for k, v in fields.items() if v} or None


def openapi_document(
    registry: PurposeRegistry,
    prefix: str = "/consent",
    *,
    server: str | None = None,
    csrf_cookie: str | None = None,
    controller: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for an app with the purposes in ``registry``, mounted at ``prefix``.

    ``server`` is the base URL the paths hang from, ``csrf_cookie`` the name of the CSRF cookie and
    ``controller`` who answers for the data (``info.contact``); by default the current request's root, the
    app's ``CONSENT_COOKIE_NAME`` + ``_csrf`` and its ``CONSENT_CONTROLLER``. The document passes the
    OpenAPI 3.1 schema and the Redocly/Spectral "recommended" rules (``tests/security/test_openapi_lint.py``):
    operation ids, descriptions, tags and 4xx answers everywhere, servers, security schemes, a license.
    """
    keys = list(registry)
    optional = [p.key for p in registry.optional]

    def schema(name: str) -> dict[str, Any]:
        return {"schema": {"$ref": f"#/components/schemas/{name}"}}

    def page_or_json(description: str, name: str) -> dict[str, Any]:
        """An answer that is JSON for ``Accept: application/json`` and a readable page for browsers."""
        return {"description": description, "content": {_JSON: schema(name), _HTML: {"schema": {"type": "string"}}}}

    rate_limited = {"$ref": "#/components/responses/RateLimited"}
    server = server if server is not None else _server_root()
    csrf_cookie = csrf_cookie if csrf_cookie is not None else _csrf_cookie()
    if controller is None and has_app_context():
        controller = current_app.config.get("CONSENT_CONTROLLER")
    info: dict[str, Any] = {
        "title": "flask_consent consent API",
        "version": "1",
        "description": (
            "Read and change a visitor's consent. The visitor is identified by the signed, HttpOnly consent "
            "cookie; a change needs the CSRF double submit: the CSRF cookie the site set, and the token from "
            "GET /state sent back in the X-CSRFToken header. The read operations answer JSON to "
            "`Accept: application/json` and a readable HTML page to browsers (`Accept: text/html`); every "
            "answer that carries personal data or a token is sent with `Cache-Control: no-store`."
        ),
        "license": {"name": "MIT", "identifier": "MIT"},
    }
    contact = _contact(controller)
    if contact:
        info["contact"] = contact
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": server, "description": "The site that serves this document."}],
        "tags": _TAGS,
        "paths": {
            f"{prefix}/state": {
                "get": {
                    "operationId": "getState",
                    "tags": ["consent"],
                    "summary": "The visitor's purposes, decisions, whether the banner is due, and a CSRF token.",
                    "description": (
                        "What the banner script reads on load: every purpose with its title and this visitor's "
                        "decision, which purposes are due to be asked and why, the Google Consent Mode map, and "
                        "the CSRF token that a change sends back. Browsers (`Accept: text/html`) get the same as "
                        "a readable HTML page."
                    ),
                    "security": [],
                    "responses": {
                        "200": page_or_json("The current state.", "State"),
                        "429": rate_limited,
                    },
                }
            },
            prefix: {
                "post": {
                    "operationId": "postChoice",
                    "tags": ["consent"],
                    "summary": "Record a choice: one record in the consent log, and a new consent cookie.",
                    "description": (
                        "Applies the action to the purposes in the scope, appends one record to the consent log "
                        "(an unchanged choice writes none) and answers the new state. The banner's plain HTML form "
                        "posts the same fields form-encoded (with a `csrf_token` field instead of the header) and "
                        "is answered with a 303 redirect; that form contract is not described here."
                    ),
                    "security": [{"csrfCookie": [], "csrfHeader": []}],
                    "requestBody": {"required": True, "content": {_JSON: schema("Choice")}},
                    "responses": {
                        "200": {"description": "JSON clients: the state after the choice.", "content": {
                            _JSON: schema("State")}},
                        "400": {"description": "The choice was refused (a bad field, or a missing or stale CSRF "
                                               "token); nothing was written. JSON bodies get JSON; other bodies are "
                                               "read as the HTML form and get its page.",
                                "content": {_JSON: schema("Error"), _HTML: {"schema": {"type": "string"}}}},
                        "429": rate_limited,
                    },
                }
            },
            f"{prefix}/history": {
                "get": {
                    "operationId": "getHistory",
                    "tags": ["records"],
                    "summary": "The visitor's consent records, newest first.",
                    "description": (
                        "Every record of this visitor's consent cookie (and of the signed-in member), newest "
                        "first, as JSON or, for browsers, as a readable HTML page with a link to each receipt."
                    ),
                    "security": [],
                    "parameters": [{"name": "download", "in": "query", "required": False,
                                    "schema": {"type": "string"},
                                    "description": "1: answer as a file download; anything else: inline."}],
                    "responses": {
                        "200": page_or_json("The records.", "History"),
                        "429": rate_limited,
                    },
                }
            },
            f"{prefix}/receipt/{{record_id}}": {
                "get": {
                    "operationId": "getReceipt",
                    "tags": ["records"],
                    "summary": "The consent receipt of one of the visitor's own records.",
                    "description": (
                        "One record of this visitor's as a consent receipt (Kantara Consent Receipt 1.1, "
                        "ISO/IEC TS 27560 fields), as JSON or, for browsers, as a readable HTML page. Records of "
                        "other visitors are answered 404, exactly like records that do not exist."
                    ),
                    "security": [],
                    "parameters": [{"name": "record_id", "in": "path", "required": True,
                                    "description": "The record's id, from the history or a receipt.",
                                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}],
                    "responses": {
                        "200": page_or_json("The receipt.", "Receipt"),
                        "404": page_or_json("No such record for this visitor.", "Error"),
                        "429": rate_limited,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "State": _state_schema(keys),
                "Choice": _choice_schema(keys, optional),
                "Error": _ERROR,
                "Record": _RECORD,
                "History": {
                    "type": "object",
                    "required": ["subject_id", "records"],
                    "properties": {"subject_id": {"type": ["string", "null"]},
                                   "records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}},
                },
                "Receipt": _RECEIPT,
            },
            "responses": {
                "RateLimited": {
                    "description": (
                        "Too many requests from this client. POST /consent has its own limit "
                        "(`CONSENT_RATE_LIMIT`); the other operations count against the app's own rate limit "
                        "where it has one. JSON clients get the error as JSON."
                    ),
                    "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                                "schema": {"type": "string"}}},
                    "content": {_JSON: schema("Error"), "text/plain": {"schema": {"type": "string"}},
                                _HTML: {"schema": {"type": "string"}}},
                },
            },
            "securitySchemes": {
                "csrfCookie": {
                    "type": "apiKey", "in": "cookie", "name": csrf_cookie,
                    "description": "The CSRF double-submit cookie the site sets with the first GET /state or page.",
                },
                "csrfHeader": {
                    "type": "apiKey", "in": "header", "name": "X-CSRFToken",
                    "description": "The `csrf_token` of GET /state, sent back with every change.",
                },
            },
        },
    }
