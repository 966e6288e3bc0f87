import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.choices import DeliveryStatus, SubscriptionKind, TokenScope, WebhookEvent


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes (the signing key)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class ApiToken(models.Model):
    """A token for one integration. Only its hash is stored; the key is shown once at creation."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(verbose_name=_("key hash"), max_length=128, editable=False)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list, help_text=_("Event names, e.g. case.opened"))
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret)
    is_active = models.BooleanField(_("active"), default=True)
    allow_private_addresses = models.BooleanField(
        _("allow private and loopback addresses"),
        default=False,
        help_text=_("Only for receivers inside your own network."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    # A chat destination (chatalerts.ChatDestination, a subscription of kind "chat") is sent its
    # platform's own message, unsigned, through the same outbox, retries and delivery log.
    kind = models.CharField(
        _("kind"), max_length=10, choices=SubscriptionKind.choices, default=SubscriptionKind.STANDARD, editable=False
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and event in self.events

    def clean(self) -> None:
        from integrations import webhooks

        errors = {}
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = _("Choose at least one event.")
        elif unknown := sorted(set(self.events) - set(WebhookEvent.values)):
            errors["events"] = _("Unknown events: %(events)s.") % {"events": ", ".join(map(str, unknown))}
        if self.url:
            try:
                webhooks.url_check(self.url, allow_private=self.allow_private_addresses)
            except webhooks.AddressRefused as exc:
                errors["url"] = str(exc)
            except OSError:
                errors["url"] = _("This host name does not resolve. Check the URL.")
        if errors:
            raise ValidationError(errors)


class WebhookDelivery(models.Model):
    # Sent as X-Npsapp-Delivery; the payload's "id" is that of the first delivery of the event.
    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(verbose_name=_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(
        verbose_name=_("payload"),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(verbose_name=_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(verbose_name=_("HTTP status"), null=True, blank=True)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)
    # When the next attempt is due, scanned every minute by the beat task; null once finished.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("replay of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        editable=False,
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription} ({self.status})"
