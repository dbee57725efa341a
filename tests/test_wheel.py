"""Issue 2, item 8: the wheel is the product. Build it, install it in a clean venv, serve the banner from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = textwrap.dedent('''
    import json, sys, tempfile
    import flask_consent
    from flask import Flask
    from flask_consent import Consent, Purpose

    app = Flask("wheel_app", instance_path=tempfile.mkdtemp())
    app.config.update(SECRET_KEY="wheel-test-secret-key-0123456789", TESTING=True)
    Consent(app, purposes=[Purpose("analytics", "Analytics", "Counts visits.")])
    app.extensions["consent"].store.init_db()

    @app.get("/")
    def index():
        return "<!doctype html><html><body><h1>Wheel shop</h1></body></html>"

    client = app.test_client()
    out = {"module": flask_consent.__file__}
    for path in ("/", "/consent/static/consent/consent.css", "/consent/static/consent/consent.js",
                 "/consent/preferences"):
        r = client.get(path)
        out[path] = [r.status_code, r.get_data(as_text=True)]
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, cwd=out,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_carries_templates_static_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for inside in ("flask_consent/py.typed", "flask_consent/templates/consent/banner.html",
                   "flask_consent/templates/consent/preferences.html", "flask_consent/templates/consent/prompt.html",
                   "flask_consent/static/consent/consent.css", "flask_consent/static/consent/consent.js"):
        assert inside in names, inside
    assert not any(n.startswith(("templates/", "static/", "tests/", "example_shop/")) for n in names)
    assert wheel.name.startswith("flask_consent_log-")


def test_installed_wheel_serves_banner_css_and_js(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=300)

    workdir = tmp_path / "elsewhere"  # outside the checkout, so only the installed package can be imported
    workdir.mkdir()
    (workdir / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(python), "app.py"], cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)

    assert Path(out["module"]).resolve().is_relative_to(env_dir.resolve())
    status, html = out["/"]
    assert status == 200 and 'id="consent-banner"' in html and "Reject all" in html
    assert html.index('id="consent-banner"') < html.index("</body>")
    for asset in ("consent.css", "consent.js"):
        status, body = out[f"/consent/static/consent/{asset}"]
        assert status == 200 and body == (ROOT / "static" / "consent" / asset).read_text()
    assert out["/consent/preferences"][0] == 200
