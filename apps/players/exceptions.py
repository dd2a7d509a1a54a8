"""Players' error codes (listed in docs/api.md, "Players")."""

from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError, Conflict, InvalidInput, NotFound
from apps.common.text_safety import NameRejected


class DisplayNameTaken(Conflict):
    code = "display_name_taken"
    default_message = _("That display name (or one that looks the same) is already taken.")


class AlreadyFriends(Conflict):
    code = "already_friends"
    default_message = _("You are already friends.")


class FriendRequestExists(Conflict):
    code = "friend_request_exists"
    default_message = _("You already sent a friend request to this player.")


class FriendRequestLimit(Conflict):
    code = "friend_request_limit"
    default_message = _("You have too many pending friend requests; wait for some answers.")


class SelfRelation(InvalidInput):
    code = "self_relation"
    default_message = _("You cannot do that to yourself.")


class IdentityAlreadyClaimed(Conflict):
    code = "identity_already_claimed"
    default_message = _("This game account is already linked to a community player.")


class IdentityNotKnownToTitle(NotFound):
    """A title asked for an identity its events and calls never created or used. 404, like
    an unknown player: a title learns nothing about the identities of other titles' players."""

    code = "identity_not_known_to_title"
    default_message = _("This title has not created or used this game account.")


class ClaimCodeInvalid(NotFound):
    """One code for unknown, expired and used codes: guessing learns nothing."""

    code = "claim_code_invalid"
    default_message = _("This code is not valid, has expired or was already used.")


class AccountDeletionPending(Conflict):
    code = "account_deletion_pending"
    default_message = _("This account is scheduled for deletion.")


def name_error(rejected: NameRejected) -> ApplicationError:
    """Map a text-safety rejection to an error with the same code (docs/api.md)."""
    return InvalidInput(str(rejected.message), code=rejected.code)
