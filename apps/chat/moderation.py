"""The filter pipeline every message passes before it is stored: moderation's automod (rules
per title and locale, edited in the admin under Moderation → Automod rules). Mutes and bans
are sanctions (``apps.moderation.enforcement``)."""

from dataclasses import dataclass
from typing import Any

from apps.chat.exceptions import MessageRejected
from apps.common.text_safety.folding import match_fold
from apps.moderation.automod.services import (
    SpamCheck,
    automod_check,
    automod_hits_record,
    automod_policy,
    spam_check_many,
    spam_state_clear,
)
from apps.moderation.automod.store import rule_sets_reset


@dataclass(frozen=True)
class FilteredText:
    body: str
    is_flagged: bool


def word_filters_reset() -> None:
    """Drop cached rule sets and spam counters of this process (tests)."""
    rule_sets_reset()
    spam_state_clear()


def text_filter(
    *, body: str, title_id: int | None, locale: str = "", author: Any = None
) -> FilteredText:
    """Run automod: ``block`` raises ``MessageRejected`` (nothing stored), ``mask`` stars the
    matched words, ``flag`` stores the message marked for review. The author's hits are
    recorded (a rule may auto-mute after N hits)."""
    verdict = automod_check(text=body, title_id=title_id, locale=locale)
    if verdict.hits and author is not None:
        automod_hits_record(player=author, verdict=verdict, title_id=title_id)
    if verdict.is_blocked:
        raise MessageRejected()
    return FilteredText(body=verdict.body, is_flagged=verdict.is_flagged)


def spam_refusals(items: list[tuple[int, str, int | None]]) -> list[MessageRejected | None]:
    """Flood and repeat spam for a batch of (author id, body, title id), in one round trip:
    ``message_rejected`` with ``details.reason`` ``flood`` or ``repeat``, or None."""
    checks = [
        SpamCheck(player_id=author_id, folded_text=match_fold(body).text,
                  policy=automod_policy(title_id=title_id))
        for author_id, body, title_id in items
    ]  # fmt: skip
    return [
        MessageRejected(details={"reason": reason}) if reason else None
        for reason in spam_check_many(checks)
    ]
