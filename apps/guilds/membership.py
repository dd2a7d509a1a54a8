"""Membership lifecycle: join, requests, invites, leave, kick, ban (docs/guilds.md).

Every write that adds a member holds the guild's row lock, then the player's, in that order,
so concurrent joins, accepts and kicks serialize: capacity, the per-title guild limit and
"kicked stays out" are checked under the locks, and the database checks capacity again.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.guilds import permissions, realtime
from apps.guilds.chat import guild_chat_member_sync
from apps.guilds.exceptions import (
    AlreadyBanned,
    AlreadyMember,
    GuildBanned,
    GuildFull,
    GuildLimitReached,
    GuildNotFound,
    InviteExists,
    InviteExpired,
    InviteOnly,
    LeaderMustTransfer,
    NotMember,
    RequestExists,
    SelfAction,
)
from apps.guilds.invitations import guild_invite_check
from apps.guilds.models import (
    AuditAction,
    FeedKind,
    Guild,
    GuildBan,
    GuildInvite,
    GuildJoinRequest,
    GuildMembership,
    GuildRole,
    JoinPolicy,
    Permission,
    RoleKind,
)
from apps.guilds.notifications import guild_notify
from apps.guilds.services import audit_record, guild_disband, guild_lock, membership_of
from apps.guilds.stats import feed_record
from apps.moderation.enforcement import Action, sanction_check
from apps.players.models import Player
from apps.titles.models import Title


def membership_limit_check(*, player: Player, title: Title) -> None:
    """``guild_limit_reached`` when ``player`` is in ``GUILD_MEMBERSHIPS_PER_TITLE`` guilds
    of ``title``. Call with the player's row locked."""
    count = GuildMembership.objects.filter(player=player, title=title).count()
    if count >= settings.GUILD_MEMBERSHIPS_PER_TITLE:
        raise GuildLimitReached()


def member_add(
    *, guild: Guild, player: Player, role: GuildRole | None = None, is_leader: bool = False
) -> GuildMembership:
    """Insert the membership and count it. Call holding the guild's and player's locks,
    after the policy checks; ``guild_full`` when no seat is left."""
    if guild.member_count >= guild.capacity:
        raise GuildFull()
    if role is None:
        role = GuildRole.objects.get(guild=guild, kind=RoleKind.MEMBER)
    now = timezone.now()
    membership = GuildMembership.objects.create(
        guild=guild,
        player=player,
        role=role,
        title_id=guild.title_id,
        is_leader=is_leader,
        joined_at=now,
    )
    Guild.objects.filter(id=guild.id).update(
        member_count=F("member_count") + 1, last_activity_at=now
    )
    guild.member_count += 1
    GuildJoinRequest.objects.filter(guild=guild, player=player).delete()
    GuildInvite.objects.filter(guild=guild, player=player).delete()
    realtime.guild_frame_send(guild=guild, frame=realtime.member_joined_frame(guild, player, role))
    guild_chat_member_sync(guild=guild, player=player, is_member=True, role=role)
    feed_record(guild_id=guild.id, kind=FeedKind.JOINED, player_id=player.id)
    return membership


def _member_remove(*, guild: Guild, membership: GuildMembership, how: str) -> None:
    """``how``: ``left``, ``kicked`` or ``banned``."""
    membership.delete()
    Guild.objects.filter(id=guild.id).update(member_count=F("member_count") - 1)
    guild.member_count -= 1
    player = membership.player
    extra = [player.user_id] if player.user_id is not None else []
    frame = realtime.REMOVAL_FRAMES[how](guild, player)
    realtime.guild_frame_send(guild=guild, frame=frame, extra_user_ids=extra)
    guild_chat_member_sync(guild=guild, player=player, is_member=False, role=None)
    feed_record(guild_id=guild.id, kind=FeedKind.LEFT, player_id=player.id, data={"how": how})


def _admission_check(*, guild: Guild, player: Player) -> None:
    """Refusals shared by join, request and accept: sanctions, guild ban, already member."""
    sanction_check(player=player, action=Action.GUILD_JOIN, title=guild.title)
    if GuildBan.objects.filter(guild=guild, player=player).exists():
        raise GuildBanned()
    if GuildMembership.objects.filter(guild=guild, player=player).exists():
        raise AlreadyMember()


