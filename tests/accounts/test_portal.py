import pytest
from django.test import Client

from apps.accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory


def test_signup_creates_an_account_and_logs_in(db):
    client = Client()

    response = client.post(
        "/accounts/signup/",
        {"username": "hanako", "email": "Hanako@Example.test", "password": TEST_PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert "Welcome back, hanako" in response.content.decode()
    assert User.objects.get(username="hanako").email == "hanako@example.test"


@pytest.mark.parametrize(
    ("username", "email"), [("ALICE", "new@example.test"), ("newname", "ALICE@example.test")]
)
def test_signup_refuses_a_taken_username_or_email_in_any_case(db, username, email):
    UserFactory(username="alice", email="alice@example.test")

    response = Client().post(
        "/accounts/signup/", {"username": username, "email": email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert User.objects.count() == 1


def test_signup_refuses_a_weak_password(db):
    response = Client().post(
        "/accounts/signup/", {"username": "hanako", "email": "h@example.test", "password": "123"}
    )

    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="hanako").exists()


def test_login_with_email_and_logout(db):
    UserFactory(username="alice", email="alice@example.test")
    client = Client()

    response = client.post(
        "/accounts/login/",
        {"username": "alice@example.test", "password": TEST_PASSWORD},
        follow=True,
    )
    assert "Welcome back, alice" in response.content.decode()

    client.post("/accounts/logout/")
    assert "Welcome back" not in client.get("/").content.decode()


def test_home_page_is_translated_to_japanese(db):
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 200
    assert 'lang="ja"' in response.content.decode()
