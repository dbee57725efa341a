"""ConsentState: one visitor's decisions, as an immutable value, and the pure rules that change it."""

from __future__ import annotations

import os
from binascii import b2a_base64
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Literal, TypeVar

from .exc import ChoiceError
from .purposes import Purpose, PurposeRegistry

T = TypeVar("T")
Action = Literal["accept_all", "reject_all", "save", "grant"]
Scope = Literal["all", "due"]
ACTIONS: tuple[str, ...] = ("accept_all", "reject_all", "save", "grant")
SCOPES: tuple[str, ...] = ("all", "due")

#: Why the banner is shown: nothing decided yet, the policy changed, a purpose changed, or time ran out.
Reason = Literal["first_visit", "policy_changed", "purpose_changed", "expired"]


def frozen(cls: type[T], **fields: object) -> T:
    """An instance of the frozen dataclass ``cls`` from a value for every one of its fields.

    The same object as ``cls(**fields)`` (no ``__post_init__`` is involved), made without the generated
    ``__init__``, which sets each field through ``object.__setattr__``: on the write path that costs more
    than the rest of building the object.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def new_id(nbytes: int = 12) -> str:
    """A random, URL-safe identifier (96 bits by default): what ``secrets.token_urlsafe`` makes."""
    return b64url(os.urandom(nbytes)).decode()


def b64url(data: bytes) -> bytes:
    """URL-safe base64 without padding (what ``secrets.token_urlsafe`` and itsdangerous's ``base64_encode``
    write), in C calls only."""
    return b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True)
class Decision:
    """A visitor's answer for one purpose, on one version of it.

    ``gpc_override`` marks a grant the visitor gave explicitly while a Global Privacy Control signal was on:
    such a grant is honoured even though the signal would otherwise refuse the purpose.
    """

    granted: bool
    version: int
    gpc_override: bool = False


#: Decisions are immutable values, so the few distinct ones are made once and shared.
_DECISIONS: dict[tuple[bool, int, bool], Decision] = {}


def decision(granted: bool, version: int, gpc_override: bool = False) -> Decision:
    """The :class:`Decision` with these values (one shared instance per distinct value)."""
    key = (granted, version, gpc_override)
    d = _DECISIONS.get(key)
    if d is None:
        d = Decision(granted, version, gpc_override)
        if len(_DECISIONS) < 4096:  # versions are small integers; a hostile cookie cannot grow this much
            _DECISIONS[key] = d
    return d


class InForce(dict[str, Decision]):
    """The decisions of a state that are in force: a read-only dict, which keeps what is worked out from it.

    Many states share one ``InForce``: the states ``at`` makes, one per request, from one decoded cookie, and
    every state that one first choice makes (see ``PurposeRegistry.first_choices``). What depends only on
    these decisions, the purposes' registry and the GPC signal (the granted/refused split, the record's
    maps, the cookie's JSON of the decisions) is worked out once and kept in ``memo``, a handful of entries
    at most, each keyed by a tuple that starts with the name of what it keeps.
    """

    __slots__ = ("memo",)
    memo: dict[object, Any]

    def _read_only(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("The decisions in force are shared by many states and never change; copy them to edit.")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle as a new one (``_read_only`` bars item by item)
        return in_force_of, (dict(self),)


def in_force_of(decisions: Mapping[str, Decision] | None = None) -> InForce:
    """A new :class:`InForce` holding ``decisions``, with an empty memo."""
    made = InForce(decisions or ())
    made.memo = {}
    return made


#: ``split``'s place in an ``InForce``'s memo, without and with a GPC signal.
_SPLIT = ("split", False)
_SPLIT_GPC = ("split", True)
#: How many first choices a registry keeps (their keys partly come from the client's choice).
_FIRST_CHOICES_LIMIT = 64


@dataclass(frozen=True)
class ConsentState:
    """Everything known about one visitor's consent during one request.

    A state is built from the consent cookie (or is *undecided* when there is none) and never changes;
    :meth:`apply` returns a new state for a new choice.
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

    def at(self, now: datetime) -> ConsentState:
        """The same state read at ``now``: a copy that keeps what was worked out already.

        The extension keeps decoded states until their decisions expire, so the decisions in force are usually
        the same at ``now``; read after that, they are worked out again (none is in force any more).
        """
        twin: ConsentState = object.__new__(ConsentState)
        fields = twin.__dict__
        fields.update(self.__dict__)
        fields["now"] = now
        decided = self.decided_at
        if decided is not None and now - decided > self.max_age:
            fields.pop("_in_force", None)
        return twin

    # --- reading -----------------------------------------------------------------------------------------

    @property
    def expired(self) -> bool:
        """True when the oldest decision in force is older than ``max_age``: everything is due again."""
        return self.decided_at is not None and self.now - self.decided_at > self.max_age

    @property
    def policy_changed(self) -> bool:
        return self.decided_policy is not None and self.decided_policy != self.policy_version

    @cached_property
    def _in_force(self) -> InForce:
        """The decisions that still hold (same policy, same purpose version, not expired), worked out once."""
        if self.policy_changed or self.expired:
            return in_force_of()
        get = self.registry.lookup
        return in_force_of(
            {k: d for k, d in self.decisions.items() if (p := get(k)) is not None and p.version == d.version}
        )

    def current(self, key: str) -> Decision | None:
        """The decision for ``key`` if it still holds (same policy, same purpose version, not expired)."""
        return self._in_force.get(key)

    def gpc_honoured(self, key: str) -> bool:
        """True when the Global Privacy Control signal refuses ``key`` on this request."""
        if not self.gpc or key not in self.registry.gpc_keys:
            return False
        d = self.current(key)
        return not (d is not None and d.granted and d.gpc_override)

    def granted(self, key: str) -> bool:
        """May the shop do what purpose ``key`` covers, for this visitor, now?"""
        purpose = self.registry.lookup(key)
        if purpose is None:
            return False
        if purpose.required:
            return True
        if self.gpc_honoured(key):
            return False
        d = self.current(key)
        return d is not None and d.granted

    def decided(self, key: str | None = None) -> bool:
        """True when ``key`` (or, without a key, every purpose) has a decision that still holds."""
        if key is not None:
            purpose = self.registry.lookup(key)
            if purpose is None:
                return False
            return purpose.required or self.gpc_honoured(key) or self.current(key) is not None
        return not self.due()

    def due(self) -> tuple[Purpose, ...]:
        """The optional purposes the banner must ask about now (never the separate, just-in-time ones)."""
        # Undecided and not refused by the GPC signal (which, with no decision in force, refuses its purposes).
        in_force = self._in_force
        gpc_keys = self.registry.gpc_keys if self.gpc else ()
        return tuple(
            p for p in self.registry.optional if not p.separate and p.key not in in_force and p.key not in gpc_keys
        )

    @property
    def needs_prompt(self) -> bool:
        """True when the banner must be shown."""
        return bool(self.due())

    @property
    def reason(self) -> Reason | None:
        """Why the banner is shown, or None when it is not."""
        if not self.needs_prompt:
            return None
        if all(k in self.registry.gpc_keys and not d.granted for k, d in self.decisions.items()):
            # Only the signal has spoken so far: the visitor has not been asked anything yet.
            return "first_visit"
        if self.expired:
            return "expired"
        if self.policy_changed:
            return "policy_changed"
        # A purpose whose version changed, or one added since the visitor chose: either way what we do changed.
        return "purpose_changed"

    def granted_keys(self) -> list[str]:
        return self.split()[0]

    def split(self) -> tuple[list[str], list[str]]:
        """The purposes granted (necessary ones included) and those refused, in registry order, in one pass:
        what ``granted(key)`` and ``decided(key)`` answer purpose by purpose (kept with the decisions)."""
        in_force = self._in_force
        key = _SPLIT_GPC if self.gpc else _SPLIT
        kept = in_force.memo.get(key)
        if kept is None:
            kept = in_force.memo[key] = self._split(in_force)
        return list(kept[0]), list(kept[1])

    def _split(self, in_force: InForce) -> tuple[tuple[str, ...], tuple[str, ...]]:
        granted: list[str] = []
        denied: list[str] = []
        gpc_keys = self.registry.gpc_keys if self.gpc else ()
        for key, purpose in self.registry.items():
            if purpose.required:
                granted.append(key)
                continue
            d = in_force.get(key)
            if key in gpc_keys and not (d is not None and d.granted and d.gpc_override):
                denied.append(key)  # the GPC signal refuses it
            elif d is not None:
                (granted if d.granted else denied).append(key)
        return tuple(granted), tuple(denied)

    def denied_keys(self) -> list[str]:
        return self.split()[1]

    def current_decisions(self) -> dict[str, Decision]:
        """Decisions still in force, keyed by purpose."""
        return dict(self._in_force)

    # --- changing ----------------------------------------------------------------------------------------

    def scope_keys(self, scope: str) -> list[str]:
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
        """Return the state after the visitor's choice. Raises :class:`ChoiceError` on a bad choice.

        A choice made when no decision is in force (a first visit, or after expiry or a policy change) makes
        the same decisions for every visitor: those are worked out once per registry and shared by every
        state made of them (with their ``InForce``), each with its own ids and times.
        """
        if action not in ACTIONS:
            raise ChoiceError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
        if scope not in SCOPES:
            raise ChoiceError(f"Unknown scope {scope!r}; use 'all' or 'due'.")
        purposes = tuple(purposes)
        merged: tuple[InForce, bool] | None
        if self._in_force:  # this visitor's own decisions: nobody else's choice starts from them
            merged = self._merge(self._decide(action, purposes, scope))
        else:
            first = self.registry.first_choices
            key = (bool(self.gpc), action, scope, frozenset(purposes))  # order and repeats change nothing
            merged = first.get(key)
            if merged is None:
                merged = self._merge(self._decide(action, purposes, scope))  # raises on a bad choice: none kept
                if len(first) >= _FIRST_CHOICES_LIMIT:
                    first.clear()
                first[key] = merged
        return self._with(*merged, method=method, now=now or self.now, record_id=record_id)

    def _decide(self, action: str, purposes: tuple[str, ...], scope: str) -> dict[str, Decision]:
        """The new decisions a (checked) action makes with ``purposes`` (the rest of the state stays)."""
        unknown = [k for k in purposes if k not in self.registry]
        if unknown:
            raise ChoiceError(f"Unknown purposes: {', '.join(map(str, unknown))}.")
        listed = {k for k in purposes if k in self.registry.optional_keys}
        if action == "grant" and not listed:
            raise ChoiceError("The 'grant' action needs at least one optional purpose in 'purposes'.")
        registry = self.registry
        targets = list(listed) if action == "grant" else self.scope_keys(scope)
        if action == "accept_all":  # sensitive purposes need their own consent (PIPL 29, C25)
            targets = [k for k in targets if k not in registry.separate_keys]
        if action == "save":
            targets = list(dict.fromkeys([*targets, *listed]))
        gpc_keys = registry.gpc_keys if self.gpc else ()
        get = registry.lookup
        in_force = self._in_force
        new: dict[str, Decision] = {}
        for key in targets:
            version = get(key).version  # type: ignore[union-attr]  # every target is a known purpose
            gpc_key = key in gpc_keys
            if action == "accept_all":
                d = in_force.get(key)
                overridden = d is not None and d.granted and d.gpc_override  # a grant made over GPC stays one
                new[key] = decision(not gpc_key or overridden, version, overridden)
            elif action == "reject_all":
                new[key] = decision(False, version)
            else:  # save / grant: the listed purposes are explicit grants, even over GPC
                explicit = key in listed
                new[key] = decision(explicit, version, explicit and gpc_key)
        return new

    def apply_gpc(self, *, now: datetime | None = None, record_id: str | None = None) -> ConsentState | None:
        """The state after honouring the GPC signal, or None when it has nothing left to refuse.

        The first request that honours the signal for a visitor turns it into stored refusals (one ``gpc``
        record and a cookie), so the opt-out is proven and outlives the signal (C14, C19); a purpose that is
        already refused, or explicitly granted under the signal, is left alone, so later requests write nothing.
        """
        if not self.gpc:
            return None
        pending = [
            k
            for k in self.registry.gpc_keys
            if self.gpc_honoured(k) and ((d := self.current(k)) is None or d.granted)
        ]
        if not pending:
            return None
        new = {k: decision(False, self.registry[k].version) for k in sorted(pending)}
        return self._with(*self._merge(new), method="gpc", now=now or self.now, record_id=record_id)

    def adopt(self, other: ConsentState, *, method: str, record_id: str | None = None) -> ConsentState:
        """This device's state taking the decisions of ``other`` (login merge), keeping this device's ids."""
        return ConsentState(
            registry=self.registry,
            policy_version=self.policy_version,
            max_age=self.max_age,
            now=self.now,
            decisions=dict(other.current_decisions()),
            decided_policy=self.policy_version,
            decided_at=other.decided_at,
            changed_at=self.now,
            consent_id=self.consent_id or new_id(),
            subject_id=self.subject_id or other.subject_id or new_id(),
            record_id=record_id or other.record_id,
            method=method,
            gpc=self.gpc,
        )

    def _merge(self, new: Mapping[str, Decision]) -> tuple[InForce, bool]:
        """The decisions after ``new`` ones, in registry order: what was in force stays, the rest is new; and
        whether any decision in force was kept (then the oldest decision's time stays too)."""
        in_force = self._in_force
        ordered: dict[str, Decision] = {}
        kept = False
        for p in self.registry.optional:
            d = in_force.get(p.key)
            if d is not None and p.key not in new:
                ordered[p.key] = d
                kept = True
            elif (d := new.get(p.key)) is not None:
                ordered[p.key] = d
        return in_force_of(ordered), kept

    def _with(
        self, decisions: InForce, kept: bool, *, method: str, now: datetime, record_id: str | None
    ) -> ConsentState:
        """The state holding ``decisions`` (from ``_merge``), decided now.

        They are the new state's decisions in force too (same policy, current purpose versions), so its
        ``InForce`` is shared with the new state, and with it what is kept there; unless a kept decision's
        time (the oldest decision's) is past ``max_age`` at ``now``: then none is in force.
        """
        base = self.decided_at if kept and self.decided_at else now
        state = frozen(
            ConsentState,
            registry=self.registry,
            policy_version=self.policy_version,
            max_age=self.max_age,
            now=now,
            decisions=decisions,
            decided_policy=self.policy_version,
            decided_at=base,
            changed_at=now,
            consent_id=self.consent_id or new_id(),
            subject_id=self.subject_id or new_id(),
            record_id=record_id,
            method=method,
            gpc=self.gpc,
        )
        if not (kept and now - base > self.max_age):
            state.__dict__["_in_force"] = decisions
        return state

    def same_decisions(self, other: ConsentState) -> bool:
        """True when ``other`` holds the very same decisions as this state (an unchanged choice)."""
        return self._in_force == other._in_force and not (
            self.expired or self.policy_changed
        )


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
