"""Harbour Goods, the example shop of flask_consent: ``flask --app example_shop run``.

Every optional feature of the shop sits behind one consent purpose (``purposes.py``) and keeps working,
in a non-personal form, when the visitor refuses (C8).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, Request, render_template
from werkzeug.serving import is_running_from_reloader

from flask_consent import Consent

from .extensions import csrf, db, login_manager
from .i18n import init_i18n, select_locale
from .purposes import PURPOSES, SHOP_NAME
from .retention import init_cli
from .security import init_security, protect_database_files
from .signins import init_signins
from .throttle import LoginThrottle

#: The version of the privacy policy (``/privacy/policy``); bumping it asks every visitor again.
POLICY_VERSION = "2026-11"


class InMemoryUploadRequest(Request):
    """Keeps uploaded files in memory (never in a temporary file), so a search photo never touches disk.

    ``MAX_CONTENT_LENGTH`` bounds what that memory can be.
    """

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None, filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return BytesIO()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the shop. ``config`` overrides the defaults; its ``INSTANCE_PATH`` (tests use a temporary
    folder) replaces the ``instance/`` folder where the databases and the generated secret key live."""
    config = dict(config or {})
    app = Flask(__name__, instance_relative_config=True, instance_path=config.pop("INSTANCE_PATH", None))
    app.request_class = InMemoryUploadRequest
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'shop.db'}",
        SHOP_PASSWORD_METHOD="scrypt",
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        CONSENT_POLICY_VERSION=POLICY_VERSION,
        CONSENT_POLICY_URL="/privacy/policy",
        CONSENT_LOCALE_SELECTOR=select_locale,
        CONSENT_CONTROLLER={"piiController": SHOP_NAME, "contact": "Data Protection Officer",
                            "address": "88 Queen's Road Central, Hong Kong", "email": "privacy@harbour-goods.test"},
        CONSENT_UNDECLARED_COOKIES="block",
        # base.html places {{ consent_banner() }} itself; the framed live player must not get a banner.
        CONSENT_AUTO_INJECT=False,
        # The extension's pages (preferences, prompt, declaration, history, receipts) wear the shop's header,
        # navigation, language switch and footer: base.html offers the blocks they fill, title and content.
        CONSENT_BASE_TEMPLATE="base.html",
    )
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    init_security(app)
    protect_database_files(app)

    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    LoginThrottle(app)
    csrf.init_app(app)
    Consent(app, purposes=PURPOSES)

    from . import account, admin, nearby, privacy, search, security, seller, shop, support, thirdparty
    from .withdrawal import connect_withdrawal

    for module in (shop, account, privacy, admin, nearby, search, thirdparty, security, support, seller):
        app.register_blueprint(module.bp)
    from flask_consent.dashboard import make_dashboard

    from .data_requests import open_requests

    app.register_blueprint(
        make_dashboard(guard=admin.admin_guard, requests_provider=open_requests), url_prefix="/admin/consent"
    )
    connect_withdrawal(app)
    init_signins(app)
    init_cli(app)

    init_i18n(app)
    app.register_error_handler(404, lambda e: (render_template("not_found.html"), 404))

    with app.app_context():
        from .models import check_schema
        from .seed import seed

        db.create_all()
        check_schema()
        seed(app)
    _announce_logins(app)
    return app


def instance_secret(instance: Path, name: str = "secret_key") -> str:
    """A secret kept in the instance folder (the secret key, the sign-in log's IP hashing key), created
    (mode 0600) on first run."""
    path = instance / name
    try:
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    except OSError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key


def _announce_logins(app: Flask) -> None:
    """Under ``flask run`` only (not on import, not in tests, not in the reloader's child), print the logins."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run" or is_running_from_reloader():
        return
    from .seed import DEMO_ADMIN, DEMO_MEMBER, DEMO_SELLER, demo_logins

    logins = demo_logins(app)
    click.echo(
        f" * {SHOP_NAME} demo shop. Demo member: {DEMO_MEMBER} / {logins[DEMO_MEMBER]}  "
        f"Admin: {DEMO_ADMIN} / {logins[DEMO_ADMIN]}  Seller (/seller/orders): {DEMO_SELLER} / {logins[DEMO_SELLER]}"
    )
