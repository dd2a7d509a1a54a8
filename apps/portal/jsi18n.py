"""The JavaScript translation catalog (Django's ``JavaScriptCatalog``, domain ``djangojs``):
``/jsi18n/<language>/?v=<catalog version>`` defines ``gettext``, ``ngettext``,
``interpolate`` and the language's formats for the portal's scripts.

The language is in the path and the compiled catalogs' version in the query, so a browser and
the server cache (``cache_page``) can keep a response for a day: switching language asks for
another address, and a deploy with new translations changes the version. Only the project's
own catalogs (``LOCALE_PATHS``) are served, not the admin's calendar strings."""

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

CACHE_SECONDS = 24 * 60 * 60


class _LanguageCatalog(JavaScriptCatalog):
    domain = "djangojs"
    packages = ["apps.portal"]  # an app without its own catalog: LOCALE_PATHS only

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = kwargs.pop("language")
        if language not in dict(settings.LANGUAGES):
            raise Http404
        with translation.override(language):
            return super().get(request, *args, **kwargs)


javascript_catalog = cache_page(CACHE_SECONDS, key_prefix="jsi18n")(_LanguageCatalog.as_view())


def catalog_version() -> str:
    """Changes whenever a compiled ``djangojs`` catalog does (a few ``stat`` calls)."""
    digest = hashlib.sha256()
    for root in settings.LOCALE_PATHS:
        for path in sorted(Path(root).glob("*/LC_MESSAGES/djangojs.mo")):
            stat = path.stat()
            digest.update(f"{path.parent.parent.name}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()[:12]


def catalog_url(language: str | None = None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    path = reverse("javascript-catalog", kwargs={"language": language})
    return f"{path}?v={catalog_version()}"
