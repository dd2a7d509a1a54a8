"""Writes about players. Other apps (game events, chat, guilds, moderation) call these.

Every function here is safe inside a caller's transaction: anything leaving the database
(websocket frames) is scheduled with ``transaction.on_commit``. Friends and blocks live in
``apps.players.friends``, identity claims in ``apps.players.identities``, avatars in
``apps.players.avatars``, export and deletion in ``apps.players.data_rights``.
"""

import contextlib
import secrets
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.common.exceptions import InvalidInput
from apps.common.services import model_update
from apps.common.text_safety import (
    NameRejected,
    name_key,
    reject_reserved,
    validate_display_name,
)
from apps.moderation.enforcement import Action, sanction_check
from apps.players import selectors
from apps.players.exceptions import DisplayNameTaken, name_error
from apps.players.models import (
    Achievement,
    ActivityEntry,
    ActivityKind,
    IdentityProvider,
    IdentityTitleUse,
    Notification,
    NotificationKind,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
    Privacy,
)
from apps.players.presence import (
    presence_game_session_end as presence_game_session_end,
)
from apps.players.presence import (
    presence_game_session_start as presence_game_session_start,
)
from apps.players.presence import presence_match_set as presence_match_set
from apps.players.presence import presence_match_set_many as presence_match_set_many
from apps.players.presence import presence_privacy_changed
from apps.players.realtime import notification_frame
from apps.realtime.broadcast import frame_send_to_user_on_commit
from apps.titles.models import Title
from apps.titles.selectors import reserved_names

PROFILE_FIELDS = ("display_name", "bio", "locale", "time_zone", "country", "privacy")
MAX_COUNTER_KEYS = 64
STATS_MATCH_FIELDS = ("matches_played", "matches_won", "playtime_seconds", "counters")


def _clean_display_name(display_name: str, *, current_key: str | None = None) -> tuple[str, str]:
    """The display form and uniqueness key, or a ``name_*`` error. Reserved names (staff,
    brand, titles: ``name_reserved``) are refused unless the player already holds the name
    (``current_key``): a list that grows never forces a rename to edit one's bio."""
    try:
        cleaned = validate_display_name(display_name)
        key = name_key(cleaned)
        if key != current_key:
            reject_reserved(cleaned, reserved_names())
    except NameRejected as rejected:
        raise name_error(rejected) from rejected
    return cleaned, key


def player_create(*, user: User, display_name: str) -> Player:
    """The profile of a login. Raises ``DisplayNameTaken`` or a ``name_*`` error."""
    cleaned, key = _clean_display_name(display_name)
    try:
        with transaction.atomic():
            return Player.objects.create(user=user, display_name=cleaned, display_name_key=key)
    except IntegrityError as error:
        raise DisplayNameTaken() from error


@transaction.atomic
def player_register(*, username: str, email: str, password: str, display_name: str) -> Player:
    """A login and its player, both or neither (the portal signup calls this)."""
    _clean_display_name(display_name)  # fail on a bad name before creating anything
    user = user_create(username=username, email=email, password=password)
    return player_create(user=user, display_name=display_name)


def player_profile_update(*, player: Player, data: dict[str, Any]) -> Player:
    """Change profile fields present in ``data`` (see PROFILE_FIELDS), validated here. A
    banned or suspended player cannot (``banned`` / ``suspended``)."""
    sanction_check(player=player, action=Action.PROFILE_EDIT)
    changes = {field: data[field] for field in PROFILE_FIELDS if field in data}
    if "display_name" in changes:
        changes["display_name"], changes["display_name_key"] = _clean_display_name(
            changes["display_name"], current_key=player.display_name_key
        )
    _validate_profile(changes)
    previous_privacy = player.privacy
    try:
        with transaction.atomic():
            model_update(instance=player, fields=[*changes], data=changes)
            if player.privacy != previous_privacy:
                presence_privacy_changed(player=player)
    except IntegrityError as error:
        raise DisplayNameTaken() from error
    except ValidationError as error:
        player.refresh_from_db()
        if "display_name_key" in error.message_dict:
            raise DisplayNameTaken() from error
        raise InvalidInput(details={"fields": error.message_dict}) from error
    return player


def _validate_profile(changes: dict[str, Any]) -> None:
    bio = changes.get("bio")
    if bio is not None and ("\x00" in bio or len(bio) > 500):
        raise InvalidInput(_("The bio is too long or contains invalid characters."), code="bio")
    if "time_zone" in changes and changes["time_zone"] not in zoneinfo.available_timezones():
        raise InvalidInput(_("Unknown time zone."), code="unknown_time_zone")
    if "locale" in changes and changes["locale"] not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unsupported language."), code="unsupported_locale")
    country = changes.get("country")
    if country and not (len(country) == 2 and country.isascii() and country.isupper()):
        raise InvalidInput(_("Use a two-letter country code."), code="invalid_country")
    if "privacy" in changes and changes["privacy"] not in Privacy.values:
        raise InvalidInput(_("Unknown privacy level."), code="invalid_privacy")


