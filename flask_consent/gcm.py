"""Google Consent Mode v2: the consent types that follow from a visitor's decisions."""

from __future__ import annotations

import json

from markupsafe import Markup

from .purposes import GCM_TYPES
from .state import ConsentState


def gcm_state(state: ConsentState) -> dict[str, str]:
    """All seven consent types, ``granted`` or ``denied``; undecided is denied, ``security_storage`` granted."""
    granted = {t for key in state.granted_keys() for t in state.registry[key].gcm}
    granted.add("security_storage")
    return {t: "granted" if t in granted else "denied" for t in GCM_TYPES}


def gcm_default_snippet(state: ConsentState, nonce: str | None, wait_for_update: int = 500) -> Markup:
    """The inline ``gtag('consent','default',…)`` that must run before any Google tag (C21)."""
    params: dict[str, str | int] = {**gcm_state(state), "wait_for_update": int(wait_for_update)}
    nonce_attr = Markup(' nonce="%s"') % nonce if nonce else Markup("")
    body = (
        "window.dataLayer=window.dataLayer||[];"
        "window.gtag=window.gtag||function(){dataLayer.push(arguments)};"
        f"gtag('consent','default',{json.dumps(params, separators=(',', ':'))});"
    )
    # Only fixed type names and granted/denied go into the script body, never visitor data.
    return Markup("<script%s>%s</script>") % (nonce_attr, Markup(body))
