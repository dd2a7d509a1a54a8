"""Portal formatting of players' figures, in the viewer's language."""

import math

from django import template
from django.utils.formats import number_format
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def time_played(seconds: int | None) -> str:
    """``seconds`` as minutes under an hour ("25 minutes"), else hours with one decimal in the
    active language's number format ("1,234.5 hours")."""
    seconds = max(0, int(seconds or 0))
    if seconds < 3600:
        minutes = seconds // 60
        return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    hours = round(seconds / 3600, 1)
    text = number_format(hours, decimal_pos=1, use_l10n=True, force_grouping=True)
    # The plural form of a fraction: English "1.5 hours" takes the form of 2 (gettext's plural
    # formulas take whole numbers).
    return ngettext("%(hours)s hour", "%(hours)s hours", math.ceil(hours)) % {"hours": text}
