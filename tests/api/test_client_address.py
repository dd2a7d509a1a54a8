"""Throttles key anonymous callers on the client address, never on a header the client chose."""

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from apps.common.client_address import client_address_resolve
from tests.factories import UserFactory


@pytest.fixture
def login_throttle(db, monkeypatch, settings):  # type: ignore[no-untyped-def]
    """The production login throttle (20/min); the lockout is raised out of its way so the
    throttle alone is measured."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "20/min"})
    settings.AXES_FAILURE_LIMIT = 1000
    UserFactory(username="alice")


def wrong_password(client: Client, **headers: str) -> tuple[int, str | None]:
    response = client.post(
        "/api/v1/auth/tokens",
        {"login": "alice", "password": "not-the-password"},
        content_type="application/json",
        headers=headers,
    )
    return response.status_code, response.json()["error"]["code"]


def test_a_fresh_x_forwarded_for_per_request_does_not_escape_the_login_throttle(login_throttle):
    client = Client()

    answers = [wrong_password(client, x_forwarded_for=f"198.51.100.{n}") for n in range(30)]

    assert answers[:20] == [(401, "invalid_credentials")] * 20
    assert answers[20:] == [(429, "rate_limited")] * 10


def test_behind_one_trusted_proxy_distinct_clients_are_told_apart(login_throttle, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()  # the proxy: every request comes from its address

    first = [wrong_password(client, x_forwarded_for="203.0.113.7") for _ in range(21)]
    # The client put its own header in; the proxy appended the address it really saw.
    spoofed = wrong_password(client, x_forwarded_for="192.0.2.1, 203.0.113.7")
    other = wrong_password(client, x_forwarded_for="203.0.113.8")

    assert first[-2:] == [(401, "invalid_credentials"), (429, "rate_limited")]
    assert spoofed == (429, "rate_limited")
    assert other == (401, "invalid_credentials")


@pytest.mark.parametrize(
    ("forwarded_for", "proxies", "expected"),
    [
        (None, 1, "10.0.0.1"),
        ("198.51.100.9", 0, "10.0.0.1"),
        ("198.51.100.9", 1, "198.51.100.9"),
        ("192.0.2.1, 198.51.100.9", 1, "198.51.100.9"),
        ("192.0.2.1, 198.51.100.9, 10.0.0.2", 2, "198.51.100.9"),
        ("198.51.100.9", 2, "198.51.100.9"),
        ("2001:DB8::1", 1, "2001:db8::1"),
        ("not-an-address", 1, "10.0.0.1"),
        ("198.51.100.9:4711", 1, "10.0.0.1"),
    ],
)
def test_the_client_address_counts_trusted_proxies_from_the_right(forwarded_for, proxies, expected):
    resolved = client_address_resolve(
        peer_address="10.0.0.1", forwarded_for=forwarded_for, trusted_proxy_count=proxies
    )

    assert resolved == expected
