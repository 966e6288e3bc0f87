"""What a page in a test's reply is."""

# The thank-you page's own mark (templates/surveys/thanks.html).
THANKS_MARK = 'id="thanks"'


def thanked(reply) -> bool:
    """Whether the reply is the thank-you page (the answer was taken).

    Read from the page itself, not from the templates the test client saw rendered: that signal
    is heard by every client at once, so threads posting together would see each other's."""
    return reply.status_code == 200 and THANKS_MARK in reply.content.decode()
