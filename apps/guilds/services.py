"""Writes about guilds themselves: create, edit, roles, leadership, disband (docs/guilds.md).

Membership changes (join, requests, invites, leave, kick, ban) live in
``apps.guilds.membership``. Lock order, everywhere: the guild row, then player rows by id.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.common.exceptions import InvalidInput
from apps.common.localized_text import text_checked, translations_clean
from apps.common.text_safety import NameRejected, name_key, reject_reserved, validate_display_name
from apps.guilds import permissions, realtime
from apps.guilds.chat import guild_chat_archive, guild_chat_member_sync
from apps.guilds.exceptions import (
    GuildDisbanded,
    InvalidCapacity,
    NameTaken,
    NotMember,
    NotPermitted,
    RoleInUse,
    SelfAction,
    TagTaken,
)
from apps.guilds.models import (
    AuditAction,
    FeedKind,
    Guild,
    GuildAuditEntry,
    GuildMembership,
    GuildRole,
    JoinPolicy,
    Permission,
    RoleKind,
)
from apps.guilds.stats import feed_record
from apps.moderation.enforcement import Action, sanction_check
from apps.players.avatars import rendition_files_delete
from apps.players.models import Player
from apps.titles.models import Title
from apps.titles.selectors import reserved_names

EDITABLE_FIELDS = (
    "name", "tag", "description", "description_translations", "language", "region",
    "join_policy", "capacity",
)  # fmt: skip
DESCRIPTION_MAX = 1000


def audit_record(
    *,
    guild: Guild,
    actor: Player | None,
    action: str,
    target: Player | None = None,
    data: dict[str, Any] | None = None,
) -> GuildAuditEntry:
    return GuildAuditEntry.objects.create(
        guild=guild, actor=actor, action=action, target=target, data=data or {}
    )


def guild_lock(*, guild_id: int) -> Guild:
    """The guild row, locked until the transaction ends; ``guild_disbanded`` if disbanded."""
    guild = Guild.objects.select_for_update().select_related("title").get(id=guild_id)
    if guild.is_disbanded:
        raise GuildDisbanded()
    return guild


def membership_of(*, guild: Guild, player: Player) -> GuildMembership | None:
    return (
        GuildMembership.objects.select_related("role", "player")
        .filter(guild=guild, player=player)
        .first()
    )


def _clean_name(name: str, *, min_length: int, max_length: int, current_key: str | None) -> str:
    try:
        cleaned = validate_display_name(name, min_length=min_length, max_length=max_length)
        if name_key(cleaned) != current_key:
            reject_reserved(cleaned, reserved_names())
    except NameRejected as rejected:
        raise InvalidInput(str(rejected.message), code=rejected.code) from rejected
    return cleaned


def names_release_expired() -> int:
    """Free the names and tags of guilds disbanded longer than the cool-down ago."""
    cutoff = timezone.now() - timedelta(days=settings.GUILD_NAME_COOLDOWN_DAYS)
    return Guild.objects.filter(disbanded_at__lt=cutoff, is_name_released=False).update(
        is_name_released=True
    )


def _names_check_free(*, guild: Guild) -> None:
    held = Guild.objects.filter(is_name_released=False).exclude(id=guild.id)
    if held.filter(name_key=guild.name_key).exists():
        raise NameTaken()
    if held.filter(title_id=guild.title_id, tag_key=guild.tag_key).exists():
        raise TagTaken()


def _validate_settings(data: dict[str, Any], *, member_count: int) -> None:
    if "capacity" in data and not (
        max(member_count, 1) <= data["capacity"] <= settings.GUILD_CAPACITY_MAX
    ):
        raise InvalidCapacity(details={"maximum": settings.GUILD_CAPACITY_MAX})
    if "region" in data and data["region"] and data["region"] not in settings.GUILD_REGIONS:
        raise InvalidInput(details={"fields": {"region": ["unknown region"]}})


def description_translations_clean(value: object) -> dict[str, str]:
    """The description per language, held to the description's rules (1..1000 characters;
    no control or format characters but line breaks): ``invalid_text``,
    ``unknown_language``; an empty text is left out (that language shows the fallback)."""
    return translations_clean(
        value, field="description_translations",
        clean=text_checked(max_length=DESCRIPTION_MAX, multiline=True),
    )  # fmt: skip


def _builtin_roles(guild: Guild) -> tuple[GuildRole, GuildRole, GuildRole]:
    leader = GuildRole(guild=guild, name="Leader", kind=RoleKind.LEADER, rank=100)
    officer = GuildRole(
        guild=guild,
        name="Officer",
        kind=RoleKind.OFFICER,
        rank=permissions.OFFICER_RANK,
        permissions=list(permissions.OFFICER_DEFAULT_PERMISSIONS),
    )
    member = GuildRole(guild=guild, name="Member", kind=RoleKind.MEMBER, rank=0)
    GuildRole.objects.bulk_create([leader, officer, member])
    return leader, officer, member


def guild_create(
    *,
    founder: Player,
    title: Title,
    name: str,
    tag: str,
    description: str = "",
    description_translations: object = None,
    language: str = "en",
    region: str = "",
    join_policy: str = JoinPolicy.OPEN,
    capacity: int | None = None,
) -> Guild:
    """A guild with ``founder`` as its leader. Refused under a guild-creation ban
    (``guild_creation_banned``), a ban or suspension, or when the founder is at the per-title
    guild limit; ``name_taken`` / ``tag_taken`` by the folded keys."""
    from apps.guilds.membership import member_add, membership_limit_check

    sanction_check(player=founder, action=Action.GUILD_CREATE, title=title)
    cleaned = _clean_name(name, min_length=3, max_length=32, current_key=None)
    cleaned_tag = _clean_name(tag, min_length=2, max_length=5, current_key=None)
    capacity = settings.GUILD_CAPACITY_DEFAULT if capacity is None else capacity
    _validate_settings({"capacity": capacity, "region": region}, member_count=1)
    names_release_expired()
    guild = Guild(
        **{"name": cleaned, "tag": cleaned_tag, "description": description, "title": title},
        description_translations=description_translations_clean(description_translations),
        **{"language": language, "region": region, "join_policy": join_policy},
        name_key=name_key(cleaned),
        tag_key=name_key(cleaned_tag),
        capacity=capacity,
        last_activity_at=timezone.now(),
    )
    _names_check_free(guild=guild)
    try:
        with transaction.atomic():
            guild.save()
            leader_role, _officer, _member = _builtin_roles(guild)
            Player.objects.select_for_update().get(id=founder.id)
            membership_limit_check(player=founder, title=title)
            member_add(guild=guild, player=founder, role=leader_role, is_leader=True)
            audit_record(guild=guild, actor=founder, action=AuditAction.CREATED)
    except IntegrityError as error:
        _names_check_free(guild=guild)  # which one a concurrent create took
        raise NameTaken() from error
    return guild


def guild_update(*, actor: Player, guild: Guild, data: dict[str, Any]) -> Guild:
    """Change settings in ``data`` (``EDITABLE_FIELDS``); needs ``edit_guild``."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        membership = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=membership, permission=Permission.EDIT_GUILD)
        sanction_check(player=actor, action=Action.GUILD_EDIT, title=guild.title)
        changes = {field: data[field] for field in EDITABLE_FIELDS if field in data}
        _validate_settings(changes, member_count=guild.member_count)
        if "description_translations" in changes:
            changes["description_translations"] = description_translations_clean(
                changes["description_translations"]
            )
        if "name" in changes:
            changes["name"] = _clean_name(
                changes["name"], min_length=3, max_length=32, current_key=guild.name_key
            )
            guild.name_key = name_key(changes["name"])
        if "tag" in changes:
            changes["tag"] = _clean_name(
                changes["tag"], min_length=2, max_length=5, current_key=guild.tag_key
            )
            guild.tag_key = name_key(changes["tag"])
        _names_check_free(guild=guild)
        before = {field: getattr(guild, field) for field in changes}
        for field, value in changes.items():
            setattr(guild, field, value)
        guild.save(update_fields=[*changes, "name_key", "tag_key", "updated_at"])
        changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
        if changed:
            audit_record(guild=guild, actor=actor, action=AuditAction.UPDATED, data=changed)
            realtime.guild_frame_send(
                guild=guild, frame=realtime.updated_frame(guild, sorted(changed))
            )
    return guild


