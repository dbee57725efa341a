"""Helpers for outage tests: a TCP proxy that can be cut ("firewalled by port"), and replay in other processes."""

from __future__ import annotations

import socket
import threading
from typing import Any

from flask import Flask

from flask_consent import Consent


class CuttableProxy:
    """Forwards a local port to ``target``; :meth:`cut` drops every connection and refuses new ones.

    Lets a test take the database away from the app without touching the shared PostgreSQL server.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.restore()

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listening socket and reset every forwarded connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def replay_app(instance: str, db_url: str, **config: Any) -> Flask:
    """A minimal app on the same instance folder and database, as a second worker or a cron job would have."""
    from conftest import shop_purposes

    app = Flask("replayer", instance_path=instance)
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True, CONSENT_DATABASE_URL=db_url)
    app.config.update(config)
    Consent(app, purposes=shop_purposes())
    return app


def replay_in_process(instance: str, db_url: str, barrier: Any, results: Any) -> None:
    """Run in a child process: wait for the others, then flush the spool at the same moment."""
    app = replay_app(instance, db_url)
    with app.app_context():
        ext = app.extensions["consent"]
        barrier.wait(30)
        results.put(ext.flush_spool())
