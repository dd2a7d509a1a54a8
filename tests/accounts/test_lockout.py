"""Brute force: failed logins lock out the account and the client address, on every login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from apps.accounts.models import ApiToken
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 10  # LOGIN_LOCKOUT_FAILURE_LIMIT's default
LOCKOUT_MESSAGE = "Too many failed logins for this account or from your network."
WRONG = "not-the-password"


@pytest.fixture
def alice():  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", email="alice@example.test")


def portal_login(client: Client, login: str, password: str, address: str = "198.51.100.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/login/", {"username": login, "password": password}, REMOTE_ADDR=address
    )


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_portal_login_locks_out_after_the_limit_and_refuses_even_the_right_password(alice):
    client = Client()

    failures = [portal_login(client, "alice", WRONG) for _ in range(LIMIT)]
    right = portal_login(client, "alice", TEST_PASSWORD)

    assert [r.status_code for r in failures] == [200] * (LIMIT - 1) + [429]
    assert "Please enter a correct" in failures[0].content.decode()
    assert right.status_code == 429
    page = right.content.decode()
    assert LOCKOUT_MESSAGE in page
    assert 'name="password"' in page  # the login page itself, with its form
    assert not is_logged_in(client)


def test_the_account_is_locked_whatever_the_address_and_spelling_of_the_login(alice):
    bob = UserFactory(username="bob")
    spellings = ["alice", "ALICE", "Alice@Example.test", " alice "]

    for n in range(LIMIT):
        portal_login(Client(), spellings[n % 4], WRONG, address=f"198.51.100.{n}")
    alice_elsewhere, bob_elsewhere = Client(), Client()
    refused = portal_login(alice_elsewhere, "alice", TEST_PASSWORD, address="203.0.113.9")
    portal_login(bob_elsewhere, bob.username, TEST_PASSWORD, address="203.0.113.9")

    assert refused.status_code == 429
    assert not is_logged_in(alice_elsewhere)
    assert is_logged_in(bob_elsewhere)


def test_the_address_is_locked_whatever_login_it_tries_and_a_fresh_header_does_not_help(alice):
    for n in range(LIMIT):
        portal_login(Client(), f"guess{n}", WRONG, address="198.51.100.1")
    spoofing, elsewhere = Client(), Client()
    refused = spoofing.post(
        "/accounts/login/",
        {"username": "alice", "password": TEST_PASSWORD},
        REMOTE_ADDR="198.51.100.1",
        HTTP_X_FORWARDED_FOR="192.0.2.55",
    )
    portal_login(elsewhere, "alice", TEST_PASSWORD, address="198.51.100.2")

    assert refused.status_code == 429
    assert not is_logged_in(spoofing)
    assert is_logged_in(elsewhere)


def test_behind_a_trusted_proxy_the_lockout_tells_clients_apart(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.5"

    for n in range(LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": f"guess{n}", "password": WRONG},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    attacker, player = Client(), Client()
    refused = attacker.post(
        "/accounts/login/",
        {"username": "alice", "password": TEST_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.200, 198.51.100.1",  # its own header, then the proxy's
    )
    player.post(
        "/accounts/login/",
        {"username": "alice", "password": TEST_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )

    assert refused.status_code == 429
    assert is_logged_in(player)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}


def test_the_admin_login_is_locked_out_with_a_message_on_its_page():
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()

    failures = [
        client.post("/admin/login/", {"username": "root", "password": WRONG}) for _ in range(LIMIT)
    ]
    right = client.post("/admin/login/", {"username": "root", "password": TEST_PASSWORD})

    assert [r.status_code for r in failures] == [200] * (LIMIT - 1) + [429]
    assert right.status_code == 429
    assert LOCKOUT_MESSAGE in right.content.decode()
    assert "Django administration" in right.content.decode()
    assert not is_logged_in(client)


def test_the_token_login_answers_login_locked_out_and_issues_no_token(alice):
    client = Client()

    def token_login(password: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/auth/tokens",
            {"login": "alice@example.test", "password": password},
            content_type="application/json",
        )

    codes = [token_login(WRONG).json()["error"]["code"] for _ in range(LIMIT)]
    right = token_login(TEST_PASSWORD)

    assert codes == ["invalid_credentials"] * (LIMIT - 1) + ["login_locked_out"]
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "login_locked_out"
    assert right.json()["error"]["details"] == {"retry_after": 900}
    assert ApiToken.objects.count() == 0


def test_the_lockout_lifts_after_the_cool_off(alice):
    for _ in range(LIMIT):
        portal_login(Client(), "alice", WRONG)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=901))
    client = Client()
    portal_login(client, "alice", TEST_PASSWORD)

    assert is_logged_in(client)


def test_staff_unlock_an_account_in_the_admin(alice):
    for _ in range(LIMIT):
        portal_login(Client(), "alice", WRONG)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))

    listed = staff.get("/admin/axes/accessattempt/")
    attempt_ids = [str(pk) for pk in AccessAttempt.objects.values_list("id", flat=True)]
    staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempt_ids, "post": "yes"},
    )
    client = Client()
    portal_login(client, "alice", TEST_PASSWORD)

    assert listed.status_code == 200
    assert "alice" in listed.content.decode()
    assert AccessAttempt.objects.count() == 0
    assert is_logged_in(client)
