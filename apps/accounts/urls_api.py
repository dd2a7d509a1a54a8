from django.urls import path

from apps.accounts import apis

urlpatterns = [
    path("auth/tokens", apis.ApiTokenCreateApi.as_view(), name="api-token-create"),
    path("auth/tokens/mine", apis.ApiTokenListApi.as_view(), name="api-token-list"),
    path("auth/tokens/<int:token_id>", apis.ApiTokenRevokeApi.as_view(), name="api-token-revoke"),
]
