"""Each platform's message, checked against the shape its documentation gives. No database."""

import json

from chatalerts.messages import Alert, Fact, markdown_escape, mattermost_message, rocketchat_message, slack_message
from chatalerts.messages import teams_message as teams_message_build
from tests.chatalerts.shapes import check_mattermost, check_slack, check_teams

HOSTILE = "<!channel> & <https://evil.example|click> *bold* [here](https://evil.example) @all #1"


def _alert(quote=HOSTILE, name="Jeanne <b>Dupont</b>") -> Alert:
    return Alert(
        headline="New critical detractor: 2/10",
        color="#c62828",
        url="https://nps.example.com/cases/0b5c/",
        link_label="Open the case",
        facts=[Fact("Score", "2/10"), Fact("Customer", name)],
        quote=quote,
        quote_label="Their words",
    )


def test_slack_message_is_block_kit_with_a_text_fallback_and_escapes_the_customers_words():
    message = slack_message(_alert())
    check_slack(message)
    assert message["text"].startswith("New critical detractor: 2/10")
    everything = json.dumps(message)
    # No mention, no link, no raw entity: only &, < and > are escaped, as Slack asks.
    assert "<!channel>" not in everything and "<https://evil" not in everything
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in message["text"]
    comment_block = message["blocks"][2]["text"]["text"]
    assert comment_block.startswith("*Their words*\n> &lt;!channel&gt;")
    assert "Jeanne &lt;b&gt;Dupont&lt;/b&gt;" in json.dumps(message["blocks"][1])
    assert message["blocks"][-1]["elements"][0]["url"] == "https://nps.example.com/cases/0b5c/"


def test_teams_message_carries_one_adaptive_card_with_the_customers_words_as_plain_text_runs():
    message = teams_message_build(_alert())
    check_teams(message)
    card = message["attachments"][0]["content"]
    runs = [inline for block in card["body"] if block["type"] == "RichTextBlock" for inline in block["inlines"]]
    # TextRuns are never read as markdown: the words are sent as typed.
    assert {"type": "TextRun", "text": HOSTILE, "italic": True} in runs
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the case", "url": "https://nps.example.com/cases/0b5c/"}
    ]


def test_mattermost_and_rocketchat_attachments_escape_markdown():
    for message in (mattermost_message(_alert()), rocketchat_message(_alert())):
        check_mattermost(message)
        [attachment] = message["attachments"]
        assert attachment["title_link"] == "https://nps.example.com/cases/0b5c/"
        assert attachment["color"] == "#c62828"
        assert r"\[here\]\(https\:\/\/evil\.example\)" in attachment["text"]
        assert r"\*bold\*" in attachment["text"] and r"\@all" in attachment["text"]
        assert "[here](" not in attachment["text"]
        assert {"short": True, "title": "Customer", "value": r"Jeanne \<b\>Dupont\<\/b\>"} in attachment["fields"]
    assert rocketchat_message(_alert())["text"] == markdown_escape("New critical detractor: 2/10")


def test_no_comment_means_no_quote_block():
    message = slack_message(_alert(quote=""))
    check_slack(message)
    assert [block["type"] for block in message["blocks"]] == ["header", "section", "actions"]
    assert "text" not in mattermost_message(_alert(quote=""))["attachments"][0]
