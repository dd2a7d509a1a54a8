from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import TEST_PASSWORD, UserFactory


def test_unauthenticated_calls_get_the_error_envelope(db):
    response = Client().get("/api/v1/auth/tokens/mine")

    assert response.status_code in (401, 403)
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "details": {},
        }
    }


def test_validation_errors_name_the_fields(db):
    response = Client().post("/api/v1/auth/tokens", {"login": "x"}, content_type="application/json")

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert list(body["details"]["fields"]) == ["password"]


def test_malformed_json_is_malformed_request(db):
    response = Client().post("/api/v1/auth/tokens", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_unknown_objects_are_not_found(db):
    response = Client().get("/api/v1/titles/no-such-title")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_method_not_allowed(db):
    response = Client().put("/api/v1/titles", {}, content_type="application/json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_throttled_calls_say_when_to_retry(db, monkeypatch):
    UserFactory(username="alice")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    client = Client()
    body = {"login": "alice", "password": TEST_PASSWORD}

    statuses = [
        client.post("/api/v1/auth/tokens", body, content_type="application/json").status_code
        for _ in range(3)
    ]
    response = client.post("/api/v1/auth/tokens", body, content_type="application/json")

    assert statuses == [201, 201, 429]
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert 0 < error["details"]["retry_after"] <= 60


def test_openapi_schema_and_swagger_ui_are_served_without_a_cdn(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/v1/auth/tokens" in document["paths"]
    assert set(document["components"]["securitySchemes"]) >= {"playerToken", "titleKey"}

    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.content.decode()


def test_titles_are_listed_publicly(db):
    from tests.factories import TitleFactory

    TitleFactory(slug="b-title", name="B")
    TitleFactory(slug="a-title", name="A")
    TitleFactory(slug="gone", name="Gone", is_active=False)

    response = Client().get("/api/v1/titles")

    assert [t["slug"] for t in response.json()] == ["a-title", "b-title"]
