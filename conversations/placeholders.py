"""Fill {name} placeholders in admin-written texts, and nothing else.

Not the Django template engine and not str.format: a template (or a customer's comment
pasted into one) cannot reach attributes, filters or tags. A known {name} is replaced by its
value as plain text; anything else in braces is left exactly as typed.
"""

import re

PLACEHOLDERS = ("first_name", "last_name", "score", "comment", "brand", "agent_name", "reference", "how_to_reply")

_PLACEHOLDER = re.compile(r"( ?)\{([a-z_]+)\}")


def render_placeholders(text: str, values: dict) -> str:
    """Replace each {key} of `values` in `text` in one pass (a value is never re-scanned).

    An empty value before a comma takes its leading space with it: "Hello {first_name},"
    reads "Hello," for a customer whose first name is unknown.
    """

    def replace(match: re.Match) -> str:
        space, key = match.group(1), match.group(2)
        if key not in values:
            return match.group(0)
        value = "" if values[key] is None else str(values[key])
        if not value and match.string[match.end() : match.end() + 1] == ",":
            return ""
        return space + value

    return _PLACEHOLDER.sub(replace, text)
