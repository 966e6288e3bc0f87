"""Brand colours on customer pages: a readable text colour for any background (WCAG 2.x)."""

WHITE = "#ffffff"
BLACK = "#000000"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_ink(background: str) -> str:
    """White or black text, whichever contrasts more with `background` (always >= 4.5:1)."""
    if contrast_ratio(background, WHITE) >= contrast_ratio(background, BLACK):
        return WHITE
    return BLACK


INK = "#212529"  # the customer pages' text colour


def control_edge(colour: str) -> str:
    """The brand colour as a selected control's edge if it stands out on white (WCAG 1.4.11,
    >= 3:1); otherwise the page's ink, so a pale brand still shows which tile is chosen."""
    return colour if contrast_ratio(colour, WHITE) >= 3 else INK
