"""Every write of the conversations app: emails to customers, their replies, close-the-loop mailings."""

import logging
import re
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations import selectors
from conversations.models import (
    Delivery,
    Direction,
    Language,
    LoopMessage,
    LoopRecipient,
    Message,
    MessageChannel,
    MessageKind,
    new_reply_token,
)
from conversations.placeholders import render_placeholders
from crm.services.email_failures import customer_record_email_failure
from followups import services as followup_services
from followups.choices import ContactChannel, TicketStatus
from followups.models import Ticket
from npsapp.publish import publish_on_commit
from surveys import consent
from surveys.choices import ContactRefusal

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000
# Attempts per email before it is stored as failed (transient SMTP errors only).
MAX_DELIVERY_ATTEMPTS = 5
# How long a worker may hold an email in "sending". Far longer than one SMTP attempt can take
# (EMAIL_TIMEOUT on the connection and on each reply of the exchange), so a row still in
# "sending" after it belongs to a worker that died: deliveries_release_stale gives it back.
SENDING_LEASE = timedelta(minutes=15)


class DeliveryDeferred(Exception):
    """A transient mail error: the row is back to pending and the task should retry later."""


def _clean_text(*, subject: str, body: str) -> tuple[str, str]:
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = _("Write a subject.")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("A subject is limited to %(max)s characters.") % {"max": SUBJECT_MAX_LENGTH}
    if not body:
        errors["body"] = _("Write a message before sending it.")
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = _("A message is limited to %(max)s characters.") % {"max": BODY_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    return subject, body


def _require_recipient(ticket: Ticket) -> selectors.Recipient:
    recipient = selectors.ticket_recipient(ticket)
    if not recipient.can_email:
        raise ValidationError(recipient.reason)
    return recipient


def _outbound_message(*, ticket, kind, subject, body, actor, recipient, **extra) -> Message:
    return Message(
        ticket=ticket,
        direction=Direction.OUT,
        channel=MessageChannel.EMAIL,
        kind=kind,
        subject=subject,
        body=body,
        author=actor,
        email=recipient.email,
        language=recipient.language,
        delivery_status=Delivery.PENDING,
        reply_token=new_reply_token(),
        **extra,
    )


def _queue_delivery(message: Message) -> None:
    from conversations.tasks import message_send_task

    publish_on_commit(message_send_task, message.id)


@transaction.atomic
def message_reply_send(*, ticket: Ticket, actor, subject: str, body: str) -> Message:
    """Email the agent's text to the case's customer; it counts as a contact by email.

    The Message row and the contact are written together; the email leaves after commit.
    Raises ValidationError (nothing written) when the customer cannot be emailed.
    """
    subject, body = _clean_text(subject=subject, body=body)
    recipient = _require_recipient(ticket)
    message = _outbound_message(
        ticket=ticket, kind=MessageKind.REPLY, subject=subject, body=body, actor=actor, recipient=recipient
    )
    message.save()
    if ticket.is_open:
        # The full text is on the Message (shown as the conversation); the history names the email.
        followup_services.ticket_mark_contacted(ticket=ticket, actor=actor, channel=ContactChannel.EMAIL, body=subject)
    _queue_delivery(message)
    return message


# The case's status in the customer's words.
STATUS_TEMPLATES = {
    TicketStatus.NEW: "handled",
    TicketStatus.CONTACTED: "handled",
    TicketStatus.WAITING: "waiting",
    TicketStatus.RESOLVED: "resolved",
    TicketStatus.CLOSED: "resolved",
}


@transaction.atomic
def customer_status_update_send(*, ticket: Ticket, actor) -> Message:
    """Tell the customer, in their language, where their case stands (being handled / waiting
    for their reply / resolved). Raises ValidationError when the customer cannot be emailed."""
    recipient = _require_recipient(ticket)
    context = {
        "first_name": recipient.first_name,
        "brand": ticket.survey.brand.name,
        "reference": ticket.reference,
        "state": STATUS_TEMPLATES.get(ticket.status, "handled"),
        "agent_name": (actor.get_full_name() or actor.get_username()) if actor is not None else "",
    }
    with translation.override(recipient.language):
        subject = " ".join(render_to_string("conversations/email/status_update_subject.txt", context).split())
        body = render_to_string("conversations/email/status_update_body.txt", context).strip()
    message = _outbound_message(
        ticket=ticket, kind=MessageKind.STATUS, subject=subject, body=body, actor=actor, recipient=recipient
    )
    message.save()
    _queue_delivery(message)
    return message


# --- Sending ------------------------------------------------------------------------------------


def reply_to_address(token: str) -> str:
    domain = settings.NPSAPP_INBOUND_EMAIL_DOMAIN
    return f"reply+{token}@{domain}" if domain and token else ""


def _email_build(*, to: str, subject: str, body: str, language: str, brand: str, reply_message: Message | None):
    """The email around a text written by staff: their text, then how to answer."""
    reply_url = reply_message.reply_url if reply_message is not None else ""
    reply_to = reply_to_address(reply_message.reply_token) if reply_message is not None else ""
    context = {"body": body, "brand": brand, "reply_url": reply_url, "reply_by_email": bool(reply_to)}
    with translation.override(language):
        text = render_to_string("conversations/email/message_body.txt", context)
        html = render_to_string("conversations/email/message_body.html", context)
    email = mail.EmailMultiAlternatives(subject, text, to=[to], reply_to=[reply_to] if reply_to else None)
    email.attach_alternative(html, "text/html")
    return email


def _is_permanent(exc: Exception) -> bool:
    """The server refused the address itself: trying again cannot help."""
    return isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)) or (
        isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600
    )


