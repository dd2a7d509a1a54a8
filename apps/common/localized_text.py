"""Per-language text with a fallback: a title's name (and later announcements, guild and UGC
descriptions) can carry a text per product language, chosen by the viewer's language.

The model keeps its plain field (``name``) as the text in its default language, the fallback;
a ``LocalizedTextField`` next to it holds the other languages:
``{"ja": "スターフォール・アリーナ"}``.
``localized(translations, fallback)`` picks the active language's text, else the fallback.
"""

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError, InvalidInput


def localized(
    translations: Mapping[str, str] | None, fallback: str, language: str | None = None
) -> str:
    """The text for ``language`` (default: the active one; ``ja-jp`` also finds ``ja``), else
    ``fallback``."""
    if not translations:
        return fallback
    language = (language or get_language() or settings.LANGUAGE_CODE).lower()
    for candidate in (language, language.split("-")[0]):
        text = translations.get(candidate)
        if text:
            return text
    return fallback


class UnknownLanguage(InvalidInput):
    """A text under a language code that is not one of the product's languages
    (``details.language``)."""

    code = "unknown_language"
    default_message = _("That is not one of the product's languages.")


class InvalidText(InvalidInput):
    """A text per language that is blank, too long (``details.max_length``) or holds control
    or format characters (``details.language``)."""

    code = "invalid_text"
    default_message = _("A language's text is blank, too long or holds invisible characters.")


def text_checked(*, max_length: int, multiline: bool = False) -> Callable[[object], str]:
    """A ``clean`` for ``translations_clean`` where an app's plain text has no checks of its
    own beyond a length: the field's rules (stripped, 1..max_length characters, no control or
    format characters but line breaks in ``multiline`` text), else ``invalid_text``."""

    def clean(text: object) -> str:
        if isinstance(text, str) and not text.strip():
            return ""  # an empty box: that language shows the fallback
        if not isinstance(text, str) or not _is_valid_text(
            text.strip(), max_length, multiline=multiline
        ):
            raise InvalidText(details={"max_length": max_length})
        return text.strip()

    return clean


def translations_clean(value: object, *, field: str, clean: Callable[[Any], str]) -> dict[str, str]:
    """Texts per language as an interface received them (REST, a game server), checked by
    the service that saves them: an object (else ``invalid_input`` naming ``field``) of
    product language codes (else ``unknown_language``), each text through ``clean`` — the
    app's own checks of the plain text (lengths, automod), whose refusal gets
    ``details.field`` and ``details.language``. A text that ``clean`` leaves empty is
    dropped: that language then shows the fallback."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(
            details={"fields": {field: [str(_("Give an object of language code → text."))]}}
        )
    languages = dict(settings.PRODUCT_LANGUAGES)
    cleaned = {}
    for language, text in value.items():
        if language not in languages:
            raise UnknownLanguage(details={"field": field, "language": str(language)[:16]})
        try:
            cleaned[language] = clean(text)
        except ApplicationError as refused:
            refused.details = {"field": field, **refused.details, "language": language}
            raise
    return {language: text for language, text in cleaned.items() if text}


class LocalizedTextField(models.JSONField):
    """A JSON object of language code → text, validated: codes are product languages
    (``PRODUCT_LANGUAGES``), texts are non-empty strings of at most ``max_length``
    characters without control characters; ``multiline`` texts (descriptions) may also hold
    line breaks, and are edited in text areas. An app whose plain text goes through its own
    checks (automod, text safety) runs them on each language's text too, in its service."""

    def __init__(
        self, *args: Any, max_length: int = 200, multiline: bool = False, **kwargs: Any
    ) -> None:
        self.text_max_length = max_length
        self.is_multiline = multiline
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["max_length"] = self.text_max_length
        if self.is_multiline:
            kwargs["multiline"] = True
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        # One text box per product language in every model form (the admin's included), instead
        # of a JSON text area; the model's validation below still decides what is kept.
        return LocalizedTextFormField(
            max_length=self.text_max_length,
            widget=LocalizedTextWidget(multiline=self.is_multiline),
            label=self.verbose_name,
            help_text=_("A language left empty shows the default text in that language."),
            required=False,
        )

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if not isinstance(value, dict):
            raise ValidationError(_("Give an object of language code → text."), code="invalid")
        languages = dict(settings.PRODUCT_LANGUAGES)
        for language, text in value.items():
            if language not in languages:
                raise ValidationError(
                    _("%(language)s is not one of the product's languages."),
                    code="unknown_language",
                    params={"language": language},
                )
            if not _is_valid_text(text, self.text_max_length, multiline=self.is_multiline):
                raise ValidationError(
                    _("The %(language)s text must have 1 to %(max)d visible characters."),
                    code="invalid_text",
                    params={"language": languages[language], "max": self.text_max_length},
                )


def _is_valid_text(text: Any, max_length: int, *, multiline: bool = False) -> bool:
    if not isinstance(text, str) or not text.strip() or len(text) > max_length:
        return False
    if multiline:
        text = text.replace("\r\n", "\n").replace("\n", "")
    return not any(unicodedata.category(character) in ("Cc", "Cf") for character in text)


def _texts_in_language_order(value: Any) -> list[str]:
    texts = value if isinstance(value, dict) else {}
    return [texts.get(code, "") for code, _label in settings.PRODUCT_LANGUAGES]


class LocalizedTextWidget(forms.MultiWidget):
    """One labelled text box per product language (named ``<field>_<code>``)."""

    template_name = "common/widgets/localized_text.html"

    def __init__(self, attrs: dict[str, Any] | None = None, *, multiline: bool = False) -> None:
        box = forms.Textarea if multiline else forms.TextInput
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            code: box(attrs={"lang": code, "dir": "auto"})
            for code, _label in settings.PRODUCT_LANGUAGES
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[str]:
        return _texts_in_language_order(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        languages = [label for _code, label in settings.PRODUCT_LANGUAGES]
        context["widget"]["languages"] = list(
            zip(context["widget"]["subwidgets"], languages, strict=True)
        )
        return context


class LocalizedTextFormField(forms.MultiValueField):
    """The per-language texts as a form field: empty boxes are left out of the object."""

    widget = LocalizedTextWidget

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        # Not stripped and not length-checked here: the model field's validation refuses a
        # blank or too long text with its own codes, so every interface answers the same way.
        fields = [forms.CharField(required=False, strip=False)
                  for _language in settings.PRODUCT_LANGUAGES]  # fmt: skip
        self.text_max_length = max_length
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[str]) -> dict[str, str]:
        codes = [code for code, _label in settings.PRODUCT_LANGUAGES]
        return {code: text for code, text in zip(codes, data_list or [], strict=False) if text}

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.compress(_texts_in_language_order(initial)) != self.compress(data or [])
