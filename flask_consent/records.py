"""Building consent records from a request, and turning them into consent receipts."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .purposes import PurposeRegistry, localise
from .state import ConsentState
from .store import ConsentRecord

_UA_FAMILIES = (
    ("bot", re.compile(r"bot|crawl|spider|slurp|headless", re.I)),
    ("Edge", re.compile(r"Edg/|Edge/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser")),
    ("Firefox", re.compile(r"Firefox/|FxiOS")),
    ("Chrome", re.compile(r"Chrome/|CriOS|Chromium")),
    ("Safari", re.compile(r"Safari/")),
    ("curl", re.compile(r"^curl/")),
    ("python", re.compile(r"python|werkzeug", re.I)),
)


def ua_family(user_agent: str | None) -> str | None:
    """The browser family only (never the full user-agent string, C16)."""
    if not user_agent:
        return None
    for name, pattern in _UA_FAMILIES:
        if pattern.search(user_agent):
            return name
    return "other"


def ip_hash(ip: str | None, key: bytes) -> str | None:
    """A keyed hash of the IP address (the raw address is never stored, C16)."""
    if not ip:
        return None
    return hmac.new(key, ip.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def decision_maps(state: ConsentState) -> tuple[dict[str, int], dict[str, int]]:
    """Granted and denied purposes with the versions decided on; necessary purposes count as granted."""
    granted, denied = state.split()
    registry = state.registry
    return {k: registry[k].version for k in granted}, {k: registry[k].version for k in denied}


def make_record(
    state: ConsentState,
    *,
    record_id: str,
    previous_id: str | None,
    method: str,
    banner_hash: str,
    locale: str,
    user_id: str | None,
    ip_hash_value: str | None,
    ua: str | None,
    now: datetime,
) -> ConsentRecord:
    """The log record of ``state`` after a change made by ``method``."""
    granted, denied = decision_maps(state)
    return ConsentRecord(
        id=record_id,
        consent_id=state.consent_id or record_id,
        subject_id=state.subject_id or record_id,
        user_id=user_id,
        created_at=now,
        policy_version=state.policy_version,
        banner_hash=banner_hash,
        granted=granted,
        denied=denied,
        method=method,
        previous_id=previous_id,
        locale=locale,
        gpc=state.gpc,
        ip_hash=ip_hash_value,
        ua_family=ua,
    )


def banner_text_hash(registry: PurposeRegistry, strings: Mapping[str, str], locale: str, policy: str) -> str:
    """SHA-256 of the text a visitor is shown in ``locale``: the banner's wording and every purpose's texts."""
    parts: list[str] = [locale, policy]
    parts += [strings[k] for k in ("banner_title", "banner_text", "accept_all", "reject_all", "customise", "save")]
    for p in registry.values():
        parts += [p.key, str(p.version), localise(p.title, locale), localise(p.description, locale)]
        parts += [localise(p.refusal_effect, locale), ", ".join(p.vendors)]
        parts += [f"{c.pattern}:{localise(c.lifetime, locale)}" for c in p.cookies]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def receipt(
    record: ConsentRecord,
    registry: PurposeRegistry,
    *,
    controller: Mapping[str, str] | None,
    policy_url: str,
    jurisdiction: str,
    locale: str,
) -> dict[str, Any]:
    """A consent receipt for ``record`` with the ISO/IEC TS 27560 / Kantara Consent Receipt 1.1 fields.

    A purpose's vendors are its third parties, except the controller itself (a vendor named like
    ``controller["piiController"]`` or ``controller["name"]``): the shop's own processing is no disclosure.
    """
    own = {
        str(controller[field]).strip().casefold()
        for field in ("piiController", "name")
        if controller and controller.get(field)
    }

    def purpose_entry(key: str, version: int, granted: bool) -> dict[str, Any]:
        p = registry.get(key)
        third_parties = [v for v in p.vendors if v.strip().casefold() not in own] if p else []
        return {
            "purpose": key,
            "purposeVersion": version,
            "purposeDescription": localise(p.description, locale) if p else "",
            "consentType": "NOT-REQUIRED" if p is not None and p.required else "EXPLICIT",
            "status": "granted" if granted else "denied",
            "thirdPartyDisclosure": bool(third_parties),
            "thirdPartyNames": third_parties,
            "primaryPurpose": bool(p and p.required),
        }

    services = [purpose_entry(k, v, True) for k, v in record.granted.items()]
    services += [purpose_entry(k, v, False) for k, v in record.denied.items()]
    created = record.created_at.astimezone(timezone.utc)
    return {
        "version": "KI-CR-v1.1.0",
        "jurisdiction": jurisdiction,
        "consentTimestamp": int(created.timestamp()),
        "consentTime": created.isoformat().replace("+00:00", "Z"),
        "collectionMethod": record.method,
        "consentReceiptID": record.id,
        "previousReceiptID": record.previous_id,
        "consentID": record.consent_id,
        "publicKey": None,
        "language": record.locale,
        "piiPrincipalId": record.subject_id,
        "piiControllers": [dict(controller)] if controller else [],
        "policyUrl": policy_url,
        "policyVersion": record.policy_version,
        "noticeHash": record.banner_hash,
        "globalPrivacyControl": record.gpc,
        "services": services,
        "sensitive": False,
        "spiCat": [],
    }
