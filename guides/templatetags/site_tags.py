"""Site-wide template helpers: the product name, Markdown for content text, monograms.

`{% load site_tags %}` works in every template, emails included (they render without
a request, so the name cannot come from a context processor there).
"""

from __future__ import annotations

import hashlib

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from guides.loader import render_markdown

register = template.Library()

MONOGRAM_COLOURS = 8  # .mono-0 … .mono-7 in static/css/site.css, each AA in both schemes


@register.simple_tag
def site_name() -> str:
    return settings.SITE_NAME


@register.filter
def markdown(text: str | None) -> SafeString:
    """Content text (small Markdown, sanitised by the loader's rules) as HTML blocks."""
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3 allow-list in render_markdown


@register.filter
def markdown_inline(text: str | None) -> SafeString:
    """Like `markdown`, without the paragraph around one line (for list items)."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - sanitised as above


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2 and not words[1][:1].isdigit():
        return (words[0][0] + words[1][0]).upper()
    return (words[0][:2] if words else "?").capitalize()


@register.simple_tag
def monogram(platform, size: str = "") -> SafeString:
    """A platform's initials on a colour picked from its slug: our own mark, never a
    logo fetched from the platform. Decorative: the name is always next to it."""
    colour = int(hashlib.sha256(platform.slug.encode()).hexdigest(), 16) % MONOGRAM_COLOURS
    classes = f"monogram mono-{colour}" + (f" monogram-{size}" if size else "")
    return format_html(
        '<span class="{}" aria-hidden="true">{}</span>', classes, initials(platform.name)
    )


SHOWN_SETTINGS = {"REMINDER_CONFIRM_HOURS"}  # settings a page may quote; nothing secret


@register.simple_tag
def setting(name: str):
    if name not in SHOWN_SETTINGS:
        raise template.TemplateSyntaxError(f"{name} is not a setting pages may show")
    return getattr(settings, name)
