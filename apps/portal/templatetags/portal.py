"""``{% javascript_catalog_url %}``: the address of the page language's JavaScript catalog."""

from django import template

from apps.portal.jsi18n import catalog_url

register = template.Library()


@register.simple_tag
def javascript_catalog_url() -> str:
    return catalog_url()
