from django.urls import path

from apps.chat import apis

urlpatterns = [
    path("chat/channels", apis.ChannelListApi.as_view(), name="chat-channel-list"),
    path(
        "chat/channels/<int:channel_id>/messages",
        apis.ChannelMessagesApi.as_view(),
        name="chat-channel-messages",
    ),
    path(
        "chat/channels/<int:channel_id>/search",
        apis.ChannelSearchApi.as_view(),
        name="chat-channel-search",
    ),
    path("chat/channels/<int:channel_id>/read", apis.ChannelReadApi.as_view(), name="chat-read"),
    path(
        "chat/direct-channels",
        apis.DirectChannelStartApi.as_view(),
        name="chat-direct-channel-start",
    ),
    path("chat/tokens", apis.ChatTokenCreateApi.as_view(), name="chat-token-create"),
    path("chat/announcements", apis.AnnouncementCreateApi.as_view(), name="chat-announce"),
]
