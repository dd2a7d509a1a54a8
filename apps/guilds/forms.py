"""Portal forms for guilds (the same fields as the REST API; the services do the real checks:
names, tags, capacity, sanctions and limits)."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.guilds.models import Guild, JoinPolicy, Permission
from apps.titles.models import Title

StrOrPromise = str | Promise

SORT_CHOICES = [("members", _("Members")), ("activity", _("Activity")), ("created", _("Newest"))]


REGION_NAMES = {
    "eu": _("Europe"), "na": _("North America"), "sa": _("South America"), "asia": _("Asia"),
    "oce": _("Oceania"), "africa": _("Africa"),
}  # fmt: skip


def _region_choices() -> list[tuple[str, StrOrPromise]]:
    regions = [(region, REGION_NAMES.get(region, region)) for region in settings.GUILD_REGIONS]
    return [("", _("Any region")), *regions]


class GuildFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or tag"), required=False, max_length=64)
    title = forms.ModelChoiceField(
        label=_("Game"), required=False, empty_label=_("Any game"), to_field_name="slug",
        queryset=Title.objects.filter(is_active=True).order_by("name"),
    )  # fmt: skip
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("Any language")), *settings.PRODUCT_LANGUAGES],
    )  # fmt: skip
    region = forms.ChoiceField(label=_("Region"), required=False, choices=_region_choices)
    join_policy = forms.ChoiceField(
        label=_("Joining"), required=False, choices=[("", _("Any")), *JoinPolicy.choices]
    )
    has_room = forms.BooleanField(label=_("Has room"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)


class GuildCreateForm(forms.Form):
    title = forms.ModelChoiceField(
        label=_("Game"), to_field_name="slug",
        queryset=Title.objects.filter(is_active=True).order_by("name"),
    )  # fmt: skip
    name = forms.CharField(label=_("Name"), max_length=32, help_text=_("3 to 32 characters."))
    tag = forms.CharField(label=_("Tag"), max_length=5, help_text=_("2 to 5 characters."))
    description = forms.CharField(
        label=_("Description"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language"), choices=settings.PRODUCT_LANGUAGES)
    region = forms.ChoiceField(label=_("Region"), required=False, choices=_region_choices)
    join_policy = forms.ChoiceField(label=_("Joining"), choices=JoinPolicy.choices)


class GuildActionForm(forms.Form):
    """Join, request or leave: no fields; the service's refusal becomes the form's error."""


class GuildSettingsForm(forms.Form):
    """The settings a holder of ``edit_guild`` changes on the manage page."""

    description = forms.CharField(
        label=_("Description"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    # One box per language; the service checks each text like the description.
    description_translations = Guild._meta.get_field("description_translations").formfield()
    join_policy = forms.ChoiceField(label=_("Joining"), choices=JoinPolicy.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.PRODUCT_LANGUAGES)
    region = forms.ChoiceField(label=_("Region"), required=False, choices=_region_choices)


class _OwnIdsForm(forms.Form):
    """A form that shares the manage page with others: its element ids start with
    ``id_prefix`` so labels and error references never point into another form."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class GuildInviteForm(_OwnIdsForm):
    """Invite a player by their display name (folded as names are, so case and look-alike
    letters do not matter)."""

    id_prefix = "invite"
    name = forms.CharField(label=_("Player name"), max_length=64)


def _permission_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Permissions"), required=False, choices=Permission.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class GuildRoleCreateForm(_OwnIdsForm):
    id_prefix = "role_new"
    name = forms.CharField(label=_("Role name"), max_length=32)
    rank = forms.IntegerField(
        label=_("Rank"), min_value=1, max_value=99,
        help_text=_("1 to 99; higher ranks act on lower ones. Officers are 50."),
    )  # fmt: skip
    permissions = _permission_field()


class GuildRolePermissionsForm(forms.Form):
    permissions = _permission_field()


class GuildTransferForm(_OwnIdsForm):
    """Leadership transfer: the new leader among the members, and an explicit confirmation."""

    id_prefix = "transfer"
    new_leader = forms.TypedChoiceField(label=_("New leader"), coerce=int)
    confirm = forms.BooleanField(
        label=_("I understand that I will become an officer and the new leader will run the guild.")
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["new_leader"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = members


class GuildDisbandForm(_OwnIdsForm):
    id_prefix = "disband"
    confirm = forms.BooleanField(
        label=_(
            "I understand that disbanding removes every member, closes the guild's chat and "
            "cannot be undone."
        )
    )


class GuildEmblemForm(_OwnIdsForm):
    id_prefix = "emblem"
    image = forms.FileField(
        label=_("Emblem (PNG, JPEG or WebP)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
