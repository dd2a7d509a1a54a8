"""The project's URLs plus views that crash or refuse, to test the error handlers."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from community.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def crash(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged header")


def too_big(request: HttpRequest) -> HttpResponse:
    raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


urlpatterns = [
    path("api/v1/too-big", too_big),
    path("api/v1/crash", crash),
    path("crash", crash),
    path("api/v1/suspicious", suspicious),
    path("suspicious", suspicious),
    *urlpatterns,
]
