from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from apps.accounts.emails import account_email_send
from apps.accounts.gates import login_gates_check
from apps.common.exceptions import ApplicationError


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    # The refusing gate's details; a ban's ``appeal_url`` is offered on the page.
    refusal_details: dict[str, Any] | None = None

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        try:
            login_gates_check(user)  # e.g. a suspension: the message says why and until when
        except ApplicationError as error:
            self.refusal_details = error.details
            raise forms.ValidationError(error.message, code=error.code) from error


class SignupForm(forms.Form):
    """Step 1: the address only; the rest comes after the emailed link (apps/accounts/signup.py)."""

    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SignupCompleteForm(forms.Form):
    """Step 2, reached through the emailed link: the login and the player profile."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @/./+/-/_ only. Used to log in; not shown to others."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=64,
        required=False,
        help_text=_("How other players see you; empty uses your username. You can change it."),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not cleaned.get("display_name") and cleaned.get("username"):
            cleaned["display_name"] = cleaned["username"]
        return cleaned


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, sending through the account email task (after commit, throttled
    per address) instead of inline SMTP."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        account_email_send(
            kind="password-reset",
            to=to_email,
            subject_template=subject_template_name,
            body_template=email_template_name,
            context=context,
        )
