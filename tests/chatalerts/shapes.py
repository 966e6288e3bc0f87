"""What each platform documents for an incoming webhook's message: required keys, types, limits.

Slack: https://api.slack.com/reference/block-kit/blocks (header ≤ 150, section text ≤ 3000,
fields ≤ 10 of ≤ 2000, button text ≤ 75, url ≤ 3000, at most 50 blocks; `text` is the
notification fallback). Teams: a "message" whose attachments carry an Adaptive Card
(contentType application/vnd.microsoft.card.adaptive, type AdaptiveCard, a version).
Mattermost: https://developers.mattermost.com/integrate/reference/message-attachments/
(fallback, color as #hex, title, title_link, fields of short/title/value).
"""

import re

SLACK_BLOCK_TYPES = {"header", "section", "actions", "context", "divider"}
ADAPTIVE_ELEMENTS = {"TextBlock", "RichTextBlock", "FactSet", "ColumnSet", "Container"}
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _text_object(obj, *, kinds=("plain_text", "mrkdwn"), limit: int) -> None:
    assert obj["type"] in kinds, obj
    assert isinstance(obj["text"], str) and 0 < len(obj["text"]) <= limit, obj


def check_slack(message: dict) -> None:
    assert isinstance(message["text"], str) and message["text"]
    blocks = message["blocks"]
    assert isinstance(blocks, list) and 0 < len(blocks) <= 50
    for block in blocks:
        assert block["type"] in SLACK_BLOCK_TYPES, block
        if block["type"] == "header":
            _text_object(block["text"], kinds=("plain_text",), limit=150)
        elif block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                _text_object(block["text"], limit=3000)
            for field in block.get("fields", []):
                _text_object(field, limit=2000)
            assert len(block.get("fields", [])) <= 10
        elif block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25
            for element in block["elements"]:
                assert element["type"] == "button"
                _text_object(element["text"], kinds=("plain_text",), limit=75)
                assert element["url"].startswith(("http://", "https://")) and len(element["url"]) <= 3000


def _check_card_element(element: dict) -> None:
    assert element["type"] in ADAPTIVE_ELEMENTS, element
    if element["type"] == "TextBlock":
        assert isinstance(element["text"], str) and element["text"]
    if element["type"] == "RichTextBlock":
        assert element["inlines"]
        for inline in element["inlines"]:
            assert inline["type"] == "TextRun" and isinstance(inline["text"], str)


def check_teams(message: dict) -> None:
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert re.fullmatch(r"1\.[0-9]", card["version"]) and card["version"] >= "1.2"  # RichTextBlock: 1.2
    assert card["body"]
    for element in card["body"]:
        _check_card_element(element)
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and action["title"] and action["url"].startswith("http")


def check_mattermost(message: dict) -> None:
    assert isinstance(message.get("text", ""), str)
    assert message["attachments"]
    for attachment in message["attachments"]:
        assert isinstance(attachment["fallback"], str) and attachment["fallback"]
        assert HEX_COLOR.match(attachment["color"])
        assert isinstance(attachment["title"], str) and attachment["title"]
        assert attachment["title_link"].startswith(("http://", "https://"))
        assert isinstance(attachment.get("text", ""), str)
        for field in attachment["fields"]:
            assert set(field) == {"short", "title", "value"}
            assert isinstance(field["short"], bool) and isinstance(field["title"], str)
            assert isinstance(field["value"], str)
