"""Each chat platform's own message for an alert. No database, no network.

- Slack: Block Kit `blocks` (header, fields, the customer's words quoted, a button), with a
  plain `text` fallback for notifications. Customer words are escaped for mrkdwn (&, <, >), so
  they can neither link nor mention (<!channel>).
- Microsoft Teams: a `message` carrying one Adaptive Card (1.4) attachment. Customer words go
  in TextRuns, which Teams shows as typed (no markdown).
- Mattermost and Rocket.Chat: Slack-style `attachments` (fallback, color, title, title_link,
  text, fields). Their text is markdown: every ASCII punctuation character of a value is
  backslash-escaped, as CommonMark allows, so a customer's words render as typed.
"""

import string
from dataclasses import dataclass, field

from chatalerts.choices import ChatPlatform

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Slack's limits (Block Kit reference): a header's text, a field's text, a section's text.
SLACK_HEADER_MAX = 150
SLACK_FIELD_MAX = 2000
SLACK_SECTION_MAX = 3000
SLACK_MAX_FIELDS = 10


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Alert:
    """What a channel is told: `headline` and `facts` hold no customer words; `quote` does."""

    headline: str
    color: str
    url: str
    link_label: str
    facts: list[Fact] = field(default_factory=list)
    # The customer's own words (their comment), already truncated; "" when there are none.
    quote: str = ""
    quote_label: str = ""


def slack_escape(text: str) -> str:
    """Escape what Slack's mrkdwn reads as control characters (links, mentions, entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKDOWN_SPECIALS = {ord(char): "\\" + char for char in string.punctuation}


def markdown_escape(text: str) -> str:
    """Backslash-escape every ASCII punctuation character (CommonMark): no link, emphasis or heading."""
    return text.translate(_MARKDOWN_SPECIALS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_message(alert: Alert) -> dict:
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{slack_escape(f.label)}*\n{slack_escape(f.value)}", SLACK_FIELD_MAX)}
        for f in alert.facts[:SLACK_MAX_FIELDS]
    ]
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(alert.headline, SLACK_HEADER_MAX)}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if alert.quote:
        quoted = "\n".join("> " + line for line in slack_escape(alert.quote).splitlines())
        text = f"*{slack_escape(alert.quote_label)}*\n{quoted}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SLACK_SECTION_MAX)}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": alert.link_label}, "url": alert.url}
            ],
        }
    )
    fallback = slack_escape(alert.headline)
    if alert.quote:
        fallback += ": " + slack_escape(alert.quote)
    return {"text": fallback, "blocks": blocks}


def teams_message(alert: Alert) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": alert.headline, "weight": "Bolder", "size": "Medium", "wrap": True},
    ]
    if alert.facts:
        # FactSet values are markdown in Teams: each fact is a RichTextBlock of TextRuns instead.
        body += [
            {
                "type": "RichTextBlock",
                "inlines": [
                    {"type": "TextRun", "text": f"{fact.label}: ", "weight": "Bolder"},
                    {"type": "TextRun", "text": fact.value},
                ],
            }
            for fact in alert.facts
        ]
    if alert.quote:
        body.append(
            {
                "type": "RichTextBlock",
                "separator": True,
                "inlines": [
                    {"type": "TextRun", "text": f"{alert.quote_label}\n", "weight": "Bolder"},
                    {"type": "TextRun", "text": alert.quote, "italic": True},
                ],
            }
        )
    card = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": alert.link_label, "url": alert.url}],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _attachment(alert: Alert) -> dict:
    fallback = alert.headline + (": " + alert.quote if alert.quote else "")
    attachment = {
        "fallback": fallback,
        "color": alert.color,
        "title": alert.headline,
        "title_link": alert.url,
        "fields": [{"short": True, "title": fact.label, "value": markdown_escape(fact.value)} for fact in alert.facts],
    }
    if alert.quote:
        attachment["text"] = f"**{markdown_escape(alert.quote_label)}**\n" + "\n".join(
            "> " + markdown_escape(line) for line in alert.quote.splitlines()
        )
    return attachment


def mattermost_message(alert: Alert) -> dict:
    return {"attachments": [_attachment(alert)]}


def rocketchat_message(alert: Alert) -> dict:
    # Rocket.Chat reads the same Slack-style attachments; it shows `text` as the message itself.
    return {"text": markdown_escape(alert.headline), "attachments": [_attachment(alert)]}


BUILDERS = {
    ChatPlatform.SLACK: slack_message,
    ChatPlatform.TEAMS: teams_message,
    ChatPlatform.MATTERMOST: mattermost_message,
    ChatPlatform.ROCKETCHAT: rocketchat_message,
}


def message_for(platform: str, alert: Alert) -> dict:
    return BUILDERS[ChatPlatform(platform)](alert)
