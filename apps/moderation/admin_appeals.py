"""Appeals in the admin: the pending ones first; senior moderators accept (the sanction is
lifted) or reject, with a text the player reads. Decisions go through the service (notified,
audited)."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError
from apps.moderation.appeals import appeal_decide
from apps.moderation.models import Appeal


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept and lift the sanction")),
                                          ("reject", _("Reject"))])  # fmt: skip
    text = forms.CharField(label=_("Decision (shown to the player)"), widget=forms.Textarea,
                           max_length=2000)  # fmt: skip


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["created_at", "player", "sanction", "status", "decided_by", "decide_link"]
    list_filter = ["status"]
    search_fields = ["player__display_name", "text"]
    list_select_related = ["player", "sanction", "decided_by"]
    readonly_fields = ["sanction", "player", "text", "status", "decided_by", "decided_at",
                       "decision_text", "decide_link"]  # fmt: skip

    def get_ordering(self, request: HttpRequest) -> Any:
        return ["-created_at"]

    @admin.display(description=_("decide"))
    def decide_link(self, obj: Appeal) -> str:
        if obj.status != Appeal.Status.PENDING:
            return "—"
        url = reverse("admin:moderation_appeal_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Decide…"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        decide = path("<int:appeal_id>/decide/", self.admin_site.admin_view(self.decide_view),
                      name="moderation_appeal_decide")  # fmt: skip
        return [decide, *super().get_urls()]

    def decide_view(self, request: HttpRequest, appeal_id: int) -> HttpResponse:
        if not request.user.has_perm("moderation.decide_appeal"):
            raise PermissionDenied
        appeal = get_object_or_404(Appeal.objects.select_related("sanction", "player"),
                                   id=appeal_id)  # fmt: skip
        form = AppealDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                appeal_decide(appeal=appeal, moderator=cast(User, request.user),
                              accept=form.cleaned_data["decision"] == "accept",
                              decision_text=form.cleaned_data["text"])  # fmt: skip
                messages.success(request, _("The appeal was decided; the player is notified."))
            except ApplicationError as error:
                messages.error(request, error.message)
            return HttpResponseRedirect(reverse("admin:moderation_appeal_changelist"))
        context = {**self.admin_site.each_context(request), "appeal": appeal, "form": form,
                   "opts": self.model._meta, "title": _("Decide appeal")}  # fmt: skip
        return render(request, "admin/moderation/appeal_decide.html", context)
