"""Guild errors: each has a stable ``code`` documented in docs/guilds.md and the OpenAPI."""

from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied


class GuildNotFound(NotFound):
    code = "not_found"
    default_message = _("No such guild.")


class NotMember(PermissionDenied):
    code = "not_member"
    default_message = _("You are not a member of this guild.")


class NotPermitted(PermissionDenied):
    code = "not_permitted"
    default_message = _("Your guild role does not allow this.")


class RankTooLow(PermissionDenied):
    code = "rank_too_low"
    default_message = _("You can act only on members of a lower rank than yours.")


class PermissionNotHeld(PermissionDenied):
    code = "permission_not_held"
    default_message = _("You can grant only permissions you hold yourself.")


class GuildBanned(PermissionDenied):
    code = "guild_banned"
    default_message = _("You are banned from this guild.")


class InviteRefused(PermissionDenied):
    code = "invite_refused"
    default_message = _("This player does not accept guild invitations from you.")


class JoinNeedsApproval(PermissionDenied):
    code = "approval_required"
    default_message = _("This guild approves new members: send a join request.")


class InviteOnly(PermissionDenied):
    code = "invite_only"
    default_message = _("This guild admits invited players only.")


class GuildFull(Conflict):
    code = "guild_full"
    default_message = _("The guild is full.")


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = _("The player is already a member of this guild.")


class GuildLimitReached(Conflict):
    code = "guild_limit_reached"
    default_message = _("The player belongs to as many guilds of this title as allowed.")


class RequestExists(Conflict):
    code = "request_exists"
    default_message = _("A join request is already pending.")


class InviteExists(Conflict):
    code = "invite_exists"
    default_message = _("This player already has a pending invitation.")


class InviteExpired(ApplicationError):
    code = "invite_expired"
    status_code = 410
    default_message = _("The invitation expired.")


class NameTaken(Conflict):
    code = "name_taken"
    default_message = _("Another guild has this name.")


class TagTaken(Conflict):
    code = "tag_taken"
    default_message = _("Another guild of this title has this tag.")


class LeaderMustTransfer(Conflict):
    code = "leader_must_transfer"
    default_message = _("Transfer leadership before leaving, or disband the guild.")


class GuildDisbanded(ApplicationError):
    code = "guild_disbanded"
    status_code = 410
    default_message = _("The guild was disbanded.")


class AlreadyBanned(Conflict):
    code = "already_banned"
    default_message = _("The player is already banned from this guild.")


class InvalidCapacity(ApplicationError):
    code = "invalid_capacity"
    default_message = _("The capacity must lie between the member count and the maximum.")


class SelfAction(ApplicationError):
    code = "self_action"
    default_message = _("You cannot do this to yourself.")


class RoleInUse(Conflict):
    code = "role_in_use"
    default_message = _("Members still hold this role: give them another role first.")
