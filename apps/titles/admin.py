from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.titles.models import Title, TitleCredential
from apps.titles.scopes import SCOPE_CHOICES
from apps.titles.services import (
    title_credential_create,
    title_credential_revoke,
    title_credential_rotate,
)


class TitleCredentialInline(admin.TabularInline):
    model = TitleCredential
    fk_name = "title"
    extra = 0
    can_delete = False
    fields = ("name", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Title)
class TitleAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "publisher", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "publisher")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TitleCredentialInline]


class TitleCredentialCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, label=_("scopes")
    )

    class Meta:
        model = TitleCredential
        fields = ("title", "name", "scopes", "expires_at")


@admin.register(TitleCredential)
class TitleCredentialAdmin(admin.ModelAdmin):
    """Keys are created, rotated and revoked through services; the key is shown once."""

    list_display = ("title", "name", "prefix", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("title",)
    search_fields = ("name", "prefix", "title__name")
    actions = ["rotate", "revoke"]

    def get_form(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = TitleCredentialCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is None:
            return ()
        return (
            "title",
            "name",
            "prefix",
            "scopes",
            "rotated_from",
            "created_by",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
        )

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is None:
            return ("title", "name", "scopes", "expires_at")
        return self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            return
        issued = title_credential_create(
            title=form.cleaned_data["title"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = issued.credential.pk
        self._show_key(request, issued.key)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # revoke instead: the audit trail keeps the credential

    def _show_key(self, request: HttpRequest, key: str) -> None:
        messages.warning(
            request, _("New key (copy it now, it is not shown again): %(key)s") % {"key": key}
        )

    @admin.action(description=_("Rotate: issue a successor, old key expires after the grace"))
    def rotate(self, request, queryset):  # type: ignore[no-untyped-def]
        for credential in queryset:
            issued = title_credential_rotate(credential=credential, rotated_by=request.user)
            self._show_key(request, issued.key)

    @admin.action(description=_("Revoke at once"))
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        for credential in queryset:
            title_credential_revoke(credential=credential)
