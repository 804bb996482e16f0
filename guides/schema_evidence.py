"""The evidence part of the content schema: sources with their kind, exact quotes,
the day they were read and the facts they back (see README "Evidence"). Imported by
`guides.schema`, which is the contract as a whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, Field, model_validator

from guides.domains import url_domain
from guides.schema_base import ShortText, Slug, Strict


class SourceKind(StrEnum):
    OFFICIAL = "official"  # the platform's own help, settings, policy, terms or blog page
    PRESS = "press"  # a named publication
    REGULATOR = "regulator"  # a data protection authority, court, official journal


class Fact(StrEnum):
    """The facts of a guide a quote can back."""

    LABEL = "label"  # the setting's / form's exact name
    PATH = "path"  # where it is
    DEFAULT = "default"  # the state before anyone acts
    REGIONS = "regions"  # where it applies
    SCOPE = "scope"  # what it covers / does not cover
    DATES = "dates"  # when things happened


Quote = Annotated[str, Field(min_length=1, max_length=1000)]
Domain = Annotated[str, Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,63}$", max_length=253)]


def check_quotes(quote: list[str], checked_on: dt.date | None) -> None:
    """The evidence rules every quoted thing follows: no empty quote, a date iff a quote."""
    if any(not q.strip() for q in quote):
        raise ValueError("a quote cannot be empty")
    if quote and checked_on is None:
        raise ValueError("checked_on is required with a quote: the day it was read")
    if not quote and checked_on is not None:
        raise ValueError("checked_on without a quote: a date needs the passage that was read")
    if checked_on is not None and checked_on > dt.date.today():
        raise ValueError("checked_on cannot be in the future")


class Source(Strict):
    id: Slug = Field(description="Short id, unique within the guide; steps refer to it.")
    url: AnyHttpUrl = Field(description="The page's official address.")
    title: ShortText = Field(description="The page's title as its publisher gives it.")
    kind: SourceKind
    publisher: ShortText | None = Field(
        default=None, description="Who published it; required for press and regulator."
    )
    quote: list[Quote] = Field(default_factory=list, description="Exact passages from the page.")
    checked_on: dt.date | None = Field(default=None, description="Day the quote was read there.")
    supports: list[Fact] = Field(default_factory=list, description="Facts the quotes back.")

    @model_validator(mode="after")
    def _evidence_rules(self) -> Source:
        check_quotes(self.quote, self.checked_on)
        if self.supports and not self.quote:
            raise ValueError("supports needs a quote: a source backs facts only with a passage")
        if len(set(self.supports)) != len(self.supports):
            raise ValueError("supports lists a fact twice")
        if self.kind != SourceKind.OFFICIAL and not self.publisher:
            raise ValueError(f"a {self.kind.value} source must name its publisher")
        return self


def official_source_problem(own: set[str], guides: Iterable) -> tuple[str, str] | None:
    """(field, reason) for the first `official` source off the platform's own domains."""
    for g, guide in enumerate(guides):
        for i, source in enumerate(guide.sources):
            domain = url_domain(str(source.url))
            if source.kind == SourceKind.OFFICIAL and domain not in own:
                reason = (
                    f"an official source must be on the platform's own domains "
                    f"({', '.join(sorted(own))}), not {domain!r}; list it in "
                    "official_domains if it is the platform's"
                )
                return f"guides.{g}.sources.{i}.url", reason
    return None
