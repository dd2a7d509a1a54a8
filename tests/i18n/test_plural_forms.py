"""Counts read right in both languages: English has a singular and a plural form, Japanese one
form for every count (``nplurals=1``), both from the committed catalogs."""

import pytest
from django.utils import translation
from django.utils.translation import ngettext

HIDDEN = ("%(count)d item hidden.", "%(count)d items hidden.")
SUBSCRIBERS = ("%(counter)s subscriber", "%(counter)s subscribers")


@pytest.mark.parametrize(
    ("language", "count", "hidden", "subscribers"),
    [
        ("en", 1, "1 item hidden.", "1 subscriber"),
        ("en", 2, "2 items hidden.", "2 subscribers"),
        ("ja", 1, "1 件のアイテムを非表示にしました。", "フォロワー 1 人"),
        ("ja", 2, "2 件のアイテムを非表示にしました。", "フォロワー 2 人"),
    ],
)
def test_counts_take_the_plural_form_of_the_language(language, count, hidden, subscribers):
    with translation.override(language):
        assert ngettext(*HIDDEN, count) % {"count": count} == hidden
        assert ngettext(*SUBSCRIBERS, count) % {"counter": count} == subscribers
