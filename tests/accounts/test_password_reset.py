"""Password reset through the portal: email link → new password → log in."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"
SENT_PAGE = "If an account uses that address, we have sent it a link"


@pytest.fixture
def alice():  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", email="alice@example.test")


def ask_for_reset(client: Client, email: str, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post("/accounts/password_reset/", {"email": email}, follow=True)


def reset_link() -> str:
    match = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def without_csrf_tokens(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def log_in(client: Client, login: str, password: str) -> bool:
    client.post("/accounts/login/", {"username": login, "password": password})
    return "_auth_user_id" in client.session


def test_a_player_resets_a_forgotten_password_and_logs_in_with_the_new_one(
    alice, django_capture_on_commit_callbacks
):
    client = Client()
    form = client.get("/accounts/login/")
    assert 'href="/accounts/password_reset/"' in form.content.decode()

    sent = ask_for_reset(client, "Alice@Example.test", django_capture_on_commit_callbacks)
    link = reset_link()
    choose = client.get(link, follow=True)
    done = client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert SENT_PAGE in sent.content.decode()
    assert [message.to for message in mail.outbox] == [["alice@example.test"]]
    assert mail.outbox[0].subject == "Reset your Game Community password"
    assert 'name="new_password1"' in choose.content.decode()
    assert "Your new password is set." in done.content.decode()
    assert not log_in(Client(), "alice", TEST_PASSWORD)
    assert log_in(Client(), "alice", NEW_PASSWORD)
    assert "not valid" in Client().get(link, follow=True).content.decode()  # used once


def test_an_unknown_address_gets_the_same_page_and_no_email(
    alice, django_capture_on_commit_callbacks
):
    known = ask_for_reset(Client(), "alice@example.test", django_capture_on_commit_callbacks)
    unknown = ask_for_reset(Client(), "nobody@example.test", django_capture_on_commit_callbacks)

    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf_tokens(unknown) == without_csrf_tokens(known)
    assert len(mail.outbox) == 1


def test_repeated_requests_send_one_email_a_minute(alice, django_capture_on_commit_callbacks):
    first = ask_for_reset(Client(), "alice@example.test", django_capture_on_commit_callbacks)
    again = ask_for_reset(Client(), "alice@example.test", django_capture_on_commit_callbacks)

    assert without_csrf_tokens(first) == without_csrf_tokens(again)
    assert len(mail.outbox) == 1


def test_a_completed_reset_lifts_the_account_lockout(alice, django_capture_on_commit_callbacks):
    for n in range(10):
        log_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "alice", "guessing")
    assert not log_in(Client(), "alice", TEST_PASSWORD)  # locked out

    client = Client()
    ask_for_reset(client, "alice@example.test", django_capture_on_commit_callbacks)
    choose = client.get(reset_link(), follow=True)
    client.post(
        choose.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert log_in(Client(), "alice", NEW_PASSWORD)
