from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory


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
