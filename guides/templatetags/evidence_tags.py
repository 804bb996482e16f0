"""Template helpers that show a guide's evidence: the derived confidence, the facts
nothing confirms, and for each fact the sources that back it, with their age
computed against today's date (the page cache keys on that date, see pagecache)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from guides import evidence
from optout_site import clock

register = template.Library()

FACT_LABELS = {
    "label": _("the setting's exact name"),
    "path": _("where it is"),
    "default": _("the default before you act"),
    "regions": _("where it applies"),
    "scope": _("what it covers"),
    "dates": _("the dates"),
}


@register.filter
def fact_label(fact: str) -> str:
    return str(FACT_LABELS.get(fact, fact))


@register.simple_tag
def guide_evidence(guide) -> dict:
    """Confidence, unconfirmed facts (in words) and every source, annotated."""
    today = clock.today()
    return {
        "confidence": evidence.confidence(guide.kind, guide.sources),
        "unconfirmed": [
            fact_label(f) for f in evidence.unconfirmed_facts(guide.kind, guide.sources)
        ],
        "sources": [evidence.annotated(s, today) for s in guide.sources],
    }


@register.simple_tag
def fact_evidence(guide, fact: str) -> list[dict]:
    """The sources whose quotes back `fact` of `guide`."""
    today = clock.today()
    return [evidence.annotated(s, today) for s in evidence.supporting(guide.sources, fact)]


@register.simple_tag
def step_evidence(guide, step) -> list[dict]:
    """The source a step names for its label and path (none when it names none)."""
    today = clock.today()
    return [evidence.annotated(s, today) for s in evidence.for_step(guide.sources, step.source)]


@register.simple_tag
def change_evidence(change) -> list[dict]:
    """A policy change's own quote, shaped like a source, when it has one."""
    if not change.quote:
        return []
    source = {"url": change.source, "title": change.source, "kind": "", "quote": change.quote}
    return [evidence.annotated(source | {"checked_on": change.checked_on}, clock.today())]
