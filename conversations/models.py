"""Emails between staff and a customer about a case, their replies, and close-the-loop mailings."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.choices import Segment


def new_reply_token() -> str:
    """The secret in a customer's personal reply link and reply-to address (never the row id)."""
    return secrets.token_urlsafe(24)


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")


class Direction(models.TextChoices):
    OUT = "out", _("Email to the customer")
    IN = "in", _("Reply from the customer")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Reply page")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply from staff")
    STATUS = "status", _("Status update")
    LOOP = "loop", _("Close the loop")
    CUSTOMER = "customer", _("Customer reply")


class Delivery(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not delivered")


class ReplyTemplate(models.Model):
    """A starting text for a reply to a customer, per segment and language, edited by admins.

    Placeholders: {first_name}, {last_name}, {score}, {comment}, {brand}, {agent_name},
    {reference}. Unknown ones are left as typed; nothing else is interpreted.
    """

    name = models.CharField(_("name"), max_length=100)
    segment = models.CharField(_("segment"), max_length=10, choices=Segment.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Used when the customer wrote a comment."))
    body_without_comment = models.TextField(
        _("body when the customer wrote nothing"),
        blank=True,
        help_text=_("Should ask why they gave this score. Empty: the body above is used."),
    )
    is_default = models.BooleanField(
        _("default for its segment and language"),
        default=False,
        help_text=_("Preselected on a case of this segment when the customer speaks this language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["segment", "language", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="reply_template_name_language"),
            models.UniqueConstraint(
                fields=["segment", "language"],
                condition=models.Q(is_default=True),
                name="reply_template_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class LoopMessage(models.Model):
    """One close-the-loop mailing: everyone whose feedback had `theme` hears that it was fixed."""

    # Generated when the preview is shown: posting the same confirmation twice creates one mailing.
    key = models.UUIDField(verbose_name=_("key"), unique=True, editable=False)
    theme = models.ForeignKey(
        "surveys.Theme", verbose_name=_("theme"), on_delete=models.PROTECT, related_name="loop_messages"
    )
    period_start = models.DateField(_("answers from"))
    period_end = models.DateField(_("answers until"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("body (English)"))
    subject_fr = models.CharField(_("subject (French)"), max_length=200)
    body_fr = models.TextField(_("body (French)"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("sent by")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    # The manager ticked "send again to those already told": customers who already had a
    # mailing about this theme were included again.
    sent_again_to_told = models.BooleanField(_("sent again to those already told"), default=False)

    class Meta:
        verbose_name = _("close-the-loop message")
        verbose_name_plural = _("close-the-loop messages")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.theme} {self.sent_at:%Y-%m-%d}"


class LoopRecipient(models.Model):
    """One customer of a close-the-loop mailing: the unique row means one email per customer."""

    loop_message = models.ForeignKey(LoopMessage, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="loop_recipients")
    email = models.EmailField()
    language = models.CharField(max_length=8, choices=Language.choices)
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker last claimed the row for sending (see services.SENDING_LEASE).
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("close-the-loop recipient")
        verbose_name_plural = _("close-the-loop recipients")
        constraints = [
            models.UniqueConstraint(fields=["loop_message", "customer"], name="loop_recipient_once"),
        ]
        indexes = [models.Index(fields=["loop_message", "delivery_status"])]

    def __str__(self) -> str:
        return f"{self.loop_message} → {self.customer}"


class Message(models.Model):
    """An email to or from the customer about a case. Internal notes are TicketEvents, never these."""

    # PROTECT: what was written to and by the customer is part of the case's history.
    ticket = models.ForeignKey(
        "followups.Ticket", verbose_name=_("case"), on_delete=models.PROTECT, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The address written to (outbound) or received from (inbound).
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(verbose_name=_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Outbound only; an inbound message has no delivery state.
    delivery_status = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(verbose_name=_("delivery attempts"), default=0)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When a worker last claimed the row for sending (see services.SENDING_LEASE).
    claimed_at = models.DateTimeField(verbose_name=_("claimed for sending at"), null=True, blank=True)
    # Outbound only: the customer's personal link and reply-to address for answering this message.
    reply_token = models.CharField(
        verbose_name=_("reply token"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Inbound only: which outbound message the customer answered.
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, verbose_name=_("in reply to"), on_delete=models.SET_NULL, related_name="replies"
    )
    # A close-the-loop email is sent once per customer; each of their cases shows it.
    loop_recipient = models.ForeignKey(
        LoopRecipient,
        null=True,
        blank=True,
        verbose_name=_("close-the-loop recipient"),
        on_delete=models.SET_NULL,
        related_name="case_messages",
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"]),
            models.Index(fields=["delivery_status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.direction} {self.subject}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == Direction.OUT

    @property
    def reply_url(self) -> str:
        from django.urls import reverse

        if not self.reply_token:
            return ""
        return settings.SITE_URL + reverse("conversations:customer_reply", args=[self.reply_token])
