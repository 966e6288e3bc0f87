from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.choices import WebhookEvent


class ChatPlatform(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    MATTERMOST = "mattermost", "Mattermost"
    ROCKETCHAT = "rocketchat", "Rocket.Chat"


# The events a team's channel can be told of, worded for the chat admin.
CHAT_EVENTS = (
    (WebhookEvent.CASE_OPENED.value, _("New critical detractor (score 0 to 3)")),
    (WebhookEvent.CASE_BREACHED.value, _("First-contact deadline missed")),
    (WebhookEvent.CASE_CUSTOMER_REPLIED.value, _("Customer replied on a case")),
)
