from django.urls import path

from apps.game_events.apis import EventIngestApi

urlpatterns = [
    path("events", EventIngestApi.as_view(), name="events-ingest"),
]
