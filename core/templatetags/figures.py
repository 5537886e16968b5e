"""Figures the way the reader's language writes them: `641.171` and `99,70%` in Indonesian,
`641,171` and `99.70%` in English (Django's localized number formats, grouping forced)."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat

register = template.Library()

MISSING = "–"


@register.filter
def num(value) -> str:
    """An integer with the language's thousands separator."""
    if value is None or value == "":
        return MISSING
    return intcomma(value)


@register.filter
def dec(value, digits: int = 1) -> str:
    """A decimal number with `digits` decimals and grouped thousands."""
    if value is None or value == "":
        return MISSING
    return floatformat(value, f"{int(digits)}g")


@register.filter
def pct(value, digits: int = 2) -> str:
    """A percentage with `digits` decimals: 99,70% (id) / 99.70% (en)."""
    if value is None or value == "":
        return MISSING
    return f"{floatformat(value, f'{int(digits)}g')}%"
