"""The filter pipeline every message passes before it is stored. Mutes and bans moved to the
one sanctions system (``apps.moderation.enforcement``)."""

import threading
import time
from dataclasses import dataclass

from django.db.models import Q

from apps.chat.exceptions import MessageRejected
from apps.chat.models import WordRule
from apps.common.text_safety import FilterRule, WordFilter

# Other processes see word-list edits within this many seconds; the editing one at once.
_FILTER_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class FilteredText:
    body: str
    is_flagged: bool


_filters_lock = threading.Lock()
_filters: dict[int | None, tuple[float, WordFilter]] = {}


def _word_filter(title_id: int | None) -> WordFilter:
    now = time.monotonic()
    with _filters_lock:
        cached = _filters.get(title_id)
        if cached is not None and now - cached[0] < _FILTER_TTL_SECONDS:
            return cached[1]
    rules = WordRule.objects.filter(Q(title__isnull=True) | Q(title_id=title_id))
    word_filter = WordFilter([FilterRule(rule.pattern, rule.action) for rule in rules])  # type: ignore[arg-type]  # choices
    with _filters_lock:
        _filters[title_id] = (now, word_filter)
    return word_filter


def word_filters_reset() -> None:
    """Drop cached filters (after an admin edit; in tests)."""
    with _filters_lock:
        _filters.clear()


def text_filter(*, body: str, title_id: int | None) -> FilteredText:
    """Run the automod pipeline: ``block`` raises ``MessageRejected`` (nothing stored),
    ``mask`` stars the matched words, ``flag`` stores the message marked for review."""
    result = _word_filter(title_id).check(body)
    if result.action == "block":
        raise MessageRejected()
    if result.action == "mask":
        return FilteredText(body=result.masked_text, is_flagged=False)
    return FilteredText(body=body, is_flagged=result.action == "flag")


def word_rule_save(*, rule: WordRule) -> WordRule:
    rule.full_clean()
    FilterRule(rule.pattern, rule.action)  # type: ignore[arg-type]  # raises FilterRuleInvalid
    rule.save()
    word_filters_reset()
    return rule
