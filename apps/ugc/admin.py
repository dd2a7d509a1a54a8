"""UGC in the admin: the review queue (versions waiting for review), items with bulk hide /
restore / remove, comments, and the per-title settings ("review before publish", the kinds
players may share). Rows are read
only: every change goes through ``apps.ugc.services.moderation`` (the services moderation's
own queue calls too)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.common.exceptions import ApplicationError
from apps.ugc.models import (
    Comment,
    Item,
    ItemVersion,
    Kind,
    ReviewQueueEntry,
    TitleSettings,
    all_kinds,
)
from apps.ugc.services import moderation


def _each(request: HttpRequest, queryset: QuerySet, action: Any, done: Any) -> None:
    count = 0
    for obj in queryset:
        try:
            action(obj)
        except ApplicationError as error:
            messages.error(request, f"{obj}: {error.message}")
            continue
        count += 1
    messages.success(request, done % {"count": count})


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("ugc.moderate_item") or super().has_view_permission(
            request, obj
        )


class TitleSettingsForm(forms.ModelForm):
    """The allowed kinds as checkboxes (stored as the list of kind values)."""

    allowed_kinds = forms.MultipleChoiceField(
        label=_("allowed kinds"),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The kinds of content players may share for this game. Items already shared stay."
        ),
    )

    class Meta:
        model = TitleSettings
        fields = ["title", "requires_review", "allowed_kinds"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("allowed_kinds", all_kinds())


@admin.register(TitleSettings)
class TitleSettingsAdmin(admin.ModelAdmin):
    form = TitleSettingsForm
    list_display = ["title", "requires_review", "allowed_kinds_display"]
    list_editable = ["requires_review"]

    @admin.display(description=_("allowed kinds"))
    def allowed_kinds_display(self, obj: TitleSettings) -> str:
        labels = dict(Kind.choices)
        return ", ".join(str(labels[kind]) for kind in Kind.values if kind in obj.allowed_kinds)


_VERSION_FIELDS = ("number", "original_filename", "size", "sha256", "review_state",
                   "thumbnail_state", "game_version_min", "game_version_max", "changelog",
                   "created_at")  # fmt: skip


class VersionInline(admin.TabularInline):
    model = ItemVersion
    extra = 0
    can_delete = False
    fields = _VERSION_FIELDS
    readonly_fields = _VERSION_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["name", "title", "kind", "creator", "state", "visibility", "is_hidden",
                    "like_count", "download_count", "created_at"]  # fmt: skip
    list_filter = ["state", "is_hidden", "kind", "visibility", "title", "source"]
    search_fields = ["name", "description", "tags_text", "creator__display_name", "external_id"]
    list_select_related = ["title", "creator"]
    readonly_fields = ["name", "title", "kind", "creator", "description", "tags_text",
                       "visibility", "state", "state_reason", "is_hidden", "hidden_reason",
                       "link_url", "external_id", "external_url", "source", "like_count",
                       "download_count", "comment_count", "trending_score", "published_at",
                       "created_at"]  # fmt: skip
    exclude = ["search_vector", "current_version", "compat_min_key", "compat_max_key", "tags"]
    inlines = [VersionInline]
    actions = ["hide", "restore", "remove"]

    @admin.action(description=_("Hide selected items"), permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _each(request, queryset,
              lambda item: moderation.item_hide(item=item, moderator=request.user),
              ngettext_lazy("%(count)d item hidden.",
                            "%(count)d items hidden.", "count"))  # fmt: skip

    @admin.action(description=_("Restore (unhide) selected items"), permissions=["moderate"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _each(request, queryset,
              lambda item: moderation.item_restore(item=item, moderator=request.user),
              ngettext_lazy("%(count)d item restored.",
                            "%(count)d items restored.", "count"))  # fmt: skip

    @admin.action(description=_("Remove selected items (final)"), permissions=["moderate"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _each(request, queryset,
              lambda item: moderation.item_remove(item=item, moderator=request.user),
              ngettext_lazy("%(count)d item removed.",
                            "%(count)d items removed.", "count"))  # fmt: skip

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ugc.moderate_item")


@admin.register(ReviewQueueEntry)
class ReviewQueueAdmin(ReadOnlyAdmin):
    """Versions waiting for review, oldest first (titles with "review before publish")."""

    list_display = ["item_link", "number", "kind", "creator", "original_filename", "size",
                    "changelog", "created_at"]  # fmt: skip
    list_filter = ["title"]
    ordering = ["created_at"]
    actions = ["approve", "reject"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewQueueEntry]:
        return (
            super().get_queryset(request)
            .filter(review_state="pending", item__state__in=["pending_review", "published"])
            .select_related("item", "item__creator", "title")
        )  # fmt: skip

    @admin.display(description=_("item"))
    def item_link(self, obj: ReviewQueueEntry) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("ugc:item", kwargs={"item_id": obj.item_id}),
            obj.item.name,
        )

    @admin.display(description=_("kind"))
    def kind(self, obj: ReviewQueueEntry) -> str:
        return obj.item.kind

    @admin.display(description=_("creator"))
    def creator(self, obj: ReviewQueueEntry) -> str:
        return obj.item.creator.display_name

    @admin.action(description=_("Approve selected versions"), permissions=["moderate"])
    def approve(self, request: HttpRequest, queryset: QuerySet[ReviewQueueEntry]) -> None:
        _each(request, queryset,
              lambda version: moderation.version_review_approve(version=version,
                                                                moderator=request.user),
              ngettext_lazy("%(count)d version approved.",
                            "%(count)d versions approved.", "count"))  # fmt: skip

    @admin.action(description=_("Reject selected versions"), permissions=["moderate"])
    def reject(self, request: HttpRequest, queryset: QuerySet[ReviewQueueEntry]) -> None:
        _each(request, queryset,
              lambda version: moderation.version_review_reject(version=version,
                                                               moderator=request.user),
              ngettext_lazy("%(count)d version rejected.",
                            "%(count)d versions rejected.", "count"))  # fmt: skip

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ugc.moderate_item")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "author", "body", "is_flagged", "is_hidden", "removed_at",
                    "created_at"]  # fmt: skip
    list_filter = ["is_flagged", "is_hidden"]
    search_fields = ["body", "author__display_name"]
    list_select_related = ["item", "author"]
    readonly_fields = ["item", "author", "parent", "body", "is_flagged", "is_hidden",
                       "removed_at", "deleted_at", "created_at"]  # fmt: skip
    actions = ["hide", "restore", "remove"]

    @admin.action(description=_("Hide selected comments"), permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        _each(request, queryset,
              lambda comment: moderation.comment_hide(comment=comment, moderator=request.user),
              ngettext_lazy("%(count)d comment hidden.",
                            "%(count)d comments hidden.", "count"))  # fmt: skip

    @admin.action(description=_("Restore selected comments"), permissions=["moderate"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        _each(request, queryset,
              lambda comment: moderation.comment_restore(comment=comment, moderator=request.user),
              ngettext_lazy("%(count)d comment restored.",
                            "%(count)d comments restored.", "count"))  # fmt: skip

    @admin.action(description=_("Remove selected comments (final)"), permissions=["moderate"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        _each(request, queryset,
              lambda comment: moderation.comment_remove(comment=comment, moderator=request.user),
              ngettext_lazy("%(count)d comment removed.",
                            "%(count)d comments removed.", "count"))  # fmt: skip

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ugc.moderate_item")