def player_notification_preferences_set(*, player: Player, opted_out: list[str]) -> Player:
    unknown = set(opted_out) - set(NotificationKind.values)
    if unknown:
        raise InvalidInput(
            _("Unknown notification kind."),
            code="unknown_notification_kind",
            details={"unknown": sorted(unknown)},
        )
    data = {"notification_opt_outs": sorted(set(opted_out))}
    model_update(instance=player, fields=["notification_opt_outs"], data=data)
    return player


def _shadow_player_create(display_name_hint: str | None) -> Player:
    """A shadow player named after the hint when it is a valid, free, not reserved name, else
    "Player-XXXX": a game's name hint never makes the whole call fail."""
    candidates = []
    if display_name_hint:
        with contextlib.suppress(NameRejected):
            hint = validate_display_name(display_name_hint, max_length=24)
            reject_reserved(hint, reserved_names())
            candidates.append(hint)
    candidates += [f"Player-{secrets.token_hex(4).upper()}" for _attempt in range(5)]
    for candidate in candidates:
        try:
            with transaction.atomic():
                return Player.objects.create(
                    display_name=candidate, display_name_key=name_key(candidate)
                )
        except IntegrityError:
            continue
    raise DisplayNameTaken()


def identity_validate(*, provider: str, external_id: str) -> str:
    if provider not in IdentityProvider.values:
        raise InvalidInput(_("Unknown identity provider."), code="unknown_provider")
    external_id = external_id.strip()
    if not external_id or len(external_id) > 128 or not external_id.isprintable():
        raise InvalidInput(_("The external id is not valid."), code="invalid_external_id")
    return external_id


def identity_title_uses_record(*, uses: Iterable[tuple[int, int]]) -> None:
    """Record that titles used identities: ``(identity id, title id)`` pairs, each kept once
    (the unique constraint; a known pair writes nothing). Inserted in one sorted statement, so
    concurrent transactions recording overlapping pairs wait in one order, never deadlock."""
    rows = [
        IdentityTitleUse(identity_id=identity_id, title_id=title_id)
        for identity_id, title_id in sorted(set(uses))
    ]
    if rows:
        IdentityTitleUse.objects.bulk_create(rows, ignore_conflicts=True)


def player_get_or_create_by_identity(
    *,
    provider: str,
    external_id: str,
    title: Title | None = None,
    display_name_hint: str | None = None,
) -> Player:
    """The player who owns (provider, external_id); an unclaimed shadow player is created for
    an unknown identity. Concurrent callers agree through the identity's unique constraint.

    ``title`` is the title whose event or call names the identity: it becomes the identity's
    creator, or is recorded as a title that used it (``IdentityTitleUse``)."""
    external_id = identity_validate(provider=provider, external_id=external_id)
    lookup = {"provider": provider, "external_id": external_id}
    found = PlayerIdentity.objects.select_related("player").filter(**lookup).first()
    if found is None:
        try:
            with transaction.atomic():
                shadow = _shadow_player_create(display_name_hint)
                PlayerIdentity.objects.create(
                    player=shadow, title=title, is_verified=True, **lookup
                )
                return shadow
        except IntegrityError:
            found = PlayerIdentity.objects.select_related("player").get(**lookup)
    if title is not None and found.title_id != title.id:
        identity_title_uses_record(uses=[(found.id, title.id)])
    return found.player


def players_by_identities(
    *,
    refs: list[tuple[str, str]],
    title_ids: Mapping[tuple[str, str], Collection[int]] | None = None,
) -> dict[tuple[str, str], Player]:
    """The players already owning these (provider, external_id) identities, in one query;
    unknown or invalid ones are absent (``player_get_or_create_by_identity`` handles them).
    Keys are the identities as given. ``title_ids`` (per identity as given: the titles whose
    events name it) are recorded as titles using it: one statement when another title than
    the creator is involved, none for a title's own players."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for provider, external_id in refs:
        with contextlib.suppress(InvalidInput):
            normalized = identity_validate(provider=provider, external_id=external_id)
            wanted[(provider, normalized)] = (provider, external_id)
    if not wanted:
        return {}
    # One ``external_id IN (…)`` per provider (a batch usually names one): an OR of a pair
    # per identity costs Django more to build than PostgreSQL to run.
    by_provider: dict[str, list[str]] = {}
    for provider, external_id in wanted:
        by_provider.setdefault(provider, []).append(external_id)
    match = Q()
    for provider, external_ids in by_provider.items():
        match |= Q(provider=provider, external_id__in=external_ids)
    found = list(PlayerIdentity.objects.select_related("player").filter(match))
    if title_ids:
        identity_title_uses_record(uses=_uses_by_other_titles(found, wanted, title_ids))
    return {wanted[(row.provider, row.external_id)]: row.player for row in found}


def _uses_by_other_titles(
    identities: list[PlayerIdentity],
    wanted: dict[tuple[str, str], tuple[str, str]],
    title_ids: Mapping[tuple[str, str], Collection[int]],
) -> set[tuple[int, int]]:
    """(identity, title) pairs of titles other than the identity's creator."""
    return {
        (row.id, title_id)
        for row in identities
        for title_id in title_ids.get(wanted[(row.provider, row.external_id)], ())
        if title_id != row.title_id
    }


