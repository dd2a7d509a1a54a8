"""Chat in the admin: channels (slow mode) and messages with their edit history (automod rules,
mutes and bans are in Moderation). Writes go through services so they act
on open sockets."""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.chat.actions import message_delete
from apps.chat.models import (
    Channel,
    Message,
    MessageEdit,
    TitleChatSettings,
)
from apps.chat.reactions import reaction_emoji_clean, title_chat_settings_save
from apps.common.exceptions import ApplicationError


class EmojiListField(forms.CharField):
    """A list of emoji edited as one line, separated by spaces."""

    def prepare_value(self, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        try:
            return reaction_emoji_clean(str(super().to_python(value) or "").split())
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message)) from error


class TitleChatSettingsForm(forms.ModelForm):
    reaction_emoji = EmojiListField(
        label=_("reaction emoji"),
        required=False,
        help_text=_("Separated by spaces, e.g. 👍 ❤️ GG. Empty: the default set."),
    )

    class Meta:
        model = TitleChatSettings
        fields = ["title", "reaction_emoji"]


@admin.register(TitleChatSettings)
class TitleChatSettingsAdmin(admin.ModelAdmin):
    form = TitleChatSettingsForm
    list_display = ["title", "reaction_emoji"]

    def save_model(
        self, request: HttpRequest, obj: TitleChatSettings, form: Any, change: bool
    ) -> None:
        title_chat_settings_save(settings_row=obj)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "title", "locale", "last_seq", "slow_mode_seconds"]
    list_filter = ["kind", "title"]
    search_fields = ["name", "key"]
    readonly_fields = ["key", "kind", "last_seq", "closed_at"]


class MessageEditInline(admin.TabularInline):
    model = MessageEdit
    extra = 0
    readonly_fields = ["body", "created_at"]
    can_delete = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["channel", "seq", "author", "body", "is_flagged", "deleted_at"]
    list_filter = ["is_flagged", "channel__kind"]
    search_fields = ["body"]
    autocomplete_fields = ["author", "channel"]  # pickers search by name, no raw ids
    list_select_related = ["channel", "author"]
    readonly_fields = [
        "channel", "seq", "author", "body", "client_msg_id", "mentioned_player_ids",
        "attachments", "edited_at", "deleted_at", "deleted_by",
    ]  # fmt: skip
    inlines = [MessageEditInline]
    actions = ["delete_for_everyone"]

    @admin.action(description=_("Delete for everyone (broadcast)"), permissions=["delete"])
    def delete_for_everyone(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message in queryset.select_related("channel"):
            message_delete(message=message, moderator=cast(User, request.user))