def guild_role_create(
    *, actor: Player, guild: Guild, name: str, rank: int, permission_names: list[str]
) -> GuildRole:
    """A custom role below the actor's rank, granting only what the actor holds."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        membership = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=membership, permission=Permission.MANAGE_ROLES)
        assert membership is not None
        permissions.rank_require(actor=membership, target_rank=rank)
        permissions.grant_require(actor=membership, permissions=permission_names)
        if not 1 <= rank < permissions.LEADER_RANK:
            raise InvalidInput(details={"fields": {"rank": ["1 to 99"]}})
        cleaned = _clean_name(name, min_length=2, max_length=32, current_key="")
        try:
            with transaction.atomic():
                role = GuildRole.objects.create(
                    guild=guild,
                    name=cleaned,
                    kind=RoleKind.CUSTOM,
                    rank=rank,
                    permissions=sorted(set(permission_names)),
                )
        except IntegrityError as error:
            raise InvalidInput(details={"fields": {"name": ["taken"]}}) from error
        audit_record(
            guild=guild, actor=actor, action=AuditAction.ROLE_CREATED, data={"role": cleaned}
        )
    return role


def guild_role_update(*, actor: Player, role: GuildRole, permission_names: list[str]) -> GuildRole:
    """Set a role's permission set. Only roles below the actor; the leader's is fixed."""
    with transaction.atomic():
        guild = guild_lock(guild_id=role.guild_id)
        membership = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=membership, permission=Permission.MANAGE_ROLES)
        assert membership is not None
        permissions.rank_require(actor=membership, target_rank=role.rank)
        permissions.grant_require(actor=membership, permissions=permission_names)
        before = sorted(role.permissions)
        role.permissions = sorted(set(permission_names))
        role.save(update_fields=["permissions", "updated_at"])
        audit_record(
            guild=guild,
            actor=actor,
            action=AuditAction.ROLE_UPDATED,
            data={"role": role.name, "before": before, "after": role.permissions},
        )
    return role


def guild_role_delete(*, actor: Player, role: GuildRole) -> None:
    """Delete a custom role below the actor's rank (needs ``manage_roles``); the built-in
    roles cannot be deleted (``not_permitted``), nor a role members still hold
    (``role_in_use``: give them another role first)."""
    with transaction.atomic():
        guild = guild_lock(guild_id=role.guild_id)
        membership = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=membership, permission=Permission.MANAGE_ROLES)
        assert membership is not None
        role = GuildRole.objects.select_for_update().get(id=role.id)
        if role.kind != RoleKind.CUSTOM:
            raise NotPermitted()
        permissions.rank_require(actor=membership, target_rank=role.rank)
        if GuildMembership.objects.filter(role=role).exists():
            raise RoleInUse()
        name = role.name
        role.delete()
        audit_record(guild=guild, actor=actor, action=AuditAction.ROLE_DELETED, data={"role": name})


def guild_member_role_set(*, actor: Player, guild: Guild, target: Player, role: GuildRole) -> None:
    """Give ``target`` the ``role``: both the target's current role and the new one must rank
    below the actor, and the actor must hold every permission the role grants."""
    if role.guild_id != guild.id or role.kind == RoleKind.LEADER:
        raise NotPermitted()
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        membership = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=membership, permission=Permission.MANAGE_ROLES)
        assert membership is not None
        target_membership = membership_of(guild=guild, player=target)
        if target_membership is None:
            raise NotMember()
        if target.id == actor.id:
            raise SelfAction()
        permissions.rank_require(actor=membership, target_rank=target_membership.role.rank)
        permissions.rank_require(actor=membership, target_rank=role.rank)
        permissions.grant_require(actor=membership, permissions=role.permissions)
        before = target_membership.role.name
        target_membership.role = role
        target_membership.save(update_fields=["role", "updated_at"])
        guild_chat_member_sync(guild=guild, player=target, is_member=True, role=role)
        feed_record(
            guild_id=guild.id,
            kind=FeedKind.PROMOTED,
            player_id=target.id,
            data={"role": role.name},
        )
        audit_record(
            guild=guild,
            actor=actor,
            action=AuditAction.ROLE_CHANGED,
            target=target,
            data={"before": before, "after": role.name},
        )
        frame = realtime.role_changed_frame(guild, target, role)
        realtime.guild_frame_send(guild=guild, frame=frame)
    _notify(target, actor, "guild_promoted", guild, role=role.name)


def guild_leader_transfer(*, actor: Player, guild: Guild, new_leader: Player) -> None:
    """Make ``new_leader`` (a member) the leader; the old leader becomes an officer. Holds
    the guild row lock, so two concurrent transfers serialize and the second one, whose actor
    is no longer leader, is refused (``not_permitted``); the partial unique index on
    ``is_leader`` keeps one leader even if that order were lost."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        membership = membership_of(guild=guild, player=actor)
        if membership is None:
            raise NotMember()
        if not membership.is_leader:
            raise NotPermitted()
        target = membership_of(guild=guild, player=new_leader)
        if target is None:
            raise NotMember()
        if target.id == membership.id:
            raise SelfAction()
        roles = {role.kind: role for role in guild.roles.exclude(kind=RoleKind.CUSTOM)}
        membership.is_leader = False
        membership.role = roles[RoleKind.OFFICER]
        membership.save(update_fields=["is_leader", "role", "updated_at"])
        target.is_leader = True
        target.role = roles[RoleKind.LEADER]
        target.save(update_fields=["is_leader", "role", "updated_at"])
        guild_chat_member_sync(guild=guild, player=new_leader, is_member=True, role=target.role)
        audit_record(
            guild=guild, actor=actor, action=AuditAction.LEADER_TRANSFERRED, target=new_leader
        )
        frame = realtime.leader_changed_frame(guild, new_leader)
        realtime.guild_frame_send(guild=guild, frame=frame)
    _notify(new_leader, actor, "guild_promoted", guild, role=roles[RoleKind.LEADER].name)


