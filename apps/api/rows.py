"""For list rows written by hand from ``.values()`` rows (a page builds no model instances
and takes no DRF per-field walk); each list's tests keep its rows equal to what its
serializer's declared fields (the OpenAPI schema) produce. Player cards of rows:
``apps.players.avatars.player_cards_of_rows``."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def datetimes_in_request_zone() -> Callable[[datetime | None], str | datetime | None]:
    """``serializers.DateTimeField().to_representation`` for a page of stored (aware)
    times: in the active time zone, ISO 8601, ``Z`` for UTC, the zone looked up once for the
    page instead of once per value. In UTC the value stays a ``datetime`` in UTC, which every
    JSON renderer of the API writes exactly as that string; so compare rendered bodies, not
    the rows' Python values."""
    zone = timezone.get_current_timezone()
    if api_settings.DATETIME_FORMAT != ISO_8601:
        field = serializers.DateTimeField()
        return lambda value: None if value is None else field.to_representation(value)
    if getattr(zone, "key", None) == "UTC":
        # The stored times come in ``datetime.UTC`` (apps/common/postgresql/base.py): handed
        # to the renderer as they are, which writes them as DRF would (apps/api/renderers.py).
        return _utc

    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return f"{text[:-6]}Z" if text.endswith("+00:00") else text

    return iso


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)