def _admit(*, guild: Guild, player: Player) -> GuildMembership:
    """Lock the player, check the per-title limit and add. Guild already locked."""
    Player.objects.select_for_update().get(id=player.id)
    membership_limit_check(player=player, title=guild.title)
    return member_add(guild=guild, player=player)


def guild_join(*, player: Player, guild: Guild) -> GuildMembership | GuildJoinRequest:
    """Join an open guild, or file a join request with an approval guild. Invite-only guilds
    answer ``invite_only``."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        _admission_check(guild=guild, player=player)
        if guild.join_policy == JoinPolicy.INVITE_ONLY:
            raise InviteOnly()
        if guild.join_policy == JoinPolicy.APPROVAL:
            return _request_create(guild=guild, player=player)
        membership = _admit(guild=guild, player=player)
        audit_record(guild=guild, actor=player, action=AuditAction.JOINED, target=player)
    return membership


def _request_create(*, guild: Guild, player: Player) -> GuildJoinRequest:
    try:
        with transaction.atomic():
            return GuildJoinRequest.objects.create(guild=guild, player=player)
    except IntegrityError as error:
        raise RequestExists() from error


def guild_request_decide(
    *, actor: Player, join_request: GuildJoinRequest, approve: bool
) -> GuildMembership | None:
    """Approve (the player joins if a seat and their guild limit allow) or deny a request;
    needs ``accept_requests``. The request is gone either way."""
    with transaction.atomic():
        guild = guild_lock(guild_id=join_request.guild_id)
        acting = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=acting, permission=Permission.ACCEPT_REQUESTS)
        sanction_check(player=actor, action=Action.GUILD_EDIT, title=guild.title)
        join_request = GuildJoinRequest.objects.select_related("player").get(id=join_request.id)
        player = join_request.player
        membership = None
        if approve:
            _admission_check(guild=guild, player=player)
            membership = _admit(guild=guild, player=player)
        join_request.delete()
        action = AuditAction.REQUEST_APPROVED if approve else AuditAction.REQUEST_DENIED
        audit_record(guild=guild, actor=actor, action=action, target=player)
    event = "guild_request_approved" if approve else "guild_request_denied"
    guild_notify(recipient=player, actor=actor, event=event, guild=guild)
    return membership


def guild_invite_send(*, inviter: Player, guild: Guild, player: Player) -> GuildInvite:
    """Invite ``player`` (needs ``invite``). Refused to guild-banned players
    (``guild_banned``), members, players who blocked the inviter or whose privacy does not
    admit them (``invite_refused``: private, or friends-only and not friends), and players
    with a pending invitation (``invite_exists``): ``guild_invite_check``."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        acting = membership_of(guild=guild, player=inviter)
        guild_invite_check(inviter=inviter, acting=acting, guild=guild, player=player)
        expires_at = timezone.now() + timedelta(hours=settings.GUILD_INVITE_TTL_HOURS)
        GuildInvite.objects.filter(
            guild=guild, player=player, expires_at__lte=timezone.now()
        ).delete()
        try:
            with transaction.atomic():
                invite = GuildInvite.objects.create(
                    guild=guild, player=player, inviter=inviter, expires_at=expires_at
                )
        except IntegrityError as error:
            raise InviteExists() from error
        audit_record(guild=guild, actor=inviter, action=AuditAction.INVITED, target=player)
    guild_notify(
        recipient=player, actor=inviter, event="guild_invited", guild=guild, invite_id=invite.id
    )
    return invite


def guild_invite_revoke(*, actor: Player, invite: GuildInvite) -> None:
    """Withdraw a pending invitation of the actor's guild (needs ``invite``); one already
    answered, expired and cleared, or revoked is ``not_found``."""
    with transaction.atomic():
        guild = guild_lock(guild_id=invite.guild_id)
        acting = membership_of(guild=guild, player=actor)
        permissions.permission_require(membership=acting, permission=Permission.INVITE)
        sanction_check(player=actor, action=Action.GUILD_EDIT, title=guild.title)
        current = (
            GuildInvite.objects.select_related("player").filter(id=invite.id, guild=guild).first()
        )
        if current is None:
            raise GuildNotFound()
        current.delete()
        audit_record(
            guild=guild, actor=actor, action=AuditAction.INVITE_REVOKED, target=current.player
        )


