"""The catalog: which platforms and guides match a person's search and filters."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from guides import schema
from guides.models import Guide, Platform, choices
from guides.regions import REGION_CHOICES


def _enum_choices(enum: type, label: str) -> list[tuple[str, str]]:
    return [("", label), *choices(enum)]


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_enum_choices(schema.Category, _("Any"))
    )
    region = forms.ChoiceField(
        label=_("Applies in"), required=False, choices=[("", _("Any region"))] + REGION_CHOICES
    )
    difficulty = forms.ChoiceField(
        label=_("Difficulty"), required=False, choices=_enum_choices(schema.Difficulty, _("Any"))
    )
    kind = forms.ChoiceField(
        label=_("Kind of opt-out"), required=False, choices=_enum_choices(schema.Kind, _("Any"))
    )

    def active_filters(self) -> int:
        """How many filters (not the search) narrow the list: shown on the folded "Filter"."""
        names = ("category", "region", "difficulty", "kind")
        return sum(1 for n in names if self[n].value())


# The filters with a closed list of values; `q` is free text (any search is new).
_CHOICES = {
    name: {str(value) for value, _label in field.choices}
    for name, field in CatalogFilterForm.base_fields.items()
    if isinstance(field, forms.ChoiceField)
}


def cache_query(params: QueryDict) -> str | None:
    """The page-cache key of a catalog query: its filters, sorted, empty ones dropped.

    None (served uncached) for a search (free text would make the entries unbounded),
    an unknown or repeated parameter, or a value the form would reject (that page is
    a 400 anyway).
    """
    chosen = []
    for name in params:
        values = params.getlist(name)
        if len(values) != 1 or (name not in _CHOICES and name != "q"):
            return None
        if name == "q":
            if values[0].strip():
                return None
        elif values[0] not in _CHOICES[name]:
            return None
        elif values[0]:
            chosen.append((name, values[0]))
    return urlencode(sorted(chosen))


@dataclass
class Entry:
    platform: Platform
    guides: list[Guide]


def active_platforms() -> QuerySet[Platform]:
    """All active platforms with their active guides: two queries whatever the count."""
    guides = Guide.objects.filter(active=True).order_by("position")
    return Platform.objects.filter(active=True).prefetch_related(
        Prefetch("guides", queryset=guides, to_attr="active_guides")
    )


def _guide_matches(guide: Guide, region: str, difficulty: str, kind: str) -> bool:
    if region and not guide.applies_in(region):
        return False
    if difficulty and guide.difficulty != difficulty:
        return False
    return not kind or guide.kind == kind


def filter_platforms(
    platforms: QuerySet[Platform] | list[Platform],
    *,
    q: str = "",
    category: str = "",
    region: str = "",
    difficulty: str = "",
    kind: str = "",
) -> list[Entry]:
    needle = q.strip().casefold()
    entries = []
    for platform in platforms:
        if needle and needle not in platform.name.casefold() and needle not in platform.slug:
            continue
        if category and platform.category != category:
            continue
        guides = [g for g in platform.active_guides if _guide_matches(g, region, difficulty, kind)]
        if guides:
            entries.append(Entry(platform, guides))
    return entries
