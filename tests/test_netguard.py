"""The autouse guard: a test can reach loopback, and nothing else (no packet is ever sent here)."""
from __future__ import annotations

import socket

import pytest

from tests import netguard


@pytest.fixture
def recorded(monkeypatch):
    """Replace the real connect under the guard, so a guard that let an address through is seen, not sent."""
    calls = []
    monkeypatch.setattr(netguard, "_real_connect", lambda sock, address: calls.append(address))
    return calls


@pytest.mark.parametrize("address", [("203.0.113.7", 443), ("api.twilio.com", 443), ("10.1.2.3", 80)])
def test_connecting_outside_loopback_fails_the_test(recorded, address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(netguard.NonLoopbackConnection):
        sock.connect(address)
    assert recorded == []


def test_ipv6_outside_loopback_fails_too(recorded):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock, pytest.raises(netguard.NonLoopbackConnection):
        sock.connect(("2001:db8::1", 443, 0, 0))
    assert recorded == []


@pytest.mark.parametrize("address", [("127.0.0.1", 5432), ("127.8.9.10", 80), ("localhost", 6379)])
def test_loopback_passes(recorded, address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect(address)
    assert recorded == [address]


def test_a_real_loopback_server_is_reached():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            conn, _ = server.accept()
            conn.close()


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@db.example.org/test", "postgresql://u@10.0.0.5:5432/t"])
def test_a_database_outside_loopback_is_refused_before_connecting(monkeypatch, url):
    from tests.conftest import postgres_url

    monkeypatch.setenv("TEST_DATABASE_URL", url)
    with pytest.raises(netguard.NonLoopbackConnection):
        postgres_url()


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql://u@localhost/t",
                                 "postgresql+psycopg:///test", "postgresql+psycopg://u@[::1]/t"])
def test_a_database_on_loopback_or_a_unix_socket_is_accepted(monkeypatch, url):
    from tests.conftest import postgres_url

    monkeypatch.setenv("TEST_DATABASE_URL", url)
    assert postgres_url().startswith("postgresql+psycopg://")
