"""Small template helpers for guide pages."""

import datetime as dt

from django import template

from guides.regions import region_label

register = template.Library()


@register.filter
def applies_in(guide, region: str | None) -> bool | None:
    return guide.applies_in(region)


@register.filter
def region_name(code: str) -> str:
    return region_label(code)


@register.filter
def as_date(value: str | dt.date | None) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


@register.filter
def mailto(template_data: dict | None) -> str:
    from urllib.parse import quote

    if not template_data:
        return ""
    to = template_data.get("to") or ""
    to = to if "@" in to else ""
    subject = quote(template_data.get("subject", ""))
    body = quote(template_data.get("body", ""))
    return f"mailto:{to}?subject={subject}&body={body}"


@register.filter
def in_set(value, container) -> bool:
    return bool(container) and value in container


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
