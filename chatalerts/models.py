from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from chatalerts.choices import CHAT_EVENTS, ChatPlatform
from integrations.choices import SubscriptionKind
from integrations.models import WebhookSubscription


class ChatDestination(WebhookSubscription):
    """A team's channel: a chat platform's incoming-webhook URL, told of that team's cases only.

    A kind of webhook subscription, so its deliveries go through the webhook outbox (written in
    the case's transaction, sent after commit, retried with backoff) and its delivery log.
    """

    team = models.ForeignKey(
        "followups.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="chat_destinations"
    )
    platform = models.CharField(_("chat platform"), max_length=20, choices=ChatPlatform.choices)

    class Meta:
        verbose_name = _("chat destination")
        verbose_name_plural = _("chat destinations")
        ordering = ["team__name", "name"]

    def save(self, *args, **kwargs):
        self.kind = SubscriptionKind.CHAT
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        allowed = {event for event, _label in CHAT_EVENTS}
        if isinstance(self.events, list) and set(self.events) - allowed and "events" not in errors:
            errors["events"] = [_("A chat destination can only be told of the events listed.")]
        if errors:
            raise ValidationError(errors)