def _reason(exc: Exception) -> str:
    return (f"{type(exc).__name__}: {exc}")[:300]


def message_deliver(*, message_id: int, connection=None) -> bool:
    """Send one pending outbound message; True when it was sent by this call.

    A conditional UPDATE claims the row (pending → sending), so a second run sends nothing;
    the claim is a lease (SENDING_LEASE): should this worker die, deliveries_release_stale frees it.
    A transient error puts it back to pending and raises DeliveryDeferred (the task retries);
    a permanent one, or the last attempt, stores the failure on the row.
    """
    claimed = Message.objects.filter(id=message_id, delivery_status=Delivery.PENDING).update(
        delivery_status=Delivery.SENDING, delivery_attempts=F("delivery_attempts") + 1, claimed_at=timezone.now()
    )
    if claimed != 1:
        return False
    message = Message.objects.select_related("ticket__survey__brand").get(id=message_id)
    email = _email_build(
        to=message.email,
        subject=message.subject,
        body=message.body,
        language=message.language or settings.LANGUAGE_CODE,
        brand=message.ticket.survey.brand.name,
        reply_message=message,
    )
    if connection is not None:
        email.connection = connection
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        final = _is_permanent(exc) or message.delivery_attempts >= MAX_DELIVERY_ATTEMPTS
        Message.objects.filter(id=message_id).update(
            delivery_status=Delivery.FAILED if final else Delivery.PENDING, failure_reason=_reason(exc)
        )
        if final:
            logger.warning("message %s not delivered: %s", message_id, exc)
            return False
        raise DeliveryDeferred(str(exc)) from exc
    Message.objects.filter(id=message_id).update(
        delivery_status=Delivery.SENT, sent_at=timezone.now(), failure_reason=""
    )
    return True


# --- Replies from the customer --------------------------------------------------------------------


class ReplyLinkExpired(Exception):
    pass


