"""Signup is email-first: the first page answers the same whether or not an address has an
account; the emailed link leads to the username, display name and password."""

import re

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import User
from apps.players.models import Player
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"


def start_signup(client: Client, email: str, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post("/accounts/signup/", {"email": email}, follow=True)


def link_in_last_email() -> str | None:
    match = re.search(r"https?://testserver(/accounts/\S+/)", mail.outbox[-1].body)
    return match.group(1) if match else None


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_signup_through_the_emailed_link_creates_the_player_and_logs_in(
    django_capture_on_commit_callbacks,
):
    client = Client()

    sent = start_signup(client, "Hanako@Example.test", django_capture_on_commit_callbacks)
    accounts_before_the_link = User.objects.count()
    link = link_in_last_email()
    form = client.get(link)
    done = client.post(
        link, {"username": "hanako", "display_name": "花子", "password": PASSWORD}, follow=True
    )

    assert "Check your email" in sent.content.decode()
    assert accounts_before_the_link == 0  # nothing exists before the address is proven
    assert mail.outbox[0].to == ["hanako@example.test"]
    assert mail.outbox[0].subject == "Finish signing up to Game Community"
    assert "hanako@example.test" in form.content.decode()
    assert "Welcome back, hanako" in done.content.decode()
    player = Player.objects.get(user__username="hanako")
    assert (player.display_name, player.user.email) == ("花子", "hanako@example.test")


def test_signup_answers_the_same_page_whether_or_not_the_email_has_an_account(
    django_capture_on_commit_callbacks,
):
    UserFactory(username="alice", email="alice@example.test")

    taken = start_signup(Client(), "ALICE@example.test", django_capture_on_commit_callbacks)
    free = start_signup(Client(), "newcomer@example.test", django_capture_on_commit_callbacks)

    assert taken.redirect_chain == free.redirect_chain == [("/accounts/signup/sent/", 302)]
    assert page_text(taken) == page_text(free)
    # Only the mailbox's owner learns which it was: a reminder, or a signup link.
    reminder, signup_link = mail.outbox
    assert reminder.to == ["alice@example.test"]
    assert "/accounts/password_reset/" in reminder.body
    assert "/accounts/signup/" not in reminder.body
    assert "/accounts/signup/" in signup_link.body
    assert User.objects.count() == 1


def test_a_taken_username_or_display_name_is_refused_on_the_second_step(
    django_capture_on_commit_callbacks,
):
    UserFactory(username="alice")
    PlayerFactory(display_name="Sonic")
    client = Client()
    start_signup(client, "h@example.test", django_capture_on_commit_callbacks)
    link = link_in_last_email()

    username = client.post(link, {"username": "ALICE", "password": PASSWORD})
    display_name = client.post(
        link, {"username": "hanako", "display_name": "SONIC", "password": PASSWORD}
    )
    weak = client.post(link, {"username": "hanako", "password": "123"})

    assert "already registered" in username.content.decode()
    assert "already taken" in display_name.content.decode()
    assert "too short" in weak.content.decode()
    assert not User.objects.filter(email="h@example.test").exists()


def test_a_forged_or_expired_link_creates_nothing(django_capture_on_commit_callbacks, settings):
    client = Client()
    start_signup(client, "h@example.test", django_capture_on_commit_callbacks)
    link = link_in_last_email()
    assert link is not None
    token = link.rstrip("/").rsplit("/", 1)[1]

    forged = client.post(
        link.replace(token, token[:-2] + "xx"), {"username": "h", "password": PASSWORD}
    )
    settings.ACCOUNTS_SIGNUP_LINK_MAX_AGE_SECONDS = -1
    expired = client.post(link, {"username": "hanako", "password": PASSWORD})

    assert forged.status_code == expired.status_code == 400
    assert "not valid" in expired.content.decode()
    assert User.objects.count() == 0


def test_a_used_link_does_not_create_a_second_account(django_capture_on_commit_callbacks):
    client = Client()
    start_signup(client, "h@example.test", django_capture_on_commit_callbacks)
    link = link_in_last_email()
    client.post(link, {"username": "hanako", "password": PASSWORD})

    again = Client().post(link, {"username": "hanako2", "password": PASSWORD})

    assert "An account already uses this email address." in again.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["hanako"]