def guild_invite_respond(
    *, player: Player, invite: GuildInvite, accept: bool
) -> GuildMembership | None:
    """Accept (join, whatever the join policy) or decline ``player``'s own invitation.
    ``invite_expired`` after ``expires_at`` (the invitation is removed); an invitation a kick
    or ban removed is ``not_found``."""
    with transaction.atomic():
        guild = guild_lock(guild_id=invite.guild_id)
        current = GuildInvite.objects.filter(id=invite.id, player=player).first()
        if current is None:
            raise GuildNotFound()
        is_expired = current.expires_at <= timezone.now()
        membership = None
        if not accept or is_expired:
            current.delete()
        else:
            _admission_check(guild=guild, player=player)
            membership = _admit(guild=guild, player=player)
            audit_record(guild=guild, actor=player, action=AuditAction.JOINED, target=player)
    if accept and is_expired:
        raise InviteExpired()
    return membership


def guild_leave(*, player: Player, guild: Guild) -> None:
    """Leave. The leader must transfer first (``leader_must_transfer``) unless they are the
    last member: then the guild is disbanded."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        membership = membership_of(guild=guild, player=player)
        if membership is None:
            raise NotMember()
        if membership.is_leader:
            if guild.member_count > 1:
                raise LeaderMustTransfer()
            guild_disband(actor=player, guild=guild)
            return
        _member_remove(guild=guild, membership=membership, how="left")
        audit_record(guild=guild, actor=player, action=AuditAction.LEFT, target=player)


def _target_membership(
    *, guild: Guild, actor: Player, target: Player, permission: str
) -> tuple[GuildMembership | None, GuildMembership | None]:
    acting = membership_of(guild=guild, player=actor)
    permissions.permission_require(membership=acting, permission=permission)
    assert acting is not None
    sanction_check(player=actor, action=Action.GUILD_EDIT, title=guild.title)
    if target.id == actor.id:
        raise SelfAction()
    target_membership = membership_of(guild=guild, player=target)
    if target_membership is not None:
        permissions.rank_require(actor=acting, target_rank=target_membership.role.rank)
    return acting, target_membership


def guild_member_kick(*, actor: Player, guild: Guild, target: Player) -> None:
    """Remove ``target`` (needs ``kick`` and a higher rank). Their pending invite goes too,
    so an accept racing the kick finds nothing to accept."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        _acting, target_membership = _target_membership(
            guild=guild, actor=actor, target=target, permission=Permission.KICK
        )
        if target_membership is None:
            raise NotMember()
        GuildInvite.objects.filter(guild=guild, player=target).delete()
        _member_remove(guild=guild, membership=target_membership, how="kicked")
        audit_record(guild=guild, actor=actor, action=AuditAction.KICKED, target=target)
    guild_notify(recipient=target, actor=actor, event="guild_kicked", guild=guild)


def guild_member_ban(*, actor: Player, guild: Guild, target: Player, reason: str = "") -> GuildBan:
    """Ban ``target`` (member or not; needs ``ban`` and, for a member, a higher rank): they
    are removed and cannot rejoin, request or be invited until an officer lifts it."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        _acting, target_membership = _target_membership(
            guild=guild, actor=actor, target=target, permission=Permission.BAN
        )
        try:
            with transaction.atomic():
                ban = GuildBan.objects.create(
                    guild=guild, player=target, banned_by=actor, reason=reason
                )
        except IntegrityError as error:
            raise AlreadyBanned() from error
        GuildInvite.objects.filter(guild=guild, player=target).delete()
        GuildJoinRequest.objects.filter(guild=guild, player=target).delete()
        if target_membership is not None:
            _member_remove(guild=guild, membership=target_membership, how="banned")
        audit_record(
            guild=guild,
            actor=actor,
            action=AuditAction.BANNED,
            target=target,
            data={"reason": reason},
        )
    return ban


def guild_ban_lift(*, actor: Player, guild: Guild, target: Player) -> None:
    """Lift ``target``'s guild ban (needs ``ban``); ``not_found`` when there is none."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        _target_membership(guild=guild, actor=actor, target=target, permission=Permission.BAN)
        deleted, _rows = GuildBan.objects.filter(guild=guild, player=target).delete()
        if not deleted:
            raise GuildNotFound()
        audit_record(guild=guild, actor=actor, action=AuditAction.UNBANNED, target=target)
