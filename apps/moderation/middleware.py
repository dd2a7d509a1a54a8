"""Ends the session of a player who is banned or suspended while logged in: the next request
logs them out. Portal pages go to the login page, which says why and until when; the REST API
answers 403 with ``banned`` / ``suspended``. (Tokens are refused by the authentication class,
sockets are closed when the sanction is issued.)"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from apps.moderation.enforcement import session_refusal_for_user


class SanctionedSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refusal = session_refusal_for_user(user_id=user.id)
            if refusal is not None:
                logout(request)
                if request.path.startswith("/api/"):
                    body = {"error": {"code": refusal.code, "message": refusal.message,
                                      "details": refusal.details}}  # fmt: skip
                    return JsonResponse(body, status=refusal.status_code)
                messages.error(request, refusal.message)
                # The login page offers it: they can no longer reach "My sanctions".
                request.session["sanction_appeal_url"] = refusal.details.get("appeal_url")
                return redirect("accounts:login")
        return self.get_response(request)
