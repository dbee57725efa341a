"""Issue 17, item 9: the OpenAPI document lints clean, as Redocly and Spectral would check it.

The document must pass the OpenAPI 3.1 schema (openapi-spec-validator) and the rules of the two linters'
"recommended" sets that apply to it, written here as plain checks: every operation has an operationId (unique,
URL-safe), a summary, a description, tags that are declared with a description, a 2xx and a 4xx answer; path
parameters are declared; servers are present without a trailing slash; security schemes are defined, referenced
and cover every operation; info has a description and a license; every component is used and every ``$ref``
resolves; enums are typed and free of duplicates; no markdown carries script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import build_app

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_URL_SAFE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*$")
_JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) in the document, depth first."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and (
            name == "number" or float(value).is_integer())
    return isinstance(value, _JSON_TYPES[name])


def lint(doc: dict[str, Any]) -> list[str]:
    """The problems Redocly's and Spectral's recommended rules would report, one readable line each."""
    problems: list[str] = []
    info = doc.get("info", {})
    if not info.get("description"):
        problems.append("info-description: info has no description")
    lic = info.get("license") or {}
    if not lic.get("name") or not (lic.get("identifier") or lic.get("url")):
        problems.append("info-license: info.license needs a name and an identifier or url")
    servers = doc.get("servers") or []
    if not servers:
        problems.append("oas3-api-servers: no servers")
    for server in servers:
        if re.search(r"./$", server.get("url", "")):
            problems.append(f"oas3-server-trailing-slash: {server.get('url')!r}")
    declared_tags = {t["name"]: t for t in doc.get("tags", [])}
    for name, tag in declared_tags.items():
        if not tag.get("description"):
            problems.append(f"tag-description: tag {name!r} has no description")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    used_schemes: set[str] = set()
    for requirement in doc.get("security", []):
        used_schemes.update(requirement)
    operation_ids: dict[str, str] = {}
    for path, item in doc.get("paths", {}).items():
        if path != "/" and path.endswith("/"):
            problems.append(f"path-keys-no-trailing-slash: {path}")
        templated = set(re.findall(r"{([^}]*)}", path))
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            where = f"{method.upper()} {path}"
            op_id = op.get("operationId")
            if not op_id:
                problems.append(f"operation-operationId: {where}")
            elif op_id in operation_ids:
                problems.append(f"operation-operationId-unique: {where} and {operation_ids[op_id]}")
            elif not _URL_SAFE.match(op_id):
                problems.append(f"operation-operationId-valid-in-url: {where}")
            else:
                operation_ids[op_id] = where
            for field in ("summary", "description"):
                if not op.get(field):
                    problems.append(f"operation-{field}: {where}")
            if not op.get("tags"):
                problems.append(f"operation-tags: {where}")
            for tag in op.get("tags", []):
                if tag not in declared_tags:
                    problems.append(f"operation-tag-defined: {where} uses undeclared tag {tag!r}")
            codes = list(op.get("responses", {}))
            if not any(c.startswith("2") for c in codes):
                problems.append(f"operation-success-response: {where}")
            if not any(c.startswith("4") for c in codes):
                problems.append(f"operation-4xx-response: {where}")
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            seen = [(p.get("in"), p.get("name")) for p in params]
            if len(seen) != len(set(seen)):
                problems.append(f"operation-parameters: {where} repeats a parameter")
            in_path = {p["name"] for p in params if p.get("in") == "path"}
            if in_path != templated:
                problems.append(f"path-params: {where} declares {sorted(in_path)} for {sorted(templated)}")
            if "security" not in op and "security" not in doc:
                problems.append(f"security-defined: {where} says nothing about security")
            for requirement in op.get("security", []):
                used_schemes.update(requirement)
    for name in used_schemes - set(schemes):
        problems.append(f"operation-security-defined: scheme {name!r} is not defined")
    refs = {value for pointer, value in _walk(doc) if pointer.endswith("/$ref") and isinstance(value, str)}
    for ref in refs:
        try:
            _resolve(doc, ref)
        except (KeyError, IndexError, TypeError):
            problems.append(f"no-unresolved-refs: {ref}")
    for kind, components in doc.get("components", {}).items():
        for name in components:
            used = name in used_schemes if kind == "securitySchemes" else f"#/components/{kind}/{name}" in refs
            if not used:
                problems.append(f"oas3-unused-component: components/{kind}/{name}")
    for pointer, node in _walk(doc):
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            values = node["enum"]
            if len({repr(v) for v in values}) != len(values):
                problems.append(f"duplicated-entry-in-enum: {pointer}")
            types = node.get("type")
            if types is not None:
                types = [types] if isinstance(types, str) else types
                for value in values:
                    if not any(_is_type(value, t) for t in types):
                        problems.append(f"typed-enum: {pointer} has {value!r}, not of type {types}")
        if pointer.endswith(("/description", "/summary")) and isinstance(node, str):
            if "<script" in node.lower() or "eval(" in node:
                problems.append(f"no-script-tags-in-markdown / no-eval-in-markdown: {pointer}")
    return problems


@pytest.fixture
def client(sqlite_url: str, tmp_path: Any) -> Any:
    """One SQLite app is enough: the document does not depend on the store (and the suite's ``client`` would
    run every check again on PostgreSQL)."""
    return build_app(sqlite_url, str(tmp_path / "lint")).test_client()


def test_document_matches_the_openapi_31_schema(client):
    validator = pytest.importorskip("openapi_spec_validator", reason="the test extra's openapi-spec-validator")
    doc = client.get("/consent/openapi.json").get_json()
    errors = [str(e.message) for e in validator.OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []


def test_document_passes_the_recommended_lint_rules(client):
    assert lint(client.get("/consent/openapi.json").get_json()) == []


def test_the_linter_catches_what_it_should():
    """The checks above are not vacuous: a document with the findings of issue 17 fails them."""
    doc = {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/consent/state": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Unused": {"type": "string", "enum": ["a", "a", 1]}}},
    }
    rules = {p.split(":")[0] for p in lint(doc)}
    assert {"info-description", "info-license", "oas3-api-servers", "operation-operationId", "operation-summary",
            "operation-description", "operation-tags", "operation-4xx-response", "security-defined",
            "oas3-unused-component", "duplicated-entry-in-enum", "typed-enum"} <= rules


def test_state_and_history_have_4xx_answers_with_the_error_schema(client):
    doc = client.get("/consent/openapi.json").get_json()
    for path in ("/consent/state", "/consent/history"):
        answers = doc["paths"][path]["get"]["responses"]
        fours = [code for code in answers if code.startswith("4")]
        assert fours, path
        for code in fours:
            answer = answers[code]
            if "$ref" in answer:
                answer = _resolve(doc, answer["$ref"])
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_read_operations_document_html_pages_for_browsers(client):
    doc = client.get("/consent/openapi.json").get_json()
    for path in ("/consent/state", "/consent/history", "/consent/receipt/{record_id}"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/html"} <= set(content), path


def test_security_schemes_name_the_real_csrf_cookie_and_header(sqlite_url, tmp_path):
    """The CSRF double submit as the app really does it: the cookie it sets (after CONSENT_COOKIE_NAME) and
    the header it reads, both required together on POST /consent."""
    app = build_app(sqlite_url, str(tmp_path / "inst"), CONSENT_COOKIE_NAME="shop_consent")
    client = app.test_client()
    doc = client.get("/consent/openapi.json").get_json()
    schemes = doc["components"]["securitySchemes"]
    assert doc["paths"]["/consent"]["post"]["security"] == [{"csrfCookie": [], "csrfHeader": []}]
    assert schemes["csrfHeader"] == {**schemes["csrfHeader"], "type": "apiKey", "in": "header", "name": "X-CSRFToken"}
    cookie = schemes["csrfCookie"]
    assert cookie["type"] == "apiKey" and cookie["in"] == "cookie" and cookie["name"] == "shop_consent_csrf"
    token = client.get("/consent/state").get_json()["csrf_token"]
    assert client.get_cookie(cookie["name"], path="/") is not None, "the scheme names the cookie the app sets"
    refused = client.post("/consent", json={"action": "accept_all"})
    assert refused.status_code == 400, "without the header the change is refused"
    ok = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_servers_point_at_the_site_that_serves_the_document(client, sqlite_url, tmp_path):
    assert client.get("/consent/openapi.json").get_json()["servers"][0]["url"] == "/"
    app = build_app(sqlite_url, str(tmp_path / "inst"))
    doc = app.test_client().get("/consent/openapi.json", environ_overrides={"SCRIPT_NAME": "/shop"}).get_json()
    assert doc["servers"][0]["url"] == "/shop"


def test_license_and_the_controller_as_contact(client, sqlite_url, tmp_path):
    doc = client.get("/consent/openapi.json").get_json()
    assert doc["info"]["license"] == {"name": "MIT", "identifier": "MIT"} and "contact" not in doc["info"]
    app = build_app(sqlite_url, str(tmp_path / "inst"),
                    CONSENT_CONTROLLER={"piiController": "Test Shop Ltd", "email": "privacy@shop.test"})
    contact = app.test_client().get("/consent/openapi.json").get_json()["info"]["contact"]
    assert contact == {"name": "Test Shop Ltd", "email": "privacy@shop.test"}
