"""The OpenAPI 3.1 description of the consent JSON API, served at ``GET /consent/openapi.json``.

It describes what the views really answer (a test validates live responses against it, and Schemathesis
fuzzes the running app with it), so client authors and auditors can rely on it.
"""

from __future__ import annotations

from typing import Any

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


def openapi_document(registry: PurposeRegistry, prefix: str = "/consent") -> dict[str, Any]:
    """The OpenAPI 3.1 document for an app with the purposes in ``registry``, mounted at ``prefix``."""
    keys = list(registry)
    optional = [p.key for p in registry.optional]

    def json_response(description: str, schema: str) -> dict[str, Any]:
        return {"description": description, "content": {_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "flask_consent consent API",
            "version": "1",
            "description": (
                "Read and change a visitor's consent. The visitor is identified by the signed, HttpOnly consent "
                "cookie; changes need the session cookie and the CSRF token from GET /state in X-CSRFToken."
            ),
        },
        "paths": {
            f"{prefix}/state": {
                "get": {
                    "operationId": "getState",
                    "summary": "The visitor's purposes, decisions, whether the banner is due, and a CSRF token.",
                    "responses": {"200": json_response("The current state.", "State")},
                }
            },
            prefix: {
                "post": {
                    "operationId": "postChoice",
                    "summary": "Record a choice: one record in the consent log, and a new consent cookie.",
                    "parameters": [{"name": "X-CSRFToken", "in": "header", "required": True,
                                    "schema": {"type": "string"}}],
                    "description": (
                        "The banner's plain HTML form posts the same fields form-encoded (with a `csrf_token` "
                        "field) and is answered with a 303 redirect; that form contract is not described here."
                    ),
                    "requestBody": {"required": True,
                                    "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Choice"}}}},
                    "responses": {
                        "200": json_response("JSON clients: the state after the choice.", "State"),
                        "400": {"description": "The choice was refused; nothing was written. JSON bodies get JSON; "
                                               "other bodies are read as the HTML form and get its page.",
                                "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}},
                                            _HTML: {"schema": {"type": "string"}}}},
                        "429": {
                            "description": "Too many changes from this client (when rate limiting is on).",
                            "headers": {"Retry-After": {"schema": {"type": "string"}}},
                            "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}},
                                        "text/plain": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            f"{prefix}/history": {
                "get": {
                    "operationId": "getHistory",
                    "summary": "The visitor's consent records, newest first.",
                    "parameters": [{"name": "download", "in": "query", "required": False,
                                    "schema": {"type": "string"},
                                    "description": "1: answer as a file download; anything else: inline."}],
                    "responses": {"200": json_response("The records.", "History")},
                }
            },
            f"{prefix}/receipt/{{record_id}}": {
                "get": {
                    "operationId": "getReceipt",
                    "summary": "The consent receipt of one of the visitor's own records.",
                    "parameters": [{"name": "record_id", "in": "path", "required": True,
                                                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}],
                    "responses": {
                        "200": json_response("The receipt.", "Receipt"),
                        "404": json_response("No such record for this visitor.", "Error"),
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
            }
        },
    }