def guild_disband(*, actor: Player | None, guild: Guild, reason: str = "") -> None:
    """End the guild: members are removed and notified, its chat is archived read-only, its
    name and tag stay taken for ``GUILD_NAME_COOLDOWN_DAYS``, its emblem files are deleted
    from storage once the outermost transaction commits (kept if it rolls back). ``actor``
    None is staff (the admin records it in the moderation audit log); a player must be the
    leader."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        if actor is not None:
            membership = membership_of(guild=guild, player=actor)
            if membership is None:
                raise NotMember()
            if not membership.is_leader:
                raise NotPermitted()
        members = list(guild.memberships.select_related("player"))
        realtime.guild_frame_send(guild=guild, frame=realtime.disbanded_frame(guild))
        guild.memberships.all().delete()
        guild.invites.all().delete()
        guild.join_requests.all().delete()
        emblems = [name for name in (guild.emblem_large, guild.emblem_small) if name]
        guild.disbanded_at = timezone.now()
        guild.member_count = 0
        guild.emblem_large = guild.emblem_small = ""
        guild.save(
            update_fields=[
                "disbanded_at",
                "member_count",
                "emblem_large",
                "emblem_small",
                "updated_at",
            ]
        )
        transaction.on_commit(lambda: rendition_files_delete(emblems))
        audit_record(
            guild=guild, actor=actor, action=AuditAction.DISBANDED, data={"reason": reason}
        )
        guild_chat_archive(guild=guild)
    for member in members:
        if actor is None or member.player_id != actor.id:
            _notify(member.player, actor, "guild_disbanded", guild)


def _notify(recipient: Player, actor: Player | None, event: str, guild: Guild, **data: Any) -> None:
    from apps.guilds.notifications import guild_notify

    guild_notify(recipient=recipient, actor=actor, event=event, guild=guild, **data)
