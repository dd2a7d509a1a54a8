from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.forms import LoginForm, SignupForm
from apps.accounts.services import user_create
from apps.common.exceptions import ApplicationError


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ApplicationError as error:
            field = "password" if error.code == "weak_password" else None
            form.add_error(field, error.message)
        else:
            login(request, user, backend="apps.accounts.backends.UsernameOrEmailBackend")
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})
