"""DRF's content negotiation, with the requests nearly every client sends answered at once.

A game client or the portal's scripts send no ``Accept`` header, ``*/*`` or
``application/json``, and no ``?format=``: DRF would parse the header and match it against
every renderer to reach the JSON renderer with ``application/json``; these get that answer
directly. Any other request (``text/html`` for the browsable API, an unacceptable type,
a format override) takes DRF's own negotiation, unchanged.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

_JSON = "application/json"
_PLAIN_ACCEPTS = frozenset({"", "*/*", _JSON})


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[Any, str]:
        first = next(iter(renderers), None)  # DRF passes the view's list
        if (
            first is not None
            and first.media_type == _JSON
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "").strip() in _PLAIN_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, _JSON
        return super().select_renderer(request, renderers, format_suffix)
