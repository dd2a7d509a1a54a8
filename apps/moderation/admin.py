"""Moderation in the admin. Sanctions are issued and lifted through services (audited,
notified, enforced live), never by editing rows; the audit log is read-only for everyone,
superusers included, and exports as CSV."""

import csv
from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError
from apps.moderation import (  # noqa: F401 - they register their admins
    admin_appeals,
    admin_automod,
    admin_queue,
)
from apps.moderation.forms import SanctionIssueForm, SanctionLiftForm
from apps.moderation.models import AuditEntry, ModeratorScope, Sanction
from apps.moderation.sanctions import sanction_issue_by_moderator, sanction_lift_by_moderator


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("ended", _("Ended or lifted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from apps.moderation.enforcement import active_filter

        if self.value() == "active":
            return queryset.filter(active_filter(timezone.now()))
        if self.value() == "ended":
            return queryset.exclude(active_filter(timezone.now()))
        return queryset


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    form = SanctionIssueForm
    list_display = ["player", "kind", "title", "starts_at", "expires_at", "is_active",
                    "issuer_kind", "issued_by", "reason_category"]  # fmt: skip
    list_filter = [ActiveFilter, "kind", "issuer_kind", "reason_category", "title"]
    search_fields = ["player__display_name", "player__user__username", "reason"]
    autocomplete_fields = ["player"]
    list_select_related = ["player", "title", "issued_by"]
    readonly_fields = [
        "player", "kind", "title", "starts_at", "expires_at", "reason_category", "reason",
        "evidence", "issuer_kind", "issued_by", "issuer_detail", "external_id", "lifted_at",
        "lifted_by", "lift_reason", "lift_link",
    ]  # fmt: skip

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, obj: Sanction) -> bool:
        return obj.is_active_at(timezone.now())

    @admin.display(description=_("lift"))
    def lift_link(self, obj: Sanction) -> str:
        if obj.lifted_at is not None or not obj.is_active_at(timezone.now()):
            return "—"
        url = reverse("admin:moderation_sanction_lift", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Lift early…"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return self.readonly_fields
        return ["player", "kind", "title", "duration", "reason_category", "reason", "evidence"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:  # fmt: skip
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, obj, change=change, **kwargs)
        form.moderator = request.user  # type: ignore[attr-defined]  # SanctionIssueForm
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never edited: lifted through the lift view

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Sanction, form: Any, change: bool) -> None:
        issued = sanction_issue_by_moderator(
            moderator=cast(User, request.user), player=obj.player, kind=obj.kind,
            **form.sanction_options(),
        )  # fmt: skip
        obj.pk = issued.pk

    def get_urls(self) -> list:
        extra = [
            path("<int:sanction_id>/lift/", self.admin_site.admin_view(self.lift_view),
                 name="moderation_sanction_lift"),
        ]  # fmt: skip
        return extra + super().get_urls()

    def lift_view(self, request: HttpRequest, sanction_id: int) -> HttpResponse:
        if not request.user.has_perm("moderation.lift_sanction"):
            raise PermissionDenied
        sanction = get_object_or_404(Sanction.objects.select_related("player"), id=sanction_id)
        form = SanctionLiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                sanction_lift_by_moderator(
                    moderator=request.user, sanction=sanction, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The sanction was lifted."))
            url = reverse("admin:moderation_sanction_change", args=[sanction.pk])
            return HttpResponseRedirect(url)
        context = {**self.admin_site.each_context(request), "sanction": sanction, "form": form,
                   "opts": self.model._meta, "title": _("Lift sanction")}  # fmt: skip
        return render(request, "admin/moderation/sanction_lift.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_kind", "actor_name", "action", "target_type",
                    "target_id", "target_player_name", "title_slug", "reason"]  # fmt: skip
    list_filter = ["actor_kind", "action", "target_type"]
    search_fields = ["actor_name", "target_player_name", "reason", "target_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.export_auditentry")

    @admin.action(description=_("Export selected as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponse:
        return audit_csv_response(queryset.order_by("created_at", "id"))


CSV_COLUMNS = ["created_at", "actor_kind", "actor_id", "actor_name", "action", "target_type",
               "target_id", "target_player_id", "target_player_name", "title_slug", "reason",
               "before", "after"]  # fmt: skip


def _csv_cell(value: Any) -> Any:
    # Spreadsheets run cells starting with = + - @ as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def audit_csv_response(entries: QuerySet[AuditEntry]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="moderation-audit.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator():
        writer.writerow([_csv_cell(getattr(entry, column)) for column in CSV_COLUMNS])
    return response


@admin.register(ModeratorScope)
class ModeratorScopeAdmin(admin.ModelAdmin):
    """Superusers limit moderators to titles (no titles: every title)."""

    list_display = ["user", "title_list"]
    filter_horizontal = ["titles"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("titles"))
    def title_list(self, obj: ModeratorScope) -> str:
        return ", ".join(title.slug for title in obj.titles.all()) or str(_("every title"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
