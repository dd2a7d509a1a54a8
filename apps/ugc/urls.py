"""REST endpoints under /api/v1/ugc/ (docs/ugc.md)."""

from django.urls import path

from apps.ugc.apis import files, items, social

urlpatterns = [
    path("ugc/items", items.ItemSearchApi.as_view(), name="ugc-item-search"),
    path("ugc/titles/<slug:slug>/items", items.TitleItemsApi.as_view(), name="ugc-title-items"),
    path(
        "ugc/titles/external/<str:external_id>/versions",
        files.TitleExternalVersionApi.as_view(),
        name="ugc-title-external-version",
    ),
    path("ugc/items/<int:item_id>", items.ItemDetailApi.as_view(), name="ugc-item"),
    path("ugc/items/<int:item_id>/publish", items.ItemPublishApi.as_view(), name="ugc-publish"),
    path("ugc/items/<int:item_id>/versions", files.ItemVersionsApi.as_view(), name="ugc-versions"),
    path("ugc/items/<int:item_id>/download", files.ItemDownloadApi.as_view(), name="ugc-download"),
    path(
        "ugc/items/<int:item_id>/thumbnails/<str:size>",
        files.ItemThumbnailApi.as_view(),
        name="ugc-thumbnail",
    ),
    path("ugc/items/<int:item_id>/like", social.ItemLikeApi.as_view(), name="ugc-like"),
    path(
        "ugc/items/<int:item_id>/favourite", social.ItemFavouriteApi.as_view(), name="ugc-favourite"
    ),
    path(
        "ugc/items/<int:item_id>/subscription",
        social.ItemSubscriptionApi.as_view(),
        name="ugc-subscription",
    ),
    path("ugc/items/<int:item_id>/comments", social.ItemCommentsApi.as_view(), name="ugc-comments"),
    path("ugc/items/<int:target_id>/report", social.ItemReportApi.as_view(), name="ugc-report"),
    path("ugc/comments/<int:comment_id>", social.CommentDetailApi.as_view(), name="ugc-comment"),
    path(
        "ugc/comments/<int:target_id>/report",
        social.CommentReportApi.as_view(),
        name="ugc-comment-report",
    ),
    path("ugc/me/items", items.MyItemsApi.as_view(), name="ugc-my-items"),
    path("ugc/me/subscriptions", items.MySubscriptionsApi.as_view(), name="ugc-my-subscriptions"),
    path("ugc/players/<int:player_id>/items", items.CreatorItemsApi.as_view(), name="ugc-creator"),
    path("ugc/uploads", files.UploadSessionCreateApi.as_view(), name="ugc-upload-create"),
    path("ugc/uploads/<uuid:upload_id>", files.UploadSessionApi.as_view(), name="ugc-upload"),
]
