"""A weak SECRET_KEY stops the app from serving, never ``flask consent --help`` or ``flask consent check``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import shop_purposes
from flask import Flask, current_app
from flask.cli import FlaskGroup

from flask_consent import Consent
from flask_consent.exc import ConfigurationError

STRONG = "a-strong-secret-key-0123456789abcdef"
FIX = "python -c 'import secrets; print(secrets.token_hex(32))'"


def _factory(tmp_path: Path, key: str | None, **config: Any) -> Callable[[], Flask]:
    """An app factory as a shop writes it; ``probe`` serves one request from inside a flask command."""

    def create_app() -> Flask:
        app = Flask("weak_key_shop", instance_path=str(tmp_path / "instance"))
        app.config.update(SECRET_KEY=key, CONSENT_DATABASE_URL=f"sqlite:///{tmp_path / 'consent.db'}", **config)
        Consent(app, purposes=shop_purposes())

        @app.get("/")
        def index() -> str:
            return "<html><body>shop</body></html>"

        @app.cli.command("probe")
        def probe() -> None:
            print("status", current_app.test_client().get("/").status_code)

        return app

    return create_app


def flask(tmp_path: Path, key: str | None, *args: str, **config: Any) -> Result:
    """``flask ARGS`` for the factory's app, as the ``flask`` command loads it."""
    cli = FlaskGroup(create_app=_factory(tmp_path, key, **config), load_dotenv=False)
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(autouse=True)
def _not_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


@pytest.mark.parametrize("key", ["dev", "short-key", None])
def test_consent_help_works_with_a_weak_or_missing_key(tmp_path: Path, key: str | None) -> None:
    result = flask(tmp_path, key, "consent", "--help")
    assert result.exit_code == 0, result.output
    assert "check" in result.output and "export" in result.output


@pytest.mark.parametrize("key, reason", [("dev", "SECRET_KEY is weak"), (None, "SECRET_KEY is not set")])
def test_check_reports_a_weak_or_missing_key_and_exits_1(tmp_path: Path, key: str | None, reason: str) -> None:
    result = flask(tmp_path, key, "consent", "check")
    assert result.exit_code == 1, result.output
    assert f"problem: {reason}" in result.output
    assert "Traceback" not in result.output


def test_other_commands_run_but_the_app_refuses_every_request(tmp_path: Path) -> None:
    weak = flask(tmp_path, "dev", "probe")
    assert weak.exit_code == 0, weak.output
    assert "status 500" in weak.output
    assert "status 200" in flask(tmp_path, STRONG, "probe").output


def test_flask_run_refuses_a_weak_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr("flask.cli.run_simple", lambda *a, **kw: served.append(a))
    result = flask(tmp_path, "dev", "run")
    assert isinstance(result.exception, ConfigurationError)
    assert "SECRET_KEY is weak" in str(result.exception) and FIX in str(result.exception)
    assert served == []
    assert flask(tmp_path, STRONG, "run").exit_code == 0
    assert len(served) == 1


def test_an_app_made_outside_the_flask_cli_still_refuses_a_weak_key(tmp_path: Path) -> None:
    # What a WSGI server such as gunicorn does: import the module, which makes the app.
    with pytest.raises(ConfigurationError, match="SECRET_KEY is weak") as raised:
        _factory(tmp_path, "change-me")()
    assert FIX in str(raised.value)


def test_debug_mode_warns_about_a_weak_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_consent"):
        app = _factory(tmp_path, "dev", DEBUG=True)()
    assert app.test_client().get("/").status_code == 200
    assert any("SECRET_KEY is weak" in r.getMessage() and "refused in production" in r.getMessage()
               for r in caplog.records)


# --- the real ``flask`` command, on a module named by --app ------------------------------------------------

SHOP = """
from flask import Flask
from flask_consent import Consent, Purpose

app = Flask(__name__, instance_path={instance!r})
app.config["SECRET_KEY"] = {key!r}
Consent(app, purposes=[Purpose("recommendations", title="Personalised recommendations",
                               description="Suggestions from what you browse and buy.")])
"""


def _shop(tmp_path: Path, key: str) -> dict[str, str]:
    (tmp_path / "weak_shop.py").write_text(SHOP.format(instance=str(tmp_path / "instance"), key=key))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    return {**env, "FLASK_APP": "weak_shop"}


def test_the_flask_command_helps_and_checks_with_a_weak_key(tmp_path: Path) -> None:
    env = _shop(tmp_path, "dev")
    helped = subprocess.run([sys.executable, "-m", "flask", "consent", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "Manage the consent log" in helped.stdout and helped.stderr == ""
    checked = subprocess.run([sys.executable, "-m", "flask", "consent", "check"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert "problem: SECRET_KEY is weak" in checked.stdout and "Traceback" not in checked.stderr
    imported = subprocess.run([sys.executable, "-c", "import weak_shop"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
    assert imported.returncode == 1
    assert "ConfigurationError: SECRET_KEY is weak" in imported.stderr
