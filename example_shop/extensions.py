"""The shop's Flask extensions, created unbound so that ``create_app`` can bind them to each app.

``Consent`` keeps per-app state on itself, so ``create_app`` makes one per app instead of sharing one here.
"""

from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of the shop's tables."""


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
