"""The project's ``LocaleMiddleware`` (apps/common/locale_middleware.py) answers as Django's
does for this URLconf: the same language for the view and the same headers."""

import pytest
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from apps.common.locale_middleware import LocaleMiddleware


def _answer(middleware_class, **headers) -> tuple:
    request = RequestFactory().get("/api/v1/guilds", **headers)
    middleware = middleware_class(lambda request: HttpResponse(translation.get_language()))
    with translation.override("en"):
        response = middleware(request)
    return (
        response.content,
        request.LANGUAGE_CODE,
        response.headers.get("Vary"),
        response.headers.get("Content-Language"),
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT_LANGUAGE": "ja"},
        {"HTTP_ACCEPT_LANGUAGE": "fr, ja;q=0.5"},
        {"HTTP_ACCEPT_LANGUAGE": "ja-JP"},
        {"HTTP_COOKIE": "django_language=ja", "HTTP_ACCEPT_LANGUAGE": "en"},
    ],
)
def test_the_view_gets_the_language_and_the_response_the_headers_django_gives(headers):
    assert _answer(LocaleMiddleware, **headers) == _answer(DjangoLocaleMiddleware, **headers)


@pytest.mark.django_db
def test_an_api_error_is_in_the_language_the_client_asked_for(client):
    response = client.get("/api/v1/guilds", HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 401
    assert response.headers["Content-Language"] == "ja"
    assert "Accept-Language" in response.headers["Vary"]
    assert response.json()["error"]["message"] != _english_message(client)


def _english_message(client) -> str:
    return client.get("/api/v1/guilds", HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
