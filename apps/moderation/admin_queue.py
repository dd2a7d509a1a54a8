"""The moderation queue in the admin: open report cases grouped by target, escalated first,
then by severity, reporter count and age. A case page shows the evidence of every report, the
surrounding messages, the player's sanctions and earlier cases and links to everything they
posted; claim it, then act with one click (dismiss, remove, warn, mute 1 h / 24 h / 7 d,
suspend, ban — each recorded). The list offers the same actions in bulk."""

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError
from apps.moderation.models import AuditEntry, CaseStatus, Report, ReportCase, Sanction
from apps.moderation.reports import (
    CASE_ACTION_LABELS,
    case_act,
    case_claim,
    case_queue_order,
    cases_act_bulk,
)
from apps.moderation.scopes import cases_in_scope
from apps.moderation.targets import target_kind


class StatusFilter(admin.SimpleListFilter):
    """Open cases unless asked otherwise: the queue is what needs doing."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("closed", _("Handled")), ("all", _("All"))]

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "open") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status=CaseStatus.OPEN)
        if value == "closed":
            return queryset.exclude(status=CaseStatus.OPEN)
        return queryset


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    can_delete = False
    fields = ["reporter", "category", "text", "created_at"]
    readonly_fields = ["reporter", "category", "text", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _bulk(action: str) -> Any:
    def run(modeladmin: "ReportCaseAdmin", request: HttpRequest, queryset: QuerySet) -> None:
        outcome = cases_act_bulk(cases=list(queryset), moderator=request.user, action=action)
        done = sum(1 for code in outcome.values() if code is None)
        refused = sorted({code for code in outcome.values() if code})
        modeladmin.message_user(request, _("%(done)d handled.") % {"done": done})
        if refused:
            modeladmin.message_user(
                request, _("Refused: %(codes)s") % {"codes": ", ".join(refused)}, messages.WARNING
            )

    run.__name__ = f"bulk_{action}"
    return admin.action(description=CASE_ACTION_LABELS[action], permissions=["handle"])(run)


@admin.register(ReportCase)
class ReportCaseAdmin(admin.ModelAdmin):
    list_display = ["summary", "target_type", "target_player", "title", "severity",
                    "reporter_count", "is_hidden", "age", "claimed_by", "status"]  # fmt: skip
    list_filter = [StatusFilter, "target_type", "is_hidden", "severity", "title"]
    search_fields = ["summary", "target_player__display_name"]
    list_select_related = ["target_player", "title", "claimed_by"]
    inlines = [ReportInline]
    change_form_template = "admin/moderation/reportcase/change_form.html"
    readonly_fields = ["target_type", "target_id", "target_player", "title", "summary", "status",
                       "severity", "reporter_count", "is_hidden", "escalated_at", "claimed_by",
                       "claimed_at", "resolved_by", "resolved_at", "resolution",
                       "resolution_note"]  # fmt: skip
    actions = [_bulk(name) for name in CASE_ACTION_LABELS]

    def get_ordering(self, request: HttpRequest) -> Any:
        return case_queue_order()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A title-limited moderator sees only their titles' cases.
        return cases_in_scope(super().get_queryset(request), moderator=request.user)

    @admin.display(description=_("age"))
    def age(self, obj: ReportCase) -> str:
        minutes = int((timezone.now() - obj.created_at).total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.handle_reportcase")

    def get_urls(self) -> list:
        extra = [
            path("<int:case_id>/claim/", self.admin_site.admin_view(self.claim_view),
                 name="moderation_reportcase_claim"),
            path("<int:case_id>/act/<str:action>/", self.admin_site.admin_view(self.act_view),
                 name="moderation_reportcase_act"),
        ]  # fmt: skip
        return extra + super().get_urls()

    def _back(self, case_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:moderation_reportcase_change", args=[case_id]))

    def claim_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        if request.method != "POST" or not self.has_handle_permission(request):
            raise PermissionDenied
        case = get_object_or_404(ReportCase, id=case_id)
        try:
            case_claim(case=case, moderator=cast(User, request.user))
            messages.success(request, _("You claimed this report."))
        except ApplicationError as error:
            messages.error(request, error.message)
        return self._back(case_id)

    def act_view(self, request: HttpRequest, case_id: int, action: str) -> HttpResponse:
        if request.method != "POST" or not self.has_handle_permission(request):
            raise PermissionDenied
        case = get_object_or_404(ReportCase, id=case_id)
        try:
            case_act(case=case, moderator=cast(User, request.user), action=action,
                     reason=str(request.POST.get("reason", ""))[:1000])  # fmt: skip
            messages.success(request, _("Done: %(action)s.") % {
                "action": CASE_ACTION_LABELS.get(action, action)})  # fmt: skip
        except ApplicationError as error:
            messages.error(request, error.message)
        return self._back(case_id)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:  # fmt: skip
        case = get_object_or_404(ReportCase.objects.select_related("target_player"),
                                 id=object_id)  # fmt: skip
        context = {**(extra_context or {}), **case_context(case)}
        context["can_handle"] = self.has_handle_permission(request)
        return super().change_view(request, object_id, form_url, extra_context=context)


def case_context(case: ReportCase) -> dict[str, Any]:
    """What a moderator needs to decide: evidence, context, history, links."""
    player = case.target_player
    reports = list(case.reports.select_related("reporter").order_by("created_at"))
    first_evidence = reports[0].evidence if reports else {}
    history = (
        Sanction.objects.filter(player=player).select_related("title").order_by("-starts_at")
        if player else Sanction.objects.none()
    )  # fmt: skip
    earlier = (
        ReportCase.objects.filter(target_player=player).exclude(id=case.id).order_by("-created_at")
        if player else ReportCase.objects.none()
    )  # fmt: skip
    links: dict[str, str] = {}
    try:
        links = target_kind(case.target_type).links(case.target_id)
    except ApplicationError:
        links = {}
    if player is not None:
        links["messages"] = (
            reverse("admin:chat_message_changelist") + f"?author__id__exact={player.id}"
        )
        links["sanctions"] = (
            reverse("admin:moderation_sanction_changelist") + f"?player__id__exact={player.id}"
        )
        links["player"] = reverse("admin:players_player_change", args=[player.id])
    return {
        "case": case,
        "reports": reports,
        "evidence": first_evidence,
        "sanction_history": list(history[:20]),
        "earlier_cases": list(earlier[:20]),
        "audit": list(AuditEntry.objects.filter(target_type=case.target_type,
                                                target_id=case.target_id)[:20]),
        "links": links,
        "case_actions": list(CASE_ACTION_LABELS.items()),
        "is_open": case.status == CaseStatus.OPEN,
    }  # fmt: skip


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Single reports (the queue works on cases): who reported what, with the evidence."""

    list_display = ["created_at", "reporter", "category", "case", "text"]
    list_filter = ["category"]
    search_fields = ["reporter__display_name", "text"]
    list_select_related = ["reporter", "case"]
    readonly_fields = ["case", "reporter", "category", "text", "evidence", "created_at",
                       "reporter_notified_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
