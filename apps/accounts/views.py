from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.forms import LoginForm, SignupForm
from apps.common.exceptions import ApplicationError
from apps.players.services import player_register


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The login and its player profile are created together, or neither is.
            player = player_register(**form.cleaned_data)
        except ApplicationError as error:
            form.add_error(_signup_error_field(error.code), error.message)
        else:
            login(request, player.user, backend="apps.accounts.backends.UsernameOrEmailBackend")
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


def _signup_error_field(code: str) -> str | None:
    if code == "weak_password":
        return "password"
    if code == "display_name_taken" or code.startswith("name_"):
        return "display_name"
    return None
