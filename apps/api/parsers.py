"""JSON with a nesting limit: DRF's default parser for every endpoint (settings.REST_FRAMEWORK).

Python's decoder recurses once per level and raises ``RecursionError`` some 900 to 1000 levels
deep, depending on how deep the stack already is; below that, a deep document still reaches
serializers, ``copy.deepcopy``, JSON columns and the renderer, each of which recurses again.
So the parser refuses any document deeper than ``API_JSON_MAX_DEPTH`` with ``json_too_deep``
(400), whatever the endpoint does with it. ``json_loads_limited`` is the same rule for code that
reads JSON outside DRF's parsers.
"""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from apps.api.errors import JsonTooDeep


def json_depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether ``value`` has containers nested more than ``max_depth`` levels (a scalar is 0,
    ``[]`` is 1). Iterative: the check itself must not recurse."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_loads_limited(body: bytes | str, *, max_depth: int | None = None) -> Any:
    """Decode ``body`` as strict JSON (no NaN/Infinity); ``ParseError`` when it is not JSON,
    ``JsonTooDeep`` (``details.max_depth``) when it nests deeper than the limit."""
    limit = settings.API_JSON_MAX_DEPTH if max_depth is None else max_depth
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise JsonTooDeep(details={"max_depth": limit}) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise ParseError(gettext("JSON parse error - %(error)s") % {"error": error}) from error
    if json_depth_exceeds(value, limit):
        raise JsonTooDeep(details={"max_depth": limit})
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit (and its strictness: no NaN or Infinity).

    DRF hands it the body through ``request.body``, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    has already refused an oversized one (``payload_too_large``)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": error}) from error
        return json_loads_limited(text)
