from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError


class PayloadTooLarge(ApplicationError):
    code = "payload_too_large"
    status_code = 413
    default_message = _("The request body is larger than the ingest limit.")


class BatchTooLarge(ApplicationError):
    code = "batch_too_large"
    status_code = 400
    default_message = _("Too many events in one request.")


class EmptyBatch(ApplicationError):
    code = "empty_batch"
    status_code = 400
    default_message = _("The request contains no events.")


class EventRefused(Exception):  # a refusal, not a fault
    """A handler refuses an event for a reason of its domain (e.g. UGC's ``kind_not_allowed``).
    The event ends ``failed`` with ``reason`` = ``code`` and ``detail`` = ``message`` (the
    refusal is logged as a warning, without a traceback); ``events_replay --failed`` applies it
    again once the cause is gone."""

    def __init__(self, *, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