@transaction.atomic
def customer_reply_receive(
    *, message: Message, body: str, channel: str = MessageChannel.WEB, email: str = "", subject: str = ""
) -> Message:
    """Store the customer's answer to `message` on its case and tell the case they replied."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write your message before sending it.")})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError({"body": _("A message is limited to %(max)s characters.") % {"max": BODY_MAX_LENGTH}})
    if selectors.reply_link_expired(message):
        raise ReplyLinkExpired
    ticket = Ticket.objects.select_for_update().get(id=message.ticket_id)
    subject = " ".join((subject or "").split())[:SUBJECT_MAX_LENGTH]
    if not subject and message.subject:
        subject = ("Re: " + message.subject)[:SUBJECT_MAX_LENGTH]
    reply = Message.objects.create(
        ticket=ticket,
        direction=Direction.IN,
        channel=channel,
        kind=MessageKind.CUSTOMER,
        subject=subject,
        body=body,
        email=(email or message.email)[:254],
        language=message.language,
        in_reply_to=message,
    )
    try:
        # A savepoint: if the case refuses (closed meanwhile), the customer's words are still kept.
        with transaction.atomic():
            followup_services.ticket_customer_replied(ticket=ticket, body=body, key=str(reply.id))
    except ValidationError as exc:
        logger.info("case %s did not take the customer's reply: %s", ticket.public_id, exc)
    return reply


_TOKEN_IN_ADDRESS = re.compile(r"reply\+([A-Za-z0-9_-]{16,64})@", re.IGNORECASE)
# Where a mail client starts quoting the message being answered.
_QUOTE_HEADER = re.compile(
    r"^\s*(On .+ wrote:|Le .+ a écrit\s?:|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Message d'origine\s*-{2,})\s*$",
    re.IGNORECASE,
)


def token_from_address(address: str) -> str:
    match = _TOKEN_IN_ADDRESS.search(address or "")
    return match.group(1) if match else ""


def strip_quoted_text(text: str) -> str:
    """The customer's new words: drop the quoted earlier message a mail client appends."""
    kept = []
    for line in (text or "").splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    new = "\n".join(kept).strip()
    return new or (text or "").strip()


def inbound_email_receive(*, to: str, sender: str, subject: str, text: str) -> Message:
    """An email reply forwarded by the mail gateway. Message.DoesNotExist for an unknown token."""
    message = selectors.outbound_message_for_token(token_from_address(to))
    if message is None:
        raise Message.DoesNotExist
    sender = sender or ""
    match = re.search(r"<([^>]+)>", sender)
    address = (match.group(1) if match else sender).strip()
    return customer_reply_receive(
        message=message,
        body=strip_quoted_text(text),
        channel=MessageChannel.EMAIL,
        email=address if "@" in address else "",
        subject=subject,
    )


# --- Close the loop -----------------------------------------------------------------------------


