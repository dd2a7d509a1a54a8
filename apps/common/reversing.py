"""URL reversal for list pages: reverse once per page, not once per row."""

from collections.abc import Callable
from typing import Any

from django.urls import reverse

# An id no row has: reversed in place of the row's id, then swapped for it.
_PLACEHOLDER = 987654321987


def reverse_per_id(viewname: str, id_kwarg: str, **kwargs: Any) -> Callable[[int], str]:
    """``reverse(viewname, kwargs={id_kwarg: id, **kwargs})`` as a function of the id, with
    the URL resolver asked once, when the first URL is wanted (a page whose rows need none,
    say no avatars, asks it never): a page of 200 rows builds its URLs by string formatting."""
    parts: list[str] = []

    def url(object_id: int) -> str:
        if not parts:
            path = reverse(viewname, kwargs={id_kwarg: _PLACEHOLDER, **kwargs})
            parts.extend(path.split(str(_PLACEHOLDER)))
        before, after = parts
        return f"{before}{object_id}{after}"

    return url
