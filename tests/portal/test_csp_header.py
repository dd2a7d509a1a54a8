"""The Content-Security-Policy header is built once per process (apps/portal/csp.py) and is
the one django-csp would build: for every response, after a settings change, and with a nonce."""

import pytest
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import Client, RequestFactory

from apps.portal.csp import PolicyCSPMiddleware


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/titles", "/accounts/login/"])
def test_each_response_carries_the_policy_of_the_settings(path):
    response = Client().get(path)

    assert response["Content-Security-Policy"] == build_policy()


@pytest.mark.django_db
def test_a_changed_policy_is_served_at_once(settings):
    before = Client().get("/")["Content-Security-Policy"]
    directives = {
        **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "img-src": ["'self'", "https://cdn.example"],
    }
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": directives,
    }

    after = Client().get("/")["Content-Security-Policy"]

    assert "https://cdn.example" not in before
    assert "img-src 'self' https://cdn.example" in after


def test_a_page_that_used_a_nonce_gets_it_in_its_header():
    request = RequestFactory().get("/players/me/")

    def page(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    middleware = PolicyCSPMiddleware(page)
    response = middleware(request)

    nonce = request._csp_nonce
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert nonce in response.content.decode()


def test_a_response_exempted_by_its_view_gets_no_header():
    def exempt(request):
        response = HttpResponse("ok")
        response._csp_exempt = True
        return response

    response = PolicyCSPMiddleware(exempt)(RequestFactory().get("/"))

    assert not response.has_header("Content-Security-Policy")
