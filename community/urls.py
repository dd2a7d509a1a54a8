from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.ops import views as ops_views
from apps.players import views as players_views
from apps.portal import views as portal_views
from apps.portal.jsi18n import javascript_catalog

urlpatterns = [
    # First: API reads are the most frequent requests, and the prefixes below are disjoint.
    path("api/v1/", include("apps.api.urls")),
    path("", portal_views.home_page, name="home"),
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("accounts/", include("apps.accounts.urls")),
    path("players/", include("apps.players.urls_portal")),
    path("chat/", include("apps.chat.urls_portal")),
    path("moderation/", include("apps.moderation.urls_portal")),
    path("ugc/", include("apps.ugc.urls_portal")),
    path("guilds/", include("apps.guilds.urls_portal")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # The language menu keeps a signed-in player's choice on their profile.
    path("i18n/setlang/", players_views.language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The portal scripts' translations (apps/portal/jsi18n.py): language in the path, cached.
    path("jsi18n/<str:language>/", javascript_catalog, name="javascript-catalog"),
]

# JSON error envelope under /api/, HTML pages elsewhere (apps/api/handlers.py).
handler400 = "apps.api.handlers.bad_request"
handler403 = "apps.api.handlers.permission_denied"
handler404 = "apps.api.handlers.page_not_found"
handler500 = "apps.api.handlers.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
