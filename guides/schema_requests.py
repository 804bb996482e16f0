"""The content schema of request routes (letters) and deadlines, for guides/schema.py.

`requests:` on a guide: the letters a person can send, each with its law, recipient
(a form or an email address from one of the guide's sources, or a role such as a
workspace admin), what it asks for and the regions it applies to. `deadlines:` on a
platform: dated moments (training starts, a window closes) with their source.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import AnyHttpUrl, Field, field_validator, model_validator

from guides.schema import ALL_REGIONS, Region, ShortText, Slug, Strict, Text

if TYPE_CHECKING:
    from guides.schema import Guide, Platform


class Law(StrEnum):
    """The law a letter relies on; `none` is a plain request (an admin, no legal duty)."""

    GDPR_ART21 = "gdpr-art21"
    UK_GDPR_ART21 = "uk-gdpr-art21"
    CCPA = "ccpa"
    NONE = "none"


EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Recipient(Strict):
    form: AnyHttpUrl | None = Field(default=None, description="The official form's address.")
    field: ShortText | None = Field(default=None, description="Which form field takes the letter.")
    email: Annotated[str, Field(pattern=EMAIL, max_length=200)] | None = None
    role: ShortText | None = Field(
        default=None, description='A person, e.g. "Your workspace owner".'
    )
    source: ShortText | None = Field(
        default=None, description="The guide source (id, or its url) stating this recipient."
    )

    @model_validator(mode="after")
    def _one_way(self) -> Recipient:
        ways = [w for w in (self.form, self.email, self.role) if w]
        if len(ways) != 1:
            raise ValueError("a recipient is exactly one of form, email or role")
        if self.field and not self.form:
            raise ValueError("field only goes with a form")
        if (self.form or self.email) and not self.source:
            raise ValueError("a form or email recipient needs the source that states it")
        return self


class RequestRoute(Strict):
    key: Slug = Field(description="Unique within the guide; requests refer to it.")
    law: Law
    recipient: Recipient
    asks: ShortText = Field(description="What the letter asks for.")
    regions: list[Region | str] = Field(min_length=1)

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        from guides.schema import Guide

        return Guide._regions(value)


class DeadlineKind(StrEnum):
    TRAINING_STARTS = "training-starts"
    WINDOW_CLOSES = "window-closes"
    WINDOW_OPENS = "window-opens"
    OTHER = "other"


class Deadline(Strict):
    key: Slug | None = Field(
        default=None, description="Stable id for calendars; defaults to the title, slugified."
    )
    date: dt.date
    title: ShortText
    kind: DeadlineKind
    affects: list[Slug] = Field(default_factory=list, description="Guide slugs.")
    source: AnyHttpUrl
    quote: list[Text] = Field(default_factory=list)
    checked_on: dt.date | None = None

    @model_validator(mode="after")
    def _evidence(self) -> Deadline:
        if bool(self.quote) != bool(self.checked_on):
            raise ValueError("checked_on is required with a quote and forbidden without one")
        if self.checked_on and self.checked_on > dt.date.today():
            raise ValueError("checked_on cannot be in the future")
        return self

    @property
    def stable_key(self) -> str:
        return self.key or re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60]


def _dupes(values: list) -> list:
    return sorted({v for v in values if values.count(v) > 1})


def check_requests(guide: Guide) -> None:
    """Route keys are unique, each recipient's source is one of the guide's sources (by
    id in format v2, or by url), and a route's regions are among the guide's."""
    if dupes := _dupes([r.key for r in guide.requests]):
        raise ValueError(f"request key {dupes[0]!r} is used twice")
    ids = {getattr(s, "id", None) for s in guide.sources} - {None}
    urls = {str(s.url) for s in guide.sources}
    for i, route in enumerate(guide.requests):
        source = route.recipient.source
        if source and source not in ids and source not in urls and source + "/" not in urls:
            raise ValueError(f"requests.{i}.recipient.source is not a source of this guide")
        outside = sorted(set(map(str, route.regions)) - set(map(str, guide.regions)))
        if ALL_REGIONS not in guide.regions and outside:
            raise ValueError(f"requests.{i}.regions: {outside[0]!r} is not a guide region")


def check_deadlines(platform: Platform) -> None:
    slugs = {g.slug for g in platform.guides}
    if dupes := _dupes([d.stable_key for d in platform.deadlines]):
        raise ValueError(f"two deadlines share the key {dupes[0]!r}")
    for i, deadline in enumerate(platform.deadlines):
        for slug in deadline.affects:
            if slug not in slugs:
                raise ValueError(f"deadlines.{i}.affects names unknown guide {slug!r}")
