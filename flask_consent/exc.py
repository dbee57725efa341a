"""The extension's own exceptions."""

from __future__ import annotations


class ConsentError(Exception):
    """Base class of every error flask_consent raises."""


class ConfigurationError(ConsentError, RuntimeError):
    """A developer mistake found at start-up; the message says how to fix it."""


class ChoiceError(ConsentError, ValueError):
    """A consent choice sent by a client is malformed; the message says what is wrong."""


class StoreUnavailable(ConsentError):
    """The consent store could not write; the record was spooled instead."""
