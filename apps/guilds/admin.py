"""Staff view of guilds: members and the append-only audit log. Disbanding goes through the
service with a reason, recorded in the moderation audit log (so does
``apps.guilds.moderation.guild_staff_rename``)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.guilds.models import Guild, GuildAuditEntry, GuildMembership
from apps.guilds.moderation import guild_staff_disband


class MembershipInline(admin.TabularInline):
    model = GuildMembership
    fields = ("player", "role", "is_leader", "joined_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditInline(admin.TabularInline):
    model = GuildAuditEntry
    fields = ("created_at", "actor", "action", "target", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


@admin.register(Guild)
class GuildAdmin(admin.ModelAdmin):
    list_display = ("name", "tag", "title", "member_count", "capacity", "disbanded_at")
    list_filter = ("title", "join_policy", "language")
    search_fields = ("name", "tag")
    readonly_fields = (
        *("name", "tag", "title", "member_count", "disbanded_at", "name_key", "tag_key"),
        "is_name_released",
    )
    fields = (
        *readonly_fields, "description", "description_translations", "language", "region",
        "join_policy", "capacity",
    )  # fmt: skip
    inlines = [MembershipInline, AuditInline]
    action_form = StaffActionForm
    actions = ["disband_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Disband (reason required)"))
    def disband_selected(self, request: HttpRequest, queryset: QuerySet[Guild]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason."), level=messages.ERROR)
            return
        for guild in queryset.filter(disbanded_at=None):
            guild_staff_disband(staff=request.user, guild=guild, reason=reason)
        self.message_user(request, _("Disbanded."))
