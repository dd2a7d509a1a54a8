from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.forms import (
    LoginForm,
    PasswordResetRequestForm,
    SignupCompleteForm,
    SignupForm,
)
from apps.accounts.lockout import login_lockout_reset
from apps.accounts.signup import (
    SignupLinkInvalid,
    signup_email_from_link,
    signup_email_is_registered,
    signup_start,
)
from apps.common.exceptions import ApplicationError
from apps.players.preferences import language_from_request
from apps.players.services import player_profile_update, player_register


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # A refused login, or a session a sanction ended (the middleware left the link), offers
        # the appeal link of that sanction.
        details = context["form"].refusal_details or {}
        ended = self.request.session.pop("sanction_appeal_url", None)
        context["appeal_url"] = details.get("appeal_url") or ended
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Answers the same "check your email" page whether or not an account uses the address."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        # The emailed link proved the owner: someone else's guessing no longer locks them out.
        login_lockout_reset(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Step 1: an address; the answer is the same whether or not it has an account."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        site_url = f"{request.scheme}://{request.get_host()}"
        signup_start(email=form.cleaned_data["email"], site_url=site_url)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_complete(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2, through the emailed link: username, display name and password."""
    if request.user.is_authenticated:
        return redirect("home")
    try:
        email = signup_email_from_link(token=token)
    except SignupLinkInvalid as error:
        context = {"link_error": error.message}
        return render(request, "accounts/signup_complete.html", context, status=400)
    if signup_email_is_registered(email=email):
        return render(request, "accounts/signup_complete.html", {"registered": True})
    form = SignupCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The login and its player profile are created together, or neither is.
            player = player_register(email=email, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(_signup_error_field(error.code), error.message)
        else:
            # The language they signed up in is their language until they choose another.
            player_profile_update(player=player, data={"locale": language_from_request(request)})
            login(request, player.user, backend="apps.accounts.backends.UsernameOrEmailBackend")
            return redirect("home")
    return render(request, "accounts/signup_complete.html", {"form": form, "email": email})


def _signup_error_field(code: str) -> str | None:
    if code == "weak_password":
        return "password"
    if code == "account_exists":
        return "username"  # the address was checked above; the username is what collided
    if code == "display_name_taken" or code.startswith("name_"):
        return "display_name"
    return None
