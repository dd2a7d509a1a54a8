"""Email-first signup: nothing on the first page tells whether an address has an account.

1. ``signup_start`` — the visitor gives an email address; the page always answers "check your
   email". A new address gets a signed link; an address that already has an account gets a
   reminder to log in or reset the password instead.
2. ``signup_email_from_link`` — the link proves the address; the visitor then chooses a username,
   display name and password (``apps.players.services.player_register``).

The link is stateless (signed with SECRET_KEY, ``ACCOUNTS_SIGNUP_LINK_MAX_AGE_SECONDS``) and
stops working once an account uses the address.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.emails import account_email_send
from apps.accounts.models import User
from apps.common.exceptions import ApplicationError

_SALT = "accounts.signup"


class SignupLinkInvalid(ApplicationError):
    code = "signup_link_invalid"
    status_code = 400
    default_message = _("This signup link is not valid: it is damaged or has expired.")


def signup_start(*, email: str, site_url: str) -> None:
    """Email ``email`` the next step (a signup link, or a reminder when it has an account);
    the caller answers the same whichever was sent. ``site_url``: ``https://host``."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        template, context = (
            "account_exists",
            {
                "login_url": site_url + reverse("accounts:login"),
                "reset_url": site_url + reverse("accounts:password_reset"),
            },
        )
    else:
        token = signing.dumps({"email": email}, salt=_SALT, compress=True)
        url = site_url + reverse("accounts:signup_complete", kwargs={"token": token})
        template, context = "signup_link", {"signup_url": url}
    account_email_send(
        kind="signup",
        to=email,
        subject_template=f"accounts/email/{template}_subject.txt",
        body_template=f"accounts/email/{template}.txt",
        context=context,
    )


def signup_email_from_link(*, token: str) -> str:
    """The address a signup link was sent to; ``SignupLinkInvalid`` when forged or expired."""
    try:
        data = signing.loads(
            token, salt=_SALT, max_age=settings.ACCOUNTS_SIGNUP_LINK_MAX_AGE_SECONDS
        )
    except signing.BadSignature as error:  # SignatureExpired included
        raise SignupLinkInvalid() from error
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str):
        raise SignupLinkInvalid()
    return email


def signup_email_is_registered(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
