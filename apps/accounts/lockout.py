"""Login brute-force lockout (django-axes): the account key, the lockout answer, the unlock.

django-axes records each failed ``authenticate()`` and refuses further attempts for
``AXES_COOLOFF_TIME`` once either the account or the client address reached
``AXES_FAILURE_LIMIT`` failures (``AXES_LOCKOUT_PARAMETERS``). The address comes from
``apps.common.client_address`` (the trusted-proxy rule of the REST throttles). Staff unlock an
account or address by deleting its rows under "Axes → Access attempts" in the admin.
"""

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError

# Longest login the lockout keys on (django-axes' column holds 255 characters).
_LOGIN_KEY_MAX_LENGTH = 254


class LoginLockedOut(ApplicationError):
    code = "login_locked_out"
    status_code = 429
    default_message = _(
        "Too many failed logins for this account or from your network. Try again later, "
        "or reset your password."
    )


def lockout_retry_after_seconds() -> int:
    """Upper bound of the wait: a lockout lifts at most one cool-off after the last failure."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt counts against (django-axes' ``AXES_USERNAME_CALLABLE``).

    Logins are accepted by username or email in any case, so every spelling of one account
    maps to its username; an unknown login is keyed by its lower-cased text.
    """
    login = (credentials or {}).get("username")
    if login is None:
        login = request.POST.get("username")
    if not isinstance(login, str) or not login.strip():
        return None
    login = login.strip().replace("\x00", "")[:_LOGIN_KEY_MAX_LENGTH]
    field = "email__iexact" if "@" in login else "username__iexact"
    user_model = get_user_model()
    username = user_model._default_manager.filter(**{field: login}).values_list(
        user_model.USERNAME_FIELD, flat=True
    )
    return username.first() or login.lower()


def lockout_response(request: HttpRequest, *_ignored: Any) -> HttpResponse:
    """The answer to a locked-out login (django-axes' ``AXES_LOCKOUT_CALLABLE``): the login
    page again with the lockout message, or the API's error envelope, with status 429.

    django-axes passes ``(request, response, credentials)`` from WSGI and
    ``(request, credentials)`` from ASGI, so neither is used.
    """
    error = LoginLockedOut()
    if request.path.startswith("/api/"):
        details = {"retry_after": lockout_retry_after_seconds()}
        body = {"error": {"code": error.code, "message": error.message, "details": details}}
        return JsonResponse(body, status=error.status_code)
    from django.contrib import admin

    if request.path.startswith("/admin/"):
        form = _form_with_error(AdminAuthenticationForm, request, error.message)
        context = {
            **admin.site.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": "",
            "form": form,
            REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME, ""),
        }
        return render(request, "admin/login.html", context, status=error.status_code)
    from apps.accounts.forms import LoginForm

    form = _form_with_error(LoginForm, request, error.message)
    context = {"form": form, "next": request.POST.get(REDIRECT_FIELD_NAME, "")}
    return render(request, "accounts/login.html", context, status=error.status_code)


def _form_with_error(
    form_class: type[AuthenticationForm], request: HttpRequest, message: str
) -> AuthenticationForm:
    """The login form showing ``message`` without validating it again (which would count
    another attempt)."""
    login = request.POST.get("username", "")
    form = form_class(request, data={"username": login})
    errors = ErrorDict({"__all__": form.error_class([message], error_class="nonfield")})
    form._errors = errors  # type: ignore[attr-defined]  # django-stubs omit the cache
    return form


def login_lockout_reset(*, username: str) -> None:
    """Forget the failed logins counted against ``username`` (after a password reset proved
    the owner holds the email); lockouts of client addresses stay."""
    from axes.utils import reset

    reset(username=username)