def notification_create(
    *, recipient: Player, kind: str, data: dict, actor: Player | None = None
) -> Notification | None:
    """Store a notification and push it live after commit. Nothing is stored (None) when the
    recipient opted out of ``kind``, is deleted, or actor and recipient block each other."""
    # Read preferences fresh: callers often hold a Player loaded before a settings change.
    current = Player.objects.filter(id=recipient.id).values("notification_opt_outs", "deleted_at")
    state = current.first()
    if state is None or kind in state["notification_opt_outs"] or state["deleted_at"]:
        return None
    if actor is not None and selectors.block_exists_between(
        player_id=actor.id, other_player_id=recipient.id
    ):
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, data=data, actor=actor
    )
    if recipient.user_id is not None:
        unread = selectors.notification_unread_count(player_id=recipient.id)
        frame = notification_frame(notification, unread_count=unread)
        frame_send_to_user_on_commit(user_id=recipient.user_id, frame=frame)
    return notification


def activity_record(
    *, player: Player, kind: str, data: dict, title: Title | None = None
) -> ActivityEntry:
    return ActivityEntry.objects.create(player=player, kind=kind, data=data, title=title)


def _stats_locked(*, player: Player, title: Title) -> PlayerTitleStats:
    """The stats row of (player, title), created if missing, locked until the transaction ends.
    Call inside ``transaction.atomic``."""
    stats, _created = PlayerTitleStats.objects.get_or_create(player=player, title=title)
    return PlayerTitleStats.objects.select_for_update().get(id=stats.id)


def _validate_counters(counters: dict) -> None:
    if len(counters) > MAX_COUNTER_KEYS or not all(
        isinstance(key, str) and 0 < len(key) <= 64 and type(value) is int
        for key, value in counters.items()
    ):
        raise InvalidInput(
            _("Counters are a flat object of up to 64 integer values."), code="invalid_counters"
        )


@transaction.atomic
def player_match_record(
    *,
    player: Player,
    title: Title,
    won: bool | None,
    duration_seconds: int,
    counters: dict | None = None,
) -> None:
    """Add one match to the per-title stats; ``counters`` are added to the stored ones."""
    counters = counters or {}
    _validate_counters(counters)
    stats = _stats_locked(player=player, title=title)
    stats.matches_played += 1
    stats.matches_won += 1 if won else 0
    stats.playtime_seconds += max(0, int(duration_seconds))
    merged = dict(stats.counters)
    for key, value in counters.items():
        merged[key] = int(merged.get(key, 0)) + value
    if len(merged) > MAX_COUNTER_KEYS:
        raise InvalidInput(_("Too many distinct counters."), code="invalid_counters")
    stats.counters = merged
    stats.save(update_fields=[*STATS_MATCH_FIELDS, "updated_at"])


def player_progress_update(
    *,
    player: Player,
    title: Title,
    level: int | None,
    xp: int | None,
    rank: str | None,
    at: datetime | None = None,
    event_id: str = "",
) -> None:
    """Set level/xp/rank; a None leaves that value as it is (``bulk.stats_progress_set_many``
    for one player). With ``at`` (the reporting event's time) and ``event_id``: only if newer
    than the event that set the stored values. Raises ``invalid_progress`` for a negative
    level or xp."""
    from apps.players.bulk import ProgressChange, stats_progress_set_many  # bulk builds on us

    change = ProgressChange(player=player, level=level, xp=xp, rank=rank, at=at, event_id=event_id)
    refused = stats_progress_set_many(title=title, changes=[change])
    if refused:
        raise refused[0]


def achievement_unlock(
    *, player: Player, title: Title, key: str, name: str, unlocked_at: datetime
) -> bool:
    """Unlock once per (player, title, key); a new unlock records activity and notifies."""
    try:
        with transaction.atomic():
            achievement = Achievement.objects.create(
                player=player, title=title, key=key[:100], name=name[:200], unlocked_at=unlocked_at
            )
    except IntegrityError:
        return False
    data = {"key": achievement.key, "name": achievement.name, "title": title.slug}
    activity_record(player=player, kind=ActivityKind.ACHIEVEMENT_UNLOCKED, data=data, title=title)
    notification_create(recipient=player, kind=NotificationKind.ACHIEVEMENT, data=data)
    return True


def achievement_showcase_set(*, player: Player, achievement_ids: list[int]) -> None:
    """The achievements shown on the profile: only the player's own, at most the limit."""
    if len(set(achievement_ids)) > settings.PLAYERS_SHOWCASE_MAX:
        raise InvalidInput(_("Too many achievements in the showcase."), code="showcase_too_large")
    with transaction.atomic():
        mine = Achievement.objects.filter(player=player)
        mine.exclude(id__in=achievement_ids).update(is_showcased=False)
        mine.filter(id__in=achievement_ids).update(is_showcased=True)
