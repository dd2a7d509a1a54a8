"""REST routes, mounted under /api/v1/ (portal pages: urls_portal.py)."""

from django.urls import path

from apps.moderation import apis

urlpatterns = [
    path("moderation/reports", apis.ReportCreateApi.as_view(), name="moderation-report-create"),
    path("moderation/me/sanctions", apis.MySanctionListApi.as_view(),
         name="moderation-my-sanctions"),
    path("moderation/me/sanctions/<int:sanction_id>/appeal", apis.AppealCreateApi.as_view(),
         name="moderation-appeal-create"),
    path("moderation/sanctions", apis.TitleSanctionListApi.as_view(),
         name="moderation-title-sanctions"),
    path("moderation/sanctions/new", apis.TitleSanctionIssueApi.as_view(),
         name="moderation-title-sanction-issue"),
    path("moderation/sanctions/<int:sanction_id>/lift", apis.TitleSanctionLiftApi.as_view(),
         name="moderation-title-sanction-lift"),
]  # fmt: skip
