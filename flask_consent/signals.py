"""Signals the extension sends (blinker, like Flask's own)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after a visitor's choice was recorded, with ``before`` and ``after`` (:class:`ConsentState`) and
#: ``record`` (:class:`ConsentRecord`). The sender is the app.
consent_changed = _signals.signal("consent-changed")
