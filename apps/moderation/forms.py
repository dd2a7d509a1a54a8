"""Admin forms: issuing a sanction (durations as one-click choices) and lifting one."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.moderation.models import Sanction
from apps.moderation.sanctions import moderator_may_issue

DURATIONS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "permanent": None,
}
DURATION_CHOICES = [
    ("1h", _("1 hour")),
    ("24h", _("24 hours")),
    ("3d", _("3 days")),
    ("7d", _("7 days")),
    ("30d", _("30 days")),
    ("permanent", _("Permanent")),
]


class SanctionIssueForm(forms.ModelForm):
    """``moderator`` is the staff user issuing it: the form refuses what their role may not."""

    duration = forms.ChoiceField(label=_("duration"), choices=DURATION_CHOICES, initial="24h")

    moderator: Any = None

    class Meta:
        model = Sanction
        fields = ["player", "kind", "title", "duration", "reason_category", "reason", "evidence"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, duration = cleaned.get("kind"), DURATIONS.get(cleaned.get("duration") or "")
        if kind and self.moderator is not None:
            allowed = moderator_may_issue(
                moderator=self.moderator, kind=kind, expires_at=None, duration=duration
            )
            if not allowed:
                raise forms.ValidationError(
                    _("Your moderator role does not allow this sanction or duration."),
                    code="moderation_forbidden",
                )
        return cleaned

    def sanction_options(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data.get("title"),
            "duration": DURATIONS[data["duration"]],
            "reason_category": data["reason_category"],
            "reason": data.get("reason", ""),
            "evidence": data.get("evidence") or [],
        }


class SanctionLiftForm(forms.Form):
    reason = forms.CharField(label=_("Why lift it?"), widget=forms.Textarea, max_length=1000)
