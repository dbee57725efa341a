"""Sign-in throttling: after too many wrong passwords for one account, or from one address, sign-in is
refused for a while (429), so passwords cannot be guessed at the speed of the server.

Wrong passwords are counted with the ``limits`` library in a moving window, per e-mail address typed (whether
or not such an account exists, so the answer reveals nothing) and per client address. Config, with defaults:
``SHOP_LOGIN_LIMIT_ACCOUNT`` [``10 per 15 minutes``], ``SHOP_LOGIN_LIMIT_ADDRESS`` [``50 per 15 minutes``,
higher because many shoppers can share one address] and ``SHOP_LOGIN_LIMIT_STORAGE`` [``memory://``, one
count per process; give a ``redis://`` URI when the shop runs several processes]. The price of the account
limit is that anyone can hold one account's sign-in shut for the window; the account's owner still has
every other way in (a session or "keep me signed in" cookie they already hold).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage, strategies


class LoginThrottle:
    """Counts wrong passwords and answers whether a sign-in attempt may go ahead."""

    def __init__(self, app: Flask) -> None:
        app.config.setdefault("SHOP_LOGIN_LIMIT_ACCOUNT", "10 per 15 minutes")
        app.config.setdefault("SHOP_LOGIN_LIMIT_ADDRESS", "50 per 15 minutes")
        app.config.setdefault("SHOP_LOGIN_LIMIT_STORAGE", "memory://")
        self.account = parse(app.config["SHOP_LOGIN_LIMIT_ACCOUNT"])
        self.address = parse(app.config["SHOP_LOGIN_LIMIT_ADDRESS"])
        self.limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(app.config["SHOP_LOGIN_LIMIT_STORAGE"])
        )
        app.extensions["shop_login_throttle"] = self

    def _checks(self, email: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [(self.account, ("login", "account", email)), (self.address, ("login", "address", address))]

    def wait_seconds(self, email: str, address: str) -> int:
        """Seconds until this e-mail and address may try again; 0 when they may try now."""
        waits = [
            self.limiter.get_window_stats(limit, *keys).reset_time - time.time()
            for limit, keys in self._checks(email, address)
            if not self.limiter.test(limit, *keys)
        ]
        return max((max(1, math.ceil(wait)) for wait in waits), default=0)

    def failed(self, email: str, address: str) -> None:
        """Count one wrong password for this e-mail and this address."""
        for limit, keys in self._checks(email, address):
            self.limiter.hit(limit, *keys)


def login_throttle() -> LoginThrottle:
    """The current app's throttle."""
    throttle: LoginThrottle = current_app.extensions["shop_login_throttle"]
    return throttle
