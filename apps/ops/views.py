import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.common.metrics import exposition
from apps.ops.checks import readiness_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process serves requests. Touches no backing service."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every backing service answers; 503 names the ones that did not."""
    checks = readiness_report()
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of this process, for a scraper holding ``METRICS_TOKEN`` as a
    bearer token (docs/operations.md). Without a configured token it exists only in DEBUG;
    a wrong or missing token is answered like an unknown page."""
    token = settings.METRICS_TOKEN
    if not token:
        if not settings.DEBUG:
            raise Http404
    else:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Http404
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
