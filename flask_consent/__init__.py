"""flask_consent: a consent banner, a signed consent cookie and a consent log for Flask shops."""

from __future__ import annotations

from .context import current_consent
from .context import locale as current_locale
from .decorators import consent_required
from .exc import ChoiceError, ConfigurationError, ConsentError
from .extension import Consent
from .purposes import GCM_TYPES, NECESSARY, Cookie, Purpose
from .signals import consent_changed
from .state import ConsentState, Decision
from .store import ConsentRecord, ConsentStore, SQLStore

__all__ = [
    "GCM_TYPES",
    "NECESSARY",
    "ChoiceError",
    "ConfigurationError",
    "Consent",
    "ConsentError",
    "ConsentRecord",
    "ConsentState",
    "ConsentStore",
    "Cookie",
    "Decision",
    "Purpose",
    "SQLStore",
    "consent_changed",
    "consent_required",
    "current_consent",
    "current_locale",
]
__version__ = "0.1.0"
