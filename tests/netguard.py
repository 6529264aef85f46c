"""Loopback only: every socket a test opens may connect to 127.0.0.0/8, ::1 or a Unix socket, nothing else.

conftest.py installs ``guard`` for every test (autouse), so a test that would reach a real network (Twilio,
a mistyped gateway URL, a DNS name) fails at once with ``NonLoopbackConnection`` instead of sending
anything. Processes a test starts (gunicorn, chromium) are not covered: they are given 127.0.0.1
addresses by the tests themselves, and PostgreSQL's client library opens its own sockets: conftest.py
checks TEST_DATABASE_URL's host with ``check_host`` instead.
"""
from __future__ import annotations

import ipaddress
import socket


class NonLoopbackConnection(AssertionError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:  # a host name: only resolved names (by create_connection) reach here as addresses
        return False


def _check(sock, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
        raise NonLoopbackConnection(f"a test tried to connect to {address!r}; tests talk only to 127.0.0.1")


def check_host(host: str | None) -> None:
    """A database URL's host: none (a Unix socket), a socket directory, or loopback."""
    if host and not host.startswith("/") and not is_loopback((host, 0)):
        raise NonLoopbackConnection(f"TEST_DATABASE_URL points at {host!r}; tests talk only to 127.0.0.1")


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def install(monkeypatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
