"""Who may do what in a guild: the one place every guild action asks (docs/guilds.md).

A role grants a set of ``Permission``; the leader holds every permission whatever the stored
set says. Acting on another member also needs a strictly higher ``rank`` than theirs, so an
officer cannot kick the leader or a peer. The matrix of actions by roles is tested as data in
tests/guilds/test_permission_matrix.py.
"""

from collections.abc import Iterable

from apps.guilds.exceptions import NotMember, NotPermitted, PermissionNotHeld, RankTooLow
from apps.guilds.models import GuildMembership, GuildRole, Permission, RoleKind

LEADER_RANK = 100
OFFICER_RANK = 50
MEMBER_RANK = 0
OFFICER_DEFAULT_PERMISSIONS = (
    Permission.INVITE,
    Permission.ACCEPT_REQUESTS,
    Permission.KICK,
    Permission.BAN,
    Permission.MANAGE_CHAT,
    Permission.ANNOUNCE,
)


def role_permissions(role: GuildRole) -> frozenset[str]:
    if role.kind == RoleKind.LEADER:
        return frozenset(Permission.values)
    return frozenset(role.permissions)


def has_permission(membership: GuildMembership | None, permission: str) -> bool:
    return membership is not None and permission in role_permissions(membership.role)


def permission_require(*, membership: GuildMembership | None, permission: str) -> None:
    """Raise ``not_member`` or ``not_permitted`` unless ``membership`` holds ``permission``."""
    if membership is None:
        raise NotMember()
    if permission not in role_permissions(membership.role):
        raise NotPermitted(details={"permission": permission})


def rank_require(*, actor: GuildMembership, target_rank: int) -> None:
    """Raise ``rank_too_low`` unless ``actor`` outranks ``target_rank`` strictly."""
    if actor.role.rank <= target_rank:
        raise RankTooLow()


def grant_require(*, actor: GuildMembership, permissions: Iterable[str]) -> None:
    """Raise ``permission_not_held`` when ``permissions`` name one ``actor`` does not hold."""
    missing = set(permissions) - role_permissions(actor.role)
    if missing:
        raise PermissionNotHeld(details={"permissions": sorted(missing)})


# Holding any of these opens the guild's manage page in the portal.
MANAGING = frozenset({Permission.EDIT_GUILD, Permission.KICK, Permission.BAN,
                      Permission.MANAGE_ROLES, Permission.ACCEPT_REQUESTS,
                      Permission.INVITE})  # fmt: skip


def managing_permissions(membership: GuildMembership | None) -> frozenset[str]:
    """What of the manage page ``membership`` may use (empty: the page is not theirs)."""
    if membership is None:
        return frozenset()
    return role_permissions(membership.role) & MANAGING
