"""The rule set of a (title, locale), built from the database and cached per process.

A rule edit bumps a version number in the shared cache (Redis in production); each process
compares it at most every ``MODERATION_AUTOMOD_RECHECK_SECONDS`` and rebuilds the sets it
uses, so edits reach every process within about a second (the editing one at once). Building
10,000 rules takes tens of milliseconds.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from apps.moderation.automod.engine import Policy, RuleSet, RuleSpec
from apps.moderation.models import AllowedPhrase, FilterRule, TitleModerationSettings

_VERSION_KEY = "moderation:automod:version"
_lock = threading.Lock()
_sets: dict[tuple[int | None, str], tuple[object, RuleSet]] = {}
_checked: dict[str, float] = {"at": 0.0}
_version: dict[str, object] = {"value": None}


def rules_changed() -> None:
    """Call after any change to rules, allowed phrases or title settings (services do)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)
    with _lock:
        _sets.clear()


def _current_version() -> object:
    now = time.monotonic()
    if now - _checked["at"] >= settings.MODERATION_AUTOMOD_RECHECK_SECONDS:
        _version["value"] = cache.get(_VERSION_KEY)
        _checked["at"] = now
    return _version["value"]


def _scope(queryset, title_id: int | None, locale: str):  # type: ignore[no-untyped-def]
    scoped = queryset.filter(Q(title__isnull=True) | Q(title_id=title_id))
    return scoped.filter(Q(locale="") | Q(locale=locale)) if locale else scoped


def rule_specs(*, title_id: int | None, locale: str) -> list[RuleSpec]:
    rows = _scope(FilterRule.objects.filter(is_active=True), title_id, locale).order_by("id")
    return [
        RuleSpec(id=row.id, kind=row.kind, pattern=row.pattern, action=row.action,
                 category=row.category, allow_phrases=tuple(row.allow_phrases or ()),
                 auto_mute_after=row.auto_mute_after, auto_mute_minutes=row.auto_mute_minutes)
        for row in rows
    ]  # fmt: skip


def policy_of(title_id: int | None) -> Policy:
    row = TitleModerationSettings.objects.filter(title_id=title_id).first() if title_id else None
    if row is None:
        return Policy(link_action=settings.MODERATION_LINK_ACTION,
                      flood_messages=settings.MODERATION_FLOOD_MESSAGES,
                      flood_seconds=settings.MODERATION_FLOOD_SECONDS,
                      repeat_limit=settings.MODERATION_REPEAT_LIMIT)  # fmt: skip
    return Policy(link_action=row.link_action, allowed_domains=tuple(row.allowed_link_domains),
                  flood_messages=row.flood_messages, flood_seconds=row.flood_seconds,
                  repeat_limit=row.repeat_limit)  # fmt: skip


def rule_set_build(*, title_id: int | None, locale: str) -> RuleSet:
    phrases = _scope(AllowedPhrase.objects.all(), title_id, locale).values_list("phrase", flat=True)
    return RuleSet(rule_specs(title_id=title_id, locale=locale), allow_phrases=list(phrases),
                   policy=policy_of(title_id))  # fmt: skip


def rule_set_for(*, title_id: int | None, locale: str = "") -> RuleSet:
    """The active rules of ``title_id`` (and every title) for ``locale`` (empty: every
    locale), with allowed phrases and the title's policy. Cached per process."""
    version = _current_version()
    key = (title_id, locale or "")
    with _lock:
        cached = _sets.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    built = rule_set_build(title_id=title_id, locale=locale or "")
    with _lock:
        _sets[key] = (version, built)
    return built


def rule_sets_reset() -> None:
    """Forget every cached set (tests)."""
    with _lock:
        _sets.clear()
    _checked["at"] = 0.0
