"""Portal pages: report something (then block its author if you like), and "My sanctions and
appeals" (what holds, why, until when; appeal each once)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.common.client_address import client_address_of_request
from apps.common.exceptions import ApplicationError
from apps.moderation import selectors
from apps.moderation.appeal_links import appeal_link_sanction
from apps.moderation.appeals import appeal_submit
from apps.moderation.models import ReasonCategory, SanctionKind, TargetType
from apps.moderation.reports import report_submit
from apps.players.models import Player
from apps.players.views import player_required


class ReportForm(forms.Form):
    target_type = forms.ChoiceField(choices=TargetType.choices, widget=forms.HiddenInput)
    target_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("What is wrong?"), choices=ReasonCategory.choices)
    text = forms.CharField(label=_("Anything to add? (optional)"), required=False,
                           max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


@player_required
@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest, player: Player) -> HttpResponse:
    form = ReportForm(request.POST or request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            report, _created = report_submit(reporter=player, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            reported = report.case.target_player
            return render(request, "moderation/reported.html", {
                "reported": reported if reported is not None and reported.id != player.id else None,
            })  # fmt: skip
    return render(request, "moderation/report.html", {"form": form})


SANCTION_STATUS_LABELS = {
    "active": _("active"),
    "scheduled": _("scheduled"),
    "expired": _("expired"),
    "lifted": _("lifted"),
}
APPEAL_STATUS_LABELS = {
    "pending": _("pending"),
    "accepted": _("accepted"),
    "rejected": _("rejected"),
}


class AppealForm(forms.Form):
    text = forms.CharField(label=_("Why should this be lifted?"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


@player_required
def my_sanctions_page(request: HttpRequest, player: Player) -> HttpResponse:
    from apps.moderation.apis import sanction_data

    sanctions = [sanction_data(s) for s in selectors.sanctions_of_player(player=player)]
    return render(request, "moderation/my_sanctions.html",
                  {"sanctions": sanctions, "appeal_form": AppealForm()})  # fmt: skip


@player_required
@require_POST
def appeal_create(request: HttpRequest, player: Player, sanction_id: int) -> HttpResponse:
    form = AppealForm(request.POST)
    try:
        sanction = selectors.sanction_get_for_player(player=player, sanction_id=sanction_id)
        appeal_submit(player=player, sanction=sanction,
                      text=form.data.get("text", ""))  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your appeal was sent. You will be notified of the decision."))
    return redirect("moderation:my-sanctions")


@require_http_methods(["GET", "POST"])
def appeal_link_page(request: HttpRequest, token: str) -> HttpResponse:
    """The appeal of a player who cannot log in (banned or suspended): no session, the signed
    link names the one sanction this page shows and appeals (``apps.moderation.appeal_links``)."""
    from apps.moderation.apis import sanction_data

    try:
        sanction = appeal_link_sanction(
            token=token, client_address=client_address_of_request(request)
        )
    except ApplicationError as error:
        return render(request, "moderation/appeal_link.html", {"refusal": error.message},
                      status=error.status_code)  # fmt: skip
    form = AppealForm(request.POST or None)
    if request.method == "POST":
        try:
            appeal_submit(player=sanction.player, sanction=sanction,
                          text=form.data.get("text", ""))  # fmt: skip
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Your appeal was sent. You will be notified of the decision.")
            )
        return redirect(reverse("moderation:appeal-link", kwargs={"token": token}))
    data = sanction_data(sanction)
    appeal = data["appeal"]
    labels = {
        "kind": SanctionKind(sanction.kind).label,
        "status": SANCTION_STATUS_LABELS[data["status"]],
        "reason_category": ReasonCategory(sanction.reason_category).label,
        "appeal": APPEAL_STATUS_LABELS.get(appeal["status"]) if appeal else None,
    }
    return render(request, "moderation/appeal_link.html",
                  {"sanction": data, "labels": labels, "appeal_form": form})  # fmt: skip
