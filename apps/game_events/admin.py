from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.game_events.models import EventCounter, InboxEvent
from apps.game_events.services import inbox_requeue_failed


@admin.register(InboxEvent)
class InboxEventAdmin(admin.ModelAdmin):
    """The inbox is a record of what titles sent: read-only; a failed event is retried with
    the action (the same service as ``events_replay --failed``)."""

    list_display = (
        "event_type", "event_id", "title", "state", "reason", "channel", "occurred_at",
        "created_at",
    )  # fmt: skip
    list_filter = ("state", "event_type", "channel", "title", "reason")
    search_fields = ("event_id", "source", "subject")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("title",)
    readonly_fields = [field.name for field in InboxEvent._meta.fields]
    actions = ["requeue_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed events"))
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[InboxEvent]) -> None:
        number = inbox_requeue_failed(inbox_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext("%(n)d failed event requeued.", "%(n)d failed events requeued.", number)
            % {"n": number},
            messages.SUCCESS,
        )


@admin.register(EventCounter)
class EventCounterAdmin(admin.ModelAdmin):
    list_display = ("event_type", "outcome", "count", "updated_at")
    list_filter = ("outcome", "event_type")
    ordering = ("event_type", "outcome")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
