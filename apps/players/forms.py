"""Portal forms: input shape only; the services validate names, zones and the rest."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.players.models import NotificationKind, Privacy
from apps.players.preferences import TIME_ZONE_HELP, time_zone_choices


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=64)
    bio = forms.CharField(
        label=_("Bio"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=TIME_ZONE_HELP,
        # static/players/time_zone.js: a search box over the list, the browser's zone offered
        widget=forms.Select(attrs={"data-time-zone-select": ""}),
    )
    country = forms.CharField(
        label=_("Country (two letters)"), max_length=2, required=False, strip=True
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class PlayerCreateForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=64)
    # The browser's zone (Intl), filled by static/players/time_zone.js: a new player starts in
    # it. Empty or unknown (no script, an odd browser) leaves the default, UTC.
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""}),
    )

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"]
        return zone if zone in dict(time_zone_choices()) else ""


class AvatarForm(forms.Form):
    image = forms.FileField(
        label=_("Avatar (PNG, JPEG or WebP)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


class SettingsForm(forms.Form):
    privacy = forms.ChoiceField(label=_("Who can see my profile"), choices=Privacy.choices)
    opted_out = forms.MultipleChoiceField(
        label=_("Do not notify me about"),
        choices=NotificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ClaimCodeForm(forms.Form):
    code = forms.CharField(label=_("Code shown in the game"), max_length=32)
