from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import BaseModel


class InboxState(models.TextChoices):
    RECEIVED = "received", _("Received")
    APPLIED = "applied", _("Applied")
    IGNORED = "ignored", _("Ignored")
    DEAD_LETTERED = "dead_lettered", _("Dead-lettered")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    HTTP = "http", _("HTTP ingest")
    SERVICE_BUS = "servicebus", _("Service Bus")
    IN_PROCESS = "in_process", _("In process")


class InboxEvent(BaseModel):
    """One game event as received: the idempotency record and the work item of its effects.

    ``(source, event_id)`` is unique (CloudEvents: ``id`` is unique per ``source``), so a
    redelivered or republished event finds its row and is never applied twice. ``received``
    rows wait for ``events_apply_pending``; the other states are final except that replay may
    move ``dead_lettered``/``failed`` rows back to ``received``.
    """

    source = models.CharField(_("source"), max_length=200)
    event_id = models.CharField(_("event id"), max_length=200)
    title = models.ForeignKey(
        "titles.Title",
        verbose_name=_("title"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    event_type = models.CharField(_("type"), max_length=120, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=16, choices=InboxState.choices)
    reason = models.CharField(_("reason code"), max_length=64, blank=True)
    detail = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("event"), default=dict)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox event")
        verbose_name_plural = _("inbox events")
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="inbox_source_event_uniq")
        ]
        indexes = [
            # The apply task claims received rows oldest first; the partial index stays small.
            models.Index(
                fields=["occurred_at", "id"],
                condition=Q(state="received"),
                name="inbox_received_idx",
            ),
            models.Index(fields=["event_type", "state"], name="inbox_type_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_id} ({self.event_type}, {self.state})"


class EventCounter(BaseModel):
    """Running totals per event type and outcome (metrics shown by ``events_status``).

    Outcomes: received, duplicate, applied, ignored, failed, dead_lettered, rejected. Updated
    with ``F()`` in the same transaction as the inbox rows they count.
    """

    event_type = models.CharField(_("type"), max_length=120)
    outcome = models.CharField(_("outcome"), max_length=16)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("event counter")
        verbose_name_plural = _("event counters")
        constraints = [
            models.UniqueConstraint(fields=["event_type", "outcome"], name="eventcounter_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.outcome}: {self.count}"
