"""Translated labels of UGC values in portal templates: ``{{ item.kind|ugc_kind }}``."""

from django import template

from apps.ugc.models import ItemVisibility, Kind, ReviewState, VersionReview

register = template.Library()


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def ugc_kind(value: str) -> str:
    return _label(Kind, value)


@register.filter
def ugc_state(value: str) -> str:
    return _label(ReviewState, value)


@register.filter
def ugc_visibility(value: str) -> str:
    return _label(ItemVisibility, value)


@register.filter
def ugc_review(value: str) -> str:
    return _label(VersionReview, value)
