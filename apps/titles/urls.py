from django.urls import path

from apps.titles import apis

urlpatterns = [
    path("titles", apis.TitleListApi.as_view(), name="title-list"),
    path("titles/<slug:slug>", apis.TitleDetailApi.as_view(), name="title-detail"),
    path("title-client/me", apis.TitleClientMeApi.as_view(), name="title-client-me"),
    path(
        "title-client/credentials/rotate",
        apis.TitleCredentialRotateApi.as_view(),
        name="title-credential-rotate",
    ),
]
