"""The OpenAPI document tells the truth: real responses validate against it, and Schemathesis finds nothing."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import jsonschema
import requests
from conftest import LiveServer, build_app, csrf_token
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def _validator(doc: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    """A validator for ``#/components/schemas/<component>`` with the document's other components resolvable."""
    registry = Registry().with_resource("urn:consent-openapi", Resource.from_contents(doc, DRAFT202012))
    schema = {"$ref": f"urn:consent-openapi#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _check(doc: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    responses = doc["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answered {status}, which the document does not list"
    ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
    _validator(doc, ref.rsplit("/", 1)[1]).validate(body)


def test_document_describes_the_four_operations(client):
    doc = client.get("/consent/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/consent/state", "/consent", "/consent/history", "/consent/receipt/{record_id}"}
    for name, component in doc["components"]["schemas"].items():
        if name != "Choice":
            jsonschema.Draft202012Validator.check_schema(component)


def test_real_responses_match_the_document(client):  # C17
    doc = client.get("/consent/openapi.json").get_json()
    r = client.get("/consent/state")
    _check(doc, "/consent/state", "get", r.status_code, r.get_json())
    token = csrf_token(client)
    bad = client.post("/consent", json={"action": "nope"}, headers={"X-CSRFToken": token})
    _check(doc, "/consent", "post", bad.status_code, bad.get_json())
    no_token = client.post("/consent", json={"action": "accept_all"})
    _check(doc, "/consent", "post", no_token.status_code, no_token.get_json())
    ok = client.post("/consent", json={"action": "save", "purposes": ["analytics"]}, headers={"X-CSRFToken": token})
    _check(doc, "/consent", "post", ok.status_code, ok.get_json())
    granted = client.post("/consent", json={"action": "grant", "purposes": ["location"]},
                          headers={"X-CSRFToken": token})
    _check(doc, "/consent", "post", granted.status_code, granted.get_json())
    history = client.get("/consent/history")
    _check(doc, "/consent/history", "get", history.status_code, history.get_json())
    assert len(history.get_json()["records"]) == 2
    record_id = history.get_json()["records"][0]["id"]
    receipt = client.get(f"/consent/receipt/{record_id}")
    _check(doc, "/consent/receipt/{record_id}", "get", receipt.status_code, receipt.get_json())
    missing = client.get("/consent/receipt/unknown-record-id")
    _check(doc, "/consent/receipt/{record_id}", "get", missing.status_code, missing.get_json())


def test_schemathesis_against_the_live_app_finds_nothing(tmp_path):
    """Schemathesis' default checks (no 5xx, status codes, content types, headers and bodies as documented,
    schema-valid input accepted, schema-violating input refused) over every operation, coverage and fuzzing
    phases. The stateful phase stays off: the CLI's fixed Cookie header cannot follow the consent cookie a
    POST sets, so its receipts would (rightly) be 404 for that "visitor"."""
    app = build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"), CONSENT_RATE_LIMIT=None)
    server = LiveServer(app)
    try:
        session = requests.Session()
        token = session.get(server.url + "/consent/state", timeout=10).json()["csrf_token"]
        # The CSRF cookie and header go in as the document's security schemes, not as fixed headers, so that
        # Schemathesis can also leave them out and see the change refused.
        config = tmp_path / "schemathesis.toml"
        config.write_text(f'[auth.openapi.csrfCookie]\napi_key = "{session.cookies["consent_csrf"]}"\n'
                          f'[auth.openapi.csrfHeader]\napi_key = "{token}"\n')
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
             server.url + "/consent/openapi.json",
             "--max-examples", "60", "--phases", "examples,coverage,fuzzing", "--no-color",
             # A missing or stale CSRF token is a 400, as Flask-WTF answers it: the token guards against
             # cross-site posts and identifies nobody, so the 401/403 that check expects does not apply.
             "--exclude-checks", "ignored_auth"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failure" not in run.stdout.split("SUMMARY")[-1]
