import smtplib

from celery import shared_task
from django.core.mail import send_mail


@shared_task(
    name="accounts.email_send",
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    max_retries=5,
)
def email_send_task(*, to: str, subject: str, body: str) -> None:
    """Send one rendered account email through EMAIL_BACKEND; SMTP outages are retried."""
    send_mail(subject, body, None, [to])
