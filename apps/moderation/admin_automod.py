"""Automod in the admin: rules per title and locale (senior moderators edit, moderators
read), allowed phrases, title settings, the hit log, and "Test this text", which shows which
rule hit where and what the message would become."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError
from apps.moderation.automod.services import (
    allowed_phrase_save,
    automod_check,
    filter_rule_delete,
    filter_rule_save,
    filter_rule_validate,
    title_moderation_settings_save,
)
from apps.moderation.models import AllowedPhrase, AutomodHit, FilterRule, TitleModerationSettings
from apps.titles.models import Title


class FilterRuleForm(forms.ModelForm):
    allow_phrases = forms.CharField(
        label=_("allowed phrases"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: words containing the match that are fine."),
    )  # fmt: skip

    class Meta:
        model = FilterRule
        fields = ["title", "locale", "kind", "pattern", "action", "category", "allow_phrases",
                  "auto_mute_after", "auto_mute_minutes", "is_active"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allow_phrases"] = "\n".join(self.instance.allow_phrases or [])

    def clean_allow_phrases(self) -> list[str]:
        lines = self.cleaned_data.get("allow_phrases") or ""
        return [line.strip() for line in lines.splitlines() if line.strip()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate = FilterRule(kind=cleaned.get("kind") or "word",
                               pattern=cleaned.get("pattern") or "",
                               action=cleaned.get("action") or "flag")  # fmt: skip
        if cleaned.get("pattern"):
            try:
                filter_rule_validate(rule=candidate)
            except ApplicationError as error:
                self.add_error("pattern", error.message)
        return cleaned


class AutomodTestForm(forms.Form):
    title = forms.ModelChoiceField(Title.objects.all(), required=False, label=_("title"))
    locale = forms.ChoiceField(
        choices=[("", _("any")), ("en", "English"), ("ja", "日本語")], required=False,
        label=_("locale"),
    )  # fmt: skip
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("text"))


@admin.register(FilterRule)
class FilterRuleAdmin(admin.ModelAdmin):
    form = FilterRuleForm
    list_display = ["pattern", "kind", "action", "title", "locale", "category",
                    "auto_mute_after", "is_active"]  # fmt: skip
    list_filter = ["is_active", "kind", "action", "locale", "category", "title"]
    search_fields = ["pattern"]
    change_list_template = "admin/moderation/filterrule/change_list.html"

    def save_model(self, request: HttpRequest, obj: FilterRule, form: Any, change: bool) -> None:
        filter_rule_save(rule=obj)

    def delete_model(self, request: HttpRequest, obj: FilterRule) -> None:
        filter_rule_delete(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for rule in queryset:
            filter_rule_delete(rule=rule)

    def get_urls(self) -> list:
        test = path("test/", self.admin_site.admin_view(self.test_view),
                    name="moderation_filterrule_test")  # fmt: skip
        return [test, *super().get_urls()]

    def test_view(self, request: HttpRequest) -> HttpResponse:
        """Run a text through the active rules of a title and locale; show every hit (rule,
        span, view), what the second stage or allow-lists dropped, and the outcome."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AutomodTestForm(request.POST or None)
        verdict = None
        if request.method == "POST" and form.is_valid():
            title = form.cleaned_data["title"]
            verdict = automod_check(
                text=form.cleaned_data["text"], title_id=title.id if title else None,
                locale=form.cleaned_data["locale"],
            )  # fmt: skip
        context = {**self.admin_site.each_context(request), "form": form, "verdict": verdict,
                   "opts": self.model._meta, "title": _("Test this text")}  # fmt: skip
        return render(request, "admin/moderation/filterrule/test.html", context)


@admin.register(AllowedPhrase)
class AllowedPhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "title", "locale"]
    list_filter = ["locale", "title"]
    search_fields = ["phrase"]

    def save_model(self, request: HttpRequest, obj: AllowedPhrase, form: Any, change: bool) -> None:
        allowed_phrase_save(phrase=obj)


@admin.register(TitleModerationSettings)
class TitleModerationSettingsAdmin(admin.ModelAdmin):
    list_display = ["title", "escalation_reporters", "link_action", "flood_messages",
                    "flood_seconds", "repeat_limit"]  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: TitleModerationSettings, form: Any, change: bool
    ) -> None:
        title_moderation_settings_save(settings_row=obj)


@admin.register(AutomodHit)
class AutomodHitAdmin(admin.ModelAdmin):
    list_display = ["created_at", "player", "rule", "action", "excerpt"]
    list_filter = ["action"]
    search_fields = ["player__display_name", "excerpt"]
    list_select_related = ["player", "rule"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
