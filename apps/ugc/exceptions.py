"""UGC error codes. docs/ugc.md lists every one; the OpenAPI schema names them on the
operations that return them (``apps.ugc.apis.schema``)."""

from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError, Conflict, InvalidInput, NotFound
from apps.common.exceptions import PermissionDenied as BasePermissionDenied


class UnknownItem(NotFound):
    """No such item, or one the caller may not see (existence is never leaked)."""

    code = "unknown_item"
    default_message = _("No such content item.")


class UnknownComment(NotFound):
    code = "unknown_comment"
    default_message = _("No such comment.")


class UnknownUpload(NotFound):
    """No such upload session of the caller's (or it expired)."""

    code = "unknown_upload"
    default_message = _("No such upload, or it expired.")


class UnknownCreator(NotFound):
    """No such player, or one the caller may not see (blocked either way, deleted)."""

    code = "unknown_creator"
    default_message = _("No such creator.")


class UnknownTitle(NotFound):
    code = "unknown_title"
    default_message = _("No such title.")


class TooLarge(ApplicationError):
    code = "too_large"
    status_code = 413
    default_message = _("The file is larger than allowed for this kind of content.")


class EmptyFile(InvalidInput):
    code = "empty_file"
    default_message = _("The file is empty.")


class UnsupportedType(InvalidInput):
    """The content (magic bytes) is not a type this kind accepts — names and declared types
    are never trusted. SVG is always refused (it is active content)."""

    code = "unsupported_type"
    default_message = _("This kind of content does not accept this type of file.")


class DecompressionBomb(InvalidInput):
    code = "decompression_bomb"
    default_message = _("The image has more pixels than allowed.")


class CorruptFile(InvalidInput):
    code = "corrupt_file"
    default_message = _("The file is damaged or not what its header says.")


class Polyglot(InvalidInput):
    """A valid file with another file's data hidden after its end (e.g. JPEG + ZIP)."""

    code = "polyglot"
    default_message = _("The file carries data after its end.")


class ArchiveUnsafe(InvalidInput):
    """``details.reason`` says which check failed; ``details.entry`` names the entry."""

    code = "archive_unsafe"
    default_message = _("The archive is not safe to accept.")


class Duplicate(Conflict):
    code = "duplicate"
    default_message = _("This exact file has already been published for this title.")


class FileRequired(InvalidInput):
    code = "file_required"
    default_message = _("This kind of content needs a file.")


class InvalidLink(InvalidInput):
    code = "invalid_link"
    default_message = _("Clip links must be https links to a supported video site.")


class InvalidTags(InvalidInput):
    code = "invalid_tags"
    default_message = _("Tags are 1-32 letters, digits, '-' or '_'; at most 10.")


class InvalidGameVersion(InvalidInput):
    code = "invalid_game_version"
    default_message = _("Game versions look like 1.4 or 1.4.2, and the range must not be empty.")


class InvalidName(InvalidInput):
    code = "invalid_name"
    default_message = _("A name is 1-120 visible characters.")


class InvalidVisibility(InvalidInput):
    code = "invalid_visibility"
    default_message = _("Visibility is public, unlisted, friends or private.")


class TextTooLong(InvalidInput):
    """``details.field`` and ``details.max_length`` say which text and its limit."""

    code = "text_too_long"
    default_message = _("The text is too long.")


class EmptyComment(InvalidInput):
    code = "empty_comment"
    default_message = _("The comment is empty.")


class NoFile(Conflict):
    code = "no_file"
    default_message = _("This item has no file (it was published in game without one).")


class ContentRejected(InvalidInput):
    code = "content_rejected"
    default_message = _("The text was refused by the content filter.")


class CommentRejected(InvalidInput):
    code = "comment_rejected"
    default_message = _("The comment was refused by the content filter.")


class ReplyDepth(InvalidInput):
    code = "reply_depth"
    default_message = _("Replies can only answer a top-level comment of the same item.")


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    default_message = _("The cursor is not valid (take it from a list's `next`).")


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = _("The item is not in a state that allows this.")


class NotPublished(Conflict):
    code = "not_published"
    default_message = _("Only published items can be liked, followed or commented on.")


class UploadIncomplete(Conflict):
    code = "upload_incomplete"
    default_message = _("The upload has not received all of its bytes yet.")


class TooManyUploads(Conflict):
    """The player has too many unfinished resumable uploads open (or they reserve too many
    bytes): finish or delete one first. ``details``: ``max_open``, ``open``, ``max_bytes``,
    ``open_bytes``."""

    code = "too_many_uploads"
    default_message = _("You have too many unfinished uploads. Finish or cancel one first.")


class UploadOffsetMismatch(Conflict):
    """``details.offset`` is where the next chunk must start."""

    code = "upload_offset_mismatch"
    default_message = _("The chunk does not start where the upload stands.")


class NotAuthor(BasePermissionDenied):
    code = "not_author"
    default_message = _("Only the author can do this.")


class ReportsUnavailable(ApplicationError):
    code = "reports_unavailable"
    status_code = 503
    default_message = _("Reporting is not available yet.")


class LinkExpired(BasePermissionDenied):
    code = "link_expired"
    default_message = _("This download link has expired.")


class UploadRateLimited(ApplicationError):
    """Too many uploads (new items and versions) by one player in one title:
    ``details.retry_after`` (seconds), ``details.limit`` and ``details.window_seconds``."""

    code = "upload_rate_limited"
    status_code = 429
    default_message = _("You are uploading too much to this game. Try again later.")


class KindNotAllowed(BasePermissionDenied):
    """The title does not let its players share this kind of content; ``details.allowed``
    lists the kinds it does."""

    code = "kind_not_allowed"
    default_message = _("This game does not accept this kind of content.")
