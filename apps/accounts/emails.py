"""Account emails (password reset, signup confirmation): rendered here, sent by a task.

Sending leaves the request (and its transaction): the message is handed to Celery after commit,
so an SMTP server's latency or outage never slows or fails a page — and the page takes as long
whether or not an email was due, which would otherwise tell who has an account.
"""

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string

# One email of a kind per address per this many seconds: a form cannot be used to flood a mailbox.
EMAIL_REPEAT_SECONDS = 60


def account_email_send(
    *, kind: str, to: str, subject_template: str, body_template: str, context: dict
) -> bool:
    """Render and queue one email; False (and nothing sent) when ``to`` was sent a ``kind``
    email in the last ``EMAIL_REPEAT_SECONDS``."""
    from apps.accounts.tasks import email_send_task

    if not cache.add(f"accounts:email:{kind}:{to.lower()}", 1, timeout=EMAIL_REPEAT_SECONDS):
        return False
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(body_template, context)
    transaction.on_commit(lambda: email_send_task.delay(to=to, subject=subject, body=body))
    return True
