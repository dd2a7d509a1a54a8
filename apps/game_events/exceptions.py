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
