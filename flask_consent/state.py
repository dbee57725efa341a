"""ConsentState: one visitor's decisions, as an immutable value, and the pure rules that change it."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Literal

from .exc import ChoiceError
from .purposes import Purpose, PurposeRegistry

Action = Literal["accept_all", "reject_all", "save", "grant"]
Scope = Literal["all", "due"]
ACTIONS: tuple[str, ...] = ("accept_all", "reject_all", "save", "grant")
SCOPES: tuple[str, ...] = ("all", "due")

#: How a visitor answers the banner's question (``views.method_for``), as the cookie keeps its last change.
ANSWER_METHODS = frozenset({"banner_accept_all", "banner_reject_all", "banner_custom", "preferences"})

#: Why the banner is shown: nothing decided yet, the policy changed, a purpose changed, or time ran out.
Reason = Literal["first_visit", "policy_changed", "purpose_changed", "expired"]


def new_id(nbytes: int = 12) -> str:
    """A random, URL-safe identifier (96 bits by default)."""
    return secrets.token_urlsafe(nbytes)


@dataclass(frozen=True)
class Decision:
    """A visitor's answer for one purpose, on one version of it.

    ``gpc_override`` marks a grant the visitor gave explicitly while a Global Privacy Control signal was on:
    such a grant is honoured even though the signal would otherwise refuse the purpose.
    """

    granted: bool
    version: int
    gpc_override: bool = False


@dataclass
class ConsentState:
    """Everything known about one visitor's consent during one request.

    A state is built from the consent cookie (or is *undecided* when there is none) and never changes;
    :meth:`apply` returns a new state for a new choice. It is a value by convention rather than a frozen
    dataclass: a frozen one sets each field through ``object.__setattr__``, which made building the state the
    largest single cost of a page view.
    """

    registry: PurposeRegistry
    policy_version: str
    max_age: timedelta
    now: datetime
    decisions: Mapping[str, Decision] = field(default_factory=dict)
    decided_policy: str | None = None
    decided_at: datetime | None = None
    changed_at: datetime | None = None
    consent_id: str | None = None
    subject_id: str | None = None
    record_id: str | None = None
    method: str | None = None
    gpc: bool = False
    _in_force: dict[str, Decision] = field(init=False, repr=False, compare=False)
    _due: tuple[Purpose, ...] = field(init=False, repr=False, compare=False)

    def at(self, now: datetime) -> ConsentState:
        """The same state read at ``now`` (its decisions may have expired by then)."""
        return replace(self, now=now)

    # --- reading -----------------------------------------------------------------------------------------

    @property
    def expired(self) -> bool:
        """True when the oldest decision in force is older than ``max_age``: everything is due again."""
        return self.decided_at is not None and self.now - self.decided_at > self.max_age

    @property
    def policy_changed(self) -> bool:
        return self.decided_policy is not None and self.decided_policy != self.policy_version

    def __post_init__(self) -> None:
        # What every question about the state starts from, worked out once when the state is made.
        in_force = self._decisions_in_force()
        self._in_force = in_force
        # Due: asked in the banner, with no decision in force and no GPC signal refusing it.
        due: tuple[Purpose, ...] = ()
        if not in_force.keys() >= self.registry.asked_keys:
            refused = self.registry.gpc_keys if self.gpc else frozenset()
            due = tuple(p for p in self.registry.asked if p.key not in in_force and p.key not in refused)
        self._due = due

    def _decisions_in_force(self) -> dict[str, Decision]:
        """The decisions that still hold: same policy, same purpose version, not expired."""
        if not self.decisions or self.policy_changed or self.expired:
            return {}
        versions = self.registry.versions
        return {k: d for k, d in self.decisions.items() if versions.get(k) == d.version}

    def current(self, key: str) -> Decision | None:
        """The decision for ``key`` if it still holds (same policy, same purpose version, not expired)."""
        return self._in_force.get(key)

    def current_decisions(self) -> dict[str, Decision]:
        """Decisions still in force, keyed by purpose."""
        return dict(self._in_force)

    def refused_by_gpc(self) -> tuple[str, ...]:
        """The purposes the Global Privacy Control signal refuses on this request, in registry order."""
        if not self.gpc:
            return ()
        return tuple(p.key for p in self.registry.optional if self.gpc_honoured(p.key))

    def gpc_honoured(self, key: str) -> bool:
        """True when the Global Privacy Control signal refuses ``key`` on this request."""
        if not self.gpc or key not in self.registry.gpc_keys:
            return False
        d = self.current(key)
        return not (d is not None and d.granted and d.gpc_override)

    def granted(self, key: str) -> bool:
        """May the shop do what purpose ``key`` covers, for this visitor, now?"""
        purpose = self.registry.get(key)
        if purpose is None:
            return False
        if purpose.required:
            return True
        d = self._in_force.get(key)
        if d is None or not d.granted:
            return False
        # A grant holds unless the GPC signal refuses the purpose and the grant was not given over it.
        return d.gpc_override or not (self.gpc and key in self.registry.gpc_keys)

    def decided(self, key: str | None = None) -> bool:
        """True when ``key`` (or, without a key, every purpose) has a decision that still holds."""
        if key is None:
            return not self.due()
        purpose = self.registry.get(key)
        if purpose is None:
            return False
        return purpose.required or self.gpc_honoured(key) or self.current(key) is not None

    def due(self) -> tuple[Purpose, ...]:
        """The optional purposes the banner must ask about now (never the separate, just-in-time ones)."""
        return self._due

    @property
    def needs_prompt(self) -> bool:
        """True when the banner must be shown."""
        return bool(self.due())

    @property
    def reason(self) -> Reason | None:
        """Why the banner is shown, or None when it is not.

        Only an answer given in the banner or the preferences counts as having been asked. A refusal the GPC
        signal made, or a just-in-time grant (a prompt grants one purpose and decides nothing else), leaves a
        visitor who has never seen the banner's question: they get the first-visit text. A due purpose is
        "changed" when the visitor decided an older version of it, or when they had answered the banner (a
        refusal only the banner or preferences make, or a last change made there) before it was added.
        """
        due = self.due()
        if not due:
            return None
        registry = self.registry
        answers = {
            k: d for k, d in self.decisions.items()
            if k not in registry.separate_keys and not (k in registry.gpc_keys and not d.granted)
        }
        if not answers:
            return "first_visit"
        if self.expired:
            return "expired"
        if self.policy_changed:
            return "policy_changed"
        answered_banner = self.method in ANSWER_METHODS or not all(d.granted for d in answers.values())
        if answered_banner or any(p.key in self.decisions for p in due):
            return "purpose_changed"
        return "first_visit"

    def split(self) -> tuple[list[str], list[str]]:
        """The purposes granted (necessary ones included) and those refused, in registry order."""
        granted: list[str] = []
        denied: list[str] = []
        for key in self.registry:
            if self.granted(key):
                granted.append(key)
            elif self.decided(key):
                denied.append(key)
        return granted, denied

    def granted_keys(self) -> list[str]:
        return self.split()[0]

    def denied_keys(self) -> list[str]:
        return self.split()[1]

    # --- changing ----------------------------------------------------------------------------------------

    def scope_keys(self, scope: str) -> list[str]:
        """The optional purposes a choice of ``scope`` covers: ``due`` ones, or ``all``."""
        if scope == "due":
            return [p.key for p in self.due()]
        return [p.key for p in self.registry.optional]

    def apply(
        self,
        action: str,
        purposes: Collection[str] = (),
        scope: str = "all",
        *,
        method: str,
        now: datetime | None = None,
        record_id: str | None = None,
    ) -> ConsentState:
        """Return the state after the visitor's choice. Raises :class:`ChoiceError` on a bad choice."""
        if action not in ACTIONS:
            raise ChoiceError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
        if scope not in SCOPES:
            raise ChoiceError(f"Unknown scope {scope!r}; use 'all' or 'due'.")
        purposes = tuple(purposes)
        unknown = [k for k in purposes if k not in self.registry]
        if unknown:
            raise ChoiceError(f"Unknown purposes: {', '.join(map(str, unknown))}.")
        listed = {k for k in purposes if k in self.registry.optional_keys}
        if action == "grant" and not listed:
            raise ChoiceError("The 'grant' action needs at least one optional purpose in 'purposes'.")
        targets = list(listed) if action == "grant" else self.scope_keys(scope)
        if action == "accept_all":  # sensitive purposes need their own consent (PIPL 29, C25)
            targets = [k for k in targets if k not in self.registry.separate_keys]
        if action == "save":
            targets = list(dict.fromkeys([*targets, *listed]))
        new: dict[str, Decision] = {}
        for key in targets:
            version = self.registry.versions[key]
            gpc_key = self.gpc and key in self.registry.gpc_keys
            if action == "accept_all":
                d = self.current(key)
                overridden = d is not None and d.granted and d.gpc_override  # a grant made over GPC stays one
                new[key] = Decision(not gpc_key or overridden, version, overridden)
            elif action == "reject_all":
                new[key] = Decision(False, version)
            else:  # save / grant: the listed purposes are explicit grants, even over GPC
                explicit = key in listed
                d = self.current(key)
                kept_override = d is not None and d.granted and d.gpc_override  # granted over GPC before: still is
                new[key] = Decision(explicit, version, explicit and (gpc_key or kept_override))
        return self._with(new, method=method, now=now or self.now, record_id=record_id)

    def apply_gpc(self, *, now: datetime | None = None, record_id: str | None = None) -> ConsentState | None:
        """The state after honouring the GPC signal, or None when it has nothing left to refuse.

        The first request that honours the signal for a visitor turns it into stored refusals (one ``gpc``
        record and a cookie), so the opt-out is proven and outlives the signal (C14, C19); a purpose that is
        already refused, or explicitly granted under the signal, is left alone, so later requests write nothing.
        """
        if not self.gpc:
            return None
        pending = sorted(
            k for k in self.registry.gpc_keys
            if self.gpc_honoured(k) and ((d := self.current(k)) is None or d.granted)
        )
        if not pending:
            return None
        new = {k: Decision(False, self.registry.versions[k]) for k in pending}
        # The cookie keeps how the visitor last answered (the record says "gpc"): the signal answers nothing.
        return self._with(new, method=self.method or "gpc", now=now or self.now, record_id=record_id)

    def adopt(self, other: ConsentState, *, method: str, record_id: str | None = None) -> ConsentState:
        """This device's state taking the decisions of ``other`` (a member's, at sign-in).

        Only the decisions travel: the device keeps its own consent and subject ids (new ones when it has
        none), so a member's subject, history and records never reach a shared device.
        """
        return replace(
            self,
            decisions=other.current_decisions(),
            decided_policy=self.policy_version,
            decided_at=other.decided_at,
            changed_at=self.now,
            consent_id=self.consent_id or new_id(),
            subject_id=self.subject_id or new_id(),
            record_id=record_id or new_id(16),
            method=method,
        )

    def _with(
        self, new: Mapping[str, Decision], *, method: str, now: datetime, record_id: str | None
    ) -> ConsentState:
        """The state holding the decisions in force with ``new`` ones over them, decided at ``now``.

        When decisions in force are kept, so is the time of the oldest one (re-asking counts from it).
        """
        in_force = self._in_force
        decisions = {
            p.key: new.get(p.key) or in_force[p.key]
            for p in self.registry.optional
            if p.key in new or p.key in in_force
        }
        kept = any(k not in new for k in decisions)
        return ConsentState(
            registry=self.registry,
            policy_version=self.policy_version,
            max_age=self.max_age,
            gpc=self.gpc,
            now=now,
            decisions=decisions,
            decided_policy=self.policy_version,
            decided_at=self.decided_at if kept and self.decided_at else now,
            changed_at=now,
            consent_id=self.consent_id or new_id(),
            subject_id=self.subject_id or new_id(),
            record_id=record_id,
            method=method,
        )

    def same_decisions(self, other: ConsentState) -> bool:
        """True when ``other`` holds the very same decisions in force as this state (an unchanged choice)."""
        if self.expired or self.policy_changed:
            return False
        return self._in_force == other._in_force and self.granted_keys() == other.granted_keys()


def undecided(
    registry: PurposeRegistry, policy_version: str, max_age: timedelta, *, gpc: bool = False,
    now: datetime | None = None,
) -> ConsentState:
    """The state of a visitor who has decided nothing (or whose cookie could not be trusted)."""
    return ConsentState(
        registry=registry,
        policy_version=policy_version,
        max_age=max_age,
        now=now or datetime.now(timezone.utc),
        gpc=gpc,
    )
