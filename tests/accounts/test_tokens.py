import pytest
from django.test import Client

from apps.accounts.models import ApiToken
from tests.factories import TEST_PASSWORD, UserFactory


def issue_token(login: str, password: str = TEST_PASSWORD):
    return Client().post(
        "/api/v1/auth/tokens", {"login": login, "password": password, "name": "game client"},
        content_type="application/json",
    )  # fmt: skip


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.test"])
def test_a_player_gets_a_token_with_username_or_email(db, login):
    UserFactory(username="alice")

    response = issue_token(login)

    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("ct_")
    mine = Client().get("/api/v1/auth/tokens/mine", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert mine.status_code == 200
    assert [t["name"] for t in mine.json()] == ["game client"]


def test_a_wrong_password_gets_invalid_credentials_and_no_token(db):
    UserFactory(username="alice")

    response = issue_token("alice", "wrong")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert ApiToken.objects.count() == 0


def test_tokens_are_stored_hashed(db):
    UserFactory(username="alice")
    token = issue_token("alice").json()["token"]

    row = ApiToken.objects.values().get()

    assert all(token not in str(value) for value in row.values())


def test_a_revoked_token_stops_working(db):
    UserFactory(username="alice")
    body = issue_token("alice").json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}

    assert Client().delete(f"/api/v1/auth/tokens/{body['id']}", **auth).status_code == 204

    response = Client().get("/api/v1/auth/tokens/mine", **auth)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_player_cannot_revoke_someone_elses_token(db):
    UserFactory(username="alice")
    UserFactory(username="bob")
    alice = issue_token("alice").json()
    bob = issue_token("bob").json()

    response = Client().delete(
        f"/api/v1/auth/tokens/{alice['id']}", HTTP_AUTHORIZATION=f"Bearer {bob['token']}"
    )

    assert response.status_code == 404
    assert ApiToken.objects.get(id=alice["id"]).revoked_at is None


def test_a_deactivated_player_token_is_refused(db):
    user = UserFactory(username="alice")
    token = issue_token("alice").json()["token"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = Client().get("/api/v1/auth/tokens/mine", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
