"""Email addresses a mail server refused for good: recorded on the customer, so nothing more is sent there."""

from __future__ import annotations

import smtplib
from datetime import datetime

from django.utils import timezone

from crm.models import Customer


def is_address_refused(exc: Exception) -> bool:
    """Whether `exc` says the recipient's address itself was refused for good (a 5xx reply to RCPT)."""
    return (
        isinstance(exc, smtplib.SMTPRecipientsRefused)
        and bool(exc.recipients)
        and all(500 <= code < 600 for code, _message in exc.recipients.values())
    )


def customer_record_email_failure(*, customer: Customer, exc: Exception, now: datetime | None = None) -> bool:
    """Record that the mail server refused the customer's address for good; False for any other error.

    The consent gate then sends no survey or close-the-loop email to that address; a new
    address (admin, import, API) lifts it, since the address that failed is kept with the date.
    """
    if not is_address_refused(exc) or not customer.email:
        return False
    now = now or timezone.now()
    reason = f"{type(exc).__name__}: {exc}"[:300]
    # Only while it is still their address: a correction made meanwhile wins.
    Customer.objects.filter(pk=customer.pk, email=customer.email).update(
        email_failed_at=now, email_failed_address=customer.email, email_failure_reason=reason
    )
    customer.email_failed_at, customer.email_failed_address, customer.email_failure_reason = (
        now,
        customer.email,
        reason,
    )
    return True