def loop_texts(*, subject_en, body_en, subject_fr, body_fr) -> dict:
    errors = {}
    cleaned = {}
    for language in Language.values:
        subject, body = {"en": (subject_en, body_en), "fr": (subject_fr, body_fr)}[language]
        try:
            cleaned[language] = _clean_text(subject=subject, body=body)
        except ValidationError as exc:
            errors |= {f"{field}_{language}": messages for field, messages in exc.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    return cleaned


def loop_email_render(*, texts: dict, language: str, customer) -> tuple[str, str]:
    subject, body = texts.get(language) or texts[Language.EN]
    values = {"first_name": customer.first_name, "last_name": customer.last_name}
    return render_placeholders(subject, values), render_placeholders(body, values)


@transaction.atomic
def loop_message_send(
    *,
    key,
    theme,
    period_start,
    period_end,
    subject_en,
    body_en,
    subject_fr,
    body_fr,
    actor,
    send_again: bool = False,
) -> LoopMessage:
    """Send a close-the-loop mailing to the customers who complained about `theme` in the period.

    Who: see selectors.loop_audience (detractor or passive answers and cases, through the
    consent gate; customers already told about the theme only with `send_again`, which the
    mailing records). `key` comes from the confirmation form: posting it twice returns the
    first mailing. Each affected case records the email as a Message; the emails go out in
    batches after commit.
    """
    existing = LoopMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if period_start > period_end:
        raise ValidationError({"period_end": _("The end of the period is before its start.")})
    texts = loop_texts(subject_en=subject_en, body_en=body_en, subject_fr=subject_fr, body_fr=body_fr)
    try:
        with transaction.atomic():
            loop = LoopMessage.objects.create(
                key=key,
                theme=theme,
                period_start=period_start,
                period_end=period_end,
                subject_en=texts["en"][0],
                body_en=texts["en"][1],
                subject_fr=texts["fr"][0],
                body_fr=texts["fr"][1],
                sent_by=actor,
                sent_at=timezone.now(),
                sent_again_to_told=send_again,
            )
    except IntegrityError:
        return LoopMessage.objects.get(key=key)
    audience = selectors.loop_audience(
        theme=theme, period_start=period_start, period_end=period_end, send_again=send_again
    )
    customers = list(
        selectors.loop_customers(audience=audience).only("id", "email", "first_name", "last_name", "language")
    )
    recipients = LoopRecipient.objects.bulk_create(
        [
            LoopRecipient(
                loop_message=loop,
                customer=customer,
                email=customer.email,
                language=selectors.language_for(customer.language),
            )
            for customer in customers
        ]
    )
    # bulk_create sets the primary keys on SQLite and PostgreSQL: no need to read the rows back.
    by_customer = {r.customer_id: r for r in recipients}
    customers_by_id = {c.id: c for c in customers}
    case_messages = []
    for ticket in selectors.loop_tickets(
        theme=theme, period_start=period_start, period_end=period_end, customer_ids=list(by_customer)
    ):
        recipient = by_customer[ticket.customer_id]
        subject, body = loop_email_render(
            texts=texts, language=recipient.language, customer=customers_by_id[ticket.customer_id]
        )
        case_messages.append(
            _outbound_message(
                ticket=ticket,
                kind=MessageKind.LOOP,
                subject=subject,
                body=body,
                actor=actor,
                recipient=recipient,
                loop_recipient=recipient,
            )
        )
    Message.objects.bulk_create(case_messages)
    followup_services.tickets_record_loop_message(
        tickets=[message.ticket for message in case_messages], actor=actor, theme=theme, subject=loop.subject_en
    )
    loop.recipient_count = len(recipients)
    loop.save(update_fields=["recipient_count"])

    from conversations.tasks import loop_message_send_task

    publish_on_commit(loop_message_send_task, loop.id)
    return loop


def loop_recipient_deliver(*, recipient_id: int, connection=None) -> bool:
    """Send one customer's close-the-loop email; claimed first, so never twice. True when sent now."""
    claimed = LoopRecipient.objects.filter(id=recipient_id, delivery_status=Delivery.PENDING).update(
        delivery_status=Delivery.SENDING, delivery_attempts=F("delivery_attempts") + 1, claimed_at=timezone.now()
    )
    if claimed != 1:
        return False
    recipient = LoopRecipient.objects.select_related("loop_message", "customer").get(id=recipient_id)
    loop = recipient.loop_message
    # The consent gate again at send time: the customer may have unsubscribed since the mailing.
    refusal = consent.profile_refusal(recipient.customer)
    if refusal:
        reason = _("Not sent: %(rule)s") % {"rule": ContactRefusal(refusal).label}
        LoopRecipient.objects.filter(id=recipient_id).update(delivery_status=Delivery.FAILED, failure_reason=reason)
        Message.objects.filter(loop_recipient_id=recipient_id).update(
            delivery_status=Delivery.FAILED, failure_reason=reason
        )
        return False
    texts = {"en": (loop.subject_en, loop.body_en), "fr": (loop.subject_fr, loop.body_fr)}
    subject, body = loop_email_render(texts=texts, language=recipient.language, customer=recipient.customer)
    # Their most recent case carries the reply link, so an answer lands where staff look.
    case_message = (
        Message.objects.filter(loop_recipient=recipient)
        .select_related("ticket__survey__brand")
        .order_by("-ticket__opened_at")
        .first()
    )
    brand = case_message.ticket.survey.brand.name if case_message is not None else ""
    email = _email_build(
        to=recipient.email,
        subject=subject,
        body=body,
        language=recipient.language,
        brand=brand,
        reply_message=case_message,
    )
    if connection is not None:
        email.connection = connection
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        final = _is_permanent(exc) or recipient.delivery_attempts >= MAX_DELIVERY_ATTEMPTS
        customer_record_email_failure(customer=recipient.customer, exc=exc)
        status = Delivery.FAILED if final else Delivery.PENDING
        LoopRecipient.objects.filter(id=recipient_id).update(delivery_status=status, failure_reason=_reason(exc))
        Message.objects.filter(loop_recipient_id=recipient_id).update(
            delivery_status=status, failure_reason=_reason(exc)
        )
        if final:
            return False
        raise DeliveryDeferred(str(exc)) from exc
    now = timezone.now()
    LoopRecipient.objects.filter(id=recipient_id).update(delivery_status=Delivery.SENT, sent_at=now)
    Message.objects.filter(loop_recipient_id=recipient_id).update(
        delivery_status=Delivery.SENT, sent_at=now, failure_reason=""
    )
    return True


@transaction.atomic
def deliveries_release_stale(*, now: datetime | None = None) -> int:
    """Free the emails left in "sending" by a worker that died after claiming them.

    A row in "sending" whose lease has run out (or that has no `claimed_at`: claimed before
    leases existed) goes back to pending while attempts remain, so the reconciliation sends it
    again; otherwise it is stored as failed with the reason, which the case shows. A
    close-the-loop recipient that fails takes its case messages with it. Each UPDATE is
    conditional on "sending" and on the lease, so running this twice, or while a worker
    finishes, is harmless. Returns how many rows changed.

    An email released this way may reach the customer twice, if the worker died after the SMTP
    server had accepted it: a duplicate is better than an agent's reply silently lost.
    """
    now = now or timezone.now()
    stale = Q(delivery_status=Delivery.SENDING) & (Q(claimed_at__lt=now - SENDING_LEASE) | Q(claimed_at__isnull=True))
    may_retry = Q(delivery_attempts__lt=MAX_DELIVERY_ATTEMPTS)
    exhausted = Q(delivery_attempts__gte=MAX_DELIVERY_ATTEMPTS)
    reason = _("The sending worker stopped before the email was confirmed sent.")
    changed = Message.objects.filter(stale & may_retry).update(delivery_status=Delivery.PENDING)
    changed += Message.objects.filter(stale & exhausted).update(delivery_status=Delivery.FAILED, failure_reason=reason)
    changed += LoopRecipient.objects.filter(stale & may_retry).update(delivery_status=Delivery.PENDING)
    # Locked until commit: a worker finishing meanwhile waits, then marks the recipient and its
    # case messages together, so the case never shows a state the recipient does not have.
    failed_ids = list(LoopRecipient.objects.select_for_update().filter(stale & exhausted).values_list("id", flat=True))
    if failed_ids:
        changed += LoopRecipient.objects.filter(stale, id__in=failed_ids).update(
            delivery_status=Delivery.FAILED, failure_reason=reason
        )
        Message.objects.filter(loop_recipient_id__in=failed_ids).update(
            delivery_status=Delivery.FAILED, failure_reason=reason
        )
    if changed:
        logger.warning("%s emails were left in sending by a stopped worker and were released", changed)
    return changed


# --- Privacy ------------------------------------------------------------------------------------

REDACTED = "[erased]"


def customer_messages_erase(*, customer, ticket_ids) -> dict:
    """Right to erasure: the emails on these cases lose their text, address and reply link.

    Direction, kind, dates and delivery states stay, so follow-up statistics do not move.
    Returns counts for the privacy audit row.
    """
    return {
        "messages_redacted": case_messages_redact(ticket_ids=ticket_ids),
        "loop_addresses_removed": LoopRecipient.objects.filter(customer=customer).exclude(email="").update(email=""),
    }


def case_messages_redact(*, ticket_ids) -> int:
    """The emails on these cases lose their text, address and reply link (erasure, retention)."""
    messages = Message.objects.filter(ticket_id__in=ticket_ids).exclude(body=REDACTED)
    return messages.update(subject="", body=REDACTED, email="", reply_token=None)
