"""/healthz answers before the rest of the middleware, and still only for allowed hosts."""

from django.test import Client


def test_healthz_answers_ok_without_a_session_or_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_healthz_refuses_a_host_that_is_not_allowed(settings):
    settings.ALLOWED_HOSTS = ["community.example"]

    response = Client().get("/healthz", HTTP_HOST="attacker.example")

    assert response.status_code == 400


def test_healthz_is_get_only():
    assert Client().post("/healthz").status_code == 405
