"""Amounts of money as people read them: the number in the active language, then its currency code."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """`amount` with two decimals and grouped thousands in the active language, then `currency`: "1,234.50 EUR"."""
    if amount in (None, ""):
        return ""
    shown = floatformat(amount, "2g")
    return f"{shown}\N{NO-BREAK SPACE}{currency}" if currency else shown
