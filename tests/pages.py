"""What a page in a test's reply is, by the template that rendered it."""


def thanked(reply) -> bool:
    """Whether the reply is the thank-you page (the answer was taken)."""
    return reply.status_code == 200 and "surveys/thanks.html" in {template.name for template in reply.templates}
