"""Portal forms (the same fields as the REST API; the services do the real checks)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.titles.models import Title
from apps.ugc.enforcement import REPORT_REASONS
from apps.ugc.models import Item, ItemVisibility, Kind

SORT_CHOICES = [("new", _("Newest")), ("top", _("Top")), ("trending", _("Trending"))]


class UploadForm(forms.Form):
    title = forms.ModelChoiceField(
        label=_("Game"), queryset=Title.objects.filter(is_active=True), to_field_name="slug"
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        max_length=5000,
    )  # fmt: skip
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=400,
        help_text=_("Comma-separated, e.g. speedrun, night"),
    )  # fmt: skip
    visibility = forms.ChoiceField(label=_("Visibility"), choices=ItemVisibility.choices)
    file = forms.FileField(label=_("File"), required=False)
    preview = forms.FileField(label=_("Preview image (levels, mods, replays)"), required=False)
    link_url = forms.CharField(label=_("Clip link (https)"), required=False, max_length=500)
    changelog = forms.CharField(label=_("Changelog"), required=False, max_length=2000)
    game_version_min = forms.CharField(label=_("Works from game version"), required=False,
                                       max_length=32)  # fmt: skip
    game_version_max = forms.CharField(label=_("Up to game version"), required=False,
                                       max_length=32)  # fmt: skip
    publish = forms.BooleanField(label=_("Publish now"), required=False, initial=True)

    def kinds_limit_to(self, allowed: list[str]) -> None:
        """Offer only the kinds the chosen title accepts (the service refuses the others)."""
        field = self.fields["kind"]
        field.choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Kind.choices if value in allowed
        ]


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New file"))
    preview = forms.FileField(label=_("Preview image"), required=False)
    changelog = forms.CharField(label=_("What changed"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    game_version_min = forms.CharField(label=_("Works from game version"), required=False,
                                       max_length=32)  # fmt: skip
    game_version_max = forms.CharField(label=_("Up to game version"), required=False,
                                       max_length=32)  # fmt: skip


class EditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        max_length=5000,
    )  # fmt: skip
    # One box per language; the service checks each text like the description.
    description_translations = Item._meta.get_field("description_translations").formfield()
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=ItemVisibility.choices)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    parent_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=REPORT_REASONS,
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GalleryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=64)
    game_version = forms.CharField(label=_("Game version"), required=False, max_length=32)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
