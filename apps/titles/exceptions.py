from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError


class UnknownScope(ApplicationError):
    code = "unknown_scope"
    default_message = _("One or more scopes are not known.")


class CredentialNotUsable(ApplicationError):
    code = "credential_not_usable"
    status_code = 409
    default_message = _("This credential is revoked or expired.")
