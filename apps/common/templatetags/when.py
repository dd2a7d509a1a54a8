"""``{{ value|when }}``: a stored (UTC) time as the viewer reads it (a ``datetime``, or an ISO
8601 string as REST bodies carry them).

Within a day it is relative ("3 minutes ago", "3分前": django.contrib.humanize, translated);
older or future times are the active language's short date and time format (Django's ``en``
and ``ja`` formats) in the viewer's zone (the signed-in player's, activated by
``apps.players.preferences``). Either way the element is a ``<time>`` whose ``datetime`` is
the UTC instant and whose ``title`` is the full local date and time.
"""

from datetime import UTC, datetime, timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

RELATIVE_WITHIN = timedelta(days=1)


@register.filter(is_safe=True)
def when(value: datetime | str | None) -> SafeString | str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return ""
    local = timezone.localtime(value)
    if timedelta(0) <= timezone.now() - value < RELATIVE_WITHIN:
        shown = naturaltime(value)
    else:
        shown = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    utc = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    full = formats.date_format(local, "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', utc, full, shown)
