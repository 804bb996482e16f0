"""The schema of a platform content file (`guides/content/<slug>.yaml`).

This module is the written-down contract for content: the loader validates every
file against it before anything touches the database, and the README documents each
field from the descriptions below. It needs no database, so it can be run on its own
to check a file while editing:

    python -m guides.schema guides/content/linkedin.yaml
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from guides.evidence import registrable_domain

# libyaml's C parser when present (several times faster), the pure-Python one otherwise.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, max_length=60)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class Region(StrEnum):
    """Regions a person can choose; a guide names the ones it applies to."""

    US = "us"
    CA = "ca"
    EU = "eu"  # European Union and the EEA (Iceland, Liechtenstein, Norway)
    UK = "uk"
    CH = "ch"
    HK = "hk"
    AU = "au"
    IN = "in"
    BR = "br"
    OTHER = "other"


ALL_REGIONS = "all"


class Kind(StrEnum):
    SETTING = "setting"
    FORM = "form"
    EMAIL = "email"
    ADMIN_ONLY = "admin-only"
    NO_OPT_OUT = "no-opt-out"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class AccountType(StrEnum):
    PERSONAL = "personal"
    WORKSPACE_ADMIN = "workspace-admin"


class Category(StrEnum):
    SOCIAL = "social"
    AI_ASSISTANT = "ai-assistant"
    CREATIVE = "creative"
    PRODUCTIVITY = "productivity"
    PUBLISHING = "publishing"
    COMMUNITY = "community"
    LEARNING = "learning"
    SHOPPING = "shopping"
    DEVICES = "devices"


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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Quote = Annotated[str, Field(min_length=1, max_length=1000)]
Domain = Annotated[str, Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,63}$", max_length=253)]


def _check_quotes(quote: list[str], checked_on: dt.date | None) -> None:
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
        _check_quotes(self.quote, self.checked_on)
        if self.supports and not self.quote:
            raise ValueError("supports needs a quote: a source backs facts only with a passage")
        if len(set(self.supports)) != len(self.supports):
            raise ValueError("supports lists a fact twice")
        if self.kind != SourceKind.OFFICIAL and not self.publisher:
            raise ValueError(f"a {self.kind.value} source must name its publisher")
        return self


class Variant(Strict):
    device: Annotated[str, Field(pattern=r"^(web|ios|android|desktop)$")]
    path: list[ShortText] = Field(default_factory=list)
    note: Text | None = None


class Step(Strict):
    key: Slug = Field(description="Stable id; progress refers to it. Never reuse one.")
    title: ShortText
    body: Text | None = Field(default=None, description="Small Markdown, sanitised.")
    path: list[ShortText] = Field(
        default_factory=list, description="The setting's path as breadcrumbs."
    )
    link: AnyHttpUrl | None = Field(default=None, description="Official deep link.")
    end_state: ShortText | None = Field(default=None, description='Expected end state, e.g. "Off".')
    variants: list[Variant] = Field(default_factory=list)
    source: Slug | None = Field(
        default=None, description="Id of the guide source that backs this step's label and path."
    )


class RequestTemplate(Strict):
    to: ShortText | None = Field(default=None, description="Address or role to send it to.")
    subject: ShortText
    body: Annotated[str, Field(min_length=1, max_length=4000)]


class Guide(Strict):
    slug: Slug
    title: ShortText
    kind: Kind
    summary: Text
    default_state: ShortText | None = Field(
        default=None, description='State before anyone acts, e.g. "On".'
    )
    covers: list[Text] = Field(default_factory=list)
    does_not_cover: list[Text] = Field(default_factory=list)
    regions: list[Region | str] = Field(
        description='Region codes it applies to, or ["all"].', min_length=1
    )
    account_types: list[AccountType] = Field(default_factory=lambda: [AccountType.PERSONAL])
    difficulty: Difficulty
    minutes: Annotated[int, Field(ge=1, le=600)]
    recheck_after_days: Annotated[int, Field(ge=7, le=730)] | None = Field(
        default=None, description="Nudge people to re-check; for settings that revert."
    )
    uncertain: Text | None = Field(
        default=None, description="What is not confirmed; shown on the page as such."
    )
    who_must_act: Text | None = Field(default=None, description="For admin-only guides.")
    request_template: RequestTemplate | None = None
    alternatives: list[Text] = Field(
        default_factory=list, description="What else reduces exposure (no-opt-out guides)."
    )
    sources: list[Source] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)
    deep_link: Literal["none"] | None = Field(
        default=None, description='"none" when the setting has no official link of its own.'
    )
    deep_link_reason: Text | None = Field(
        default=None, description="Why there is no deep link; required with deep_link: none."
    )

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        codes = [str(v) for v in value]
        if ALL_REGIONS in codes and len(codes) > 1:
            raise ValueError('"all" cannot be combined with other regions')
        allowed = {r.value for r in Region} | {ALL_REGIONS}
        unknown = sorted(set(codes) - allowed)
        if unknown:
            raise ValueError(f"unknown region {unknown[0]!r}; use one of {sorted(allowed)}")
        if len(set(codes)) != len(codes):
            raise ValueError("regions are listed twice")
        return codes

    @model_validator(mode="after")
    def _kind_rules(self) -> Guide:
        keys = [s.key for s in self.steps]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"step key {dupes[0]!r} is used twice")
        if self.kind == Kind.NO_OPT_OUT:
            if not self.alternatives:
                raise ValueError("a no-opt-out guide must list alternatives")
        elif not self.steps:
            raise ValueError(f"a {self.kind.value} guide needs at least one step")
        if self.kind == Kind.ADMIN_ONLY and not self.who_must_act:
            raise ValueError("an admin-only guide must say who_must_act")
        self._evidence_references()
        self._deep_link_rules()
        return self

    def _evidence_references(self) -> None:
        ids = [s.id for s in self.sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source id {dupes[0]!r} is used twice")
        for i, step in enumerate(self.steps):
            if step.source is not None and step.source not in ids:
                raise ValueError(f"steps.{i}.source names unknown source {step.source!r}")

    def _deep_link_rules(self) -> None:
        if self.deep_link is not None and not self.deep_link_reason:
            raise ValueError("deep_link: none needs a deep_link_reason")
        if self.deep_link_reason and self.deep_link is None:
            raise ValueError("deep_link_reason is only for deep_link: none")
        has_link = any(step.link for step in self.steps)
        if self.kind == Kind.SETTING and not has_link and self.deep_link is None:
            raise ValueError(
                "a setting guide needs a step link, or deep_link: none with a deep_link_reason"
            )


class PolicyChange(Strict):
    date: dt.date
    title: ShortText
    summary: Text
    affects: list[Slug] = Field(min_length=1, description="Slugs of the guides it affects.")
    source: AnyHttpUrl = Field(description="The page that states it (official, press, regulator).")
    quote: list[Quote] = Field(default_factory=list, description="Exact passages from source.")
    checked_on: dt.date | None = Field(default=None, description="Day the quote was read there.")

    @model_validator(mode="after")
    def _evidence_rules(self) -> PolicyChange:
        _check_quotes(self.quote, self.checked_on)
        return self


class WatchedPage(Strict):
    url: AnyHttpUrl
    title: ShortText
    select: list[ShortText] = Field(default_factory=lambda: ["main"])
    remove: list[ShortText] = Field(default_factory=list)
    keywords: list[ShortText] = Field(default_factory=list)
    js: bool = Field(default=False, description="Renders only with client scripts.")


class Platform(Strict):
    slug: Slug
    name: ShortText
    category: Category
    website: AnyHttpUrl
    summary: Text
    aliases: list[ShortText] = Field(
        default_factory=list, description="Other names people search for (OpenAI, Twitter...)."
    )
    official_domains: list[Domain] = Field(
        default_factory=list,
        description="Registrable domains that are the platform's own, besides website's.",
    )
    guides: list[Guide] = Field(min_length=1)
    policy_changes: list[PolicyChange] = Field(default_factory=list)
    watch: list[WatchedPage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Platform:
        slugs = [g.slug for g in self.guides]
        dupes = sorted({s for s in slugs if slugs.count(s) > 1})
        if dupes:
            raise ValueError(f"guide slug {dupes[0]!r} is used twice")
        for i, change in enumerate(self.policy_changes):
            for slug in change.affects:
                if slug not in slugs:
                    raise ValueError(f"policy_changes.{i}.affects names unknown guide {slug!r}")
        keys = [(c.date, c.title) for c in self.policy_changes]
        if len(set(keys)) != len(keys):
            raise ValueError("two policy_changes share a date and title")
        return self

    def own_domains(self) -> set[str]:
        """Registrable domains of the platform: its website's and official_domains."""
        return {registrable_domain(self.website.host or "")} | set(self.official_domains)


class ContentError(Exception):
    """A content file that cannot be loaded: says the file, the field and why."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        super().__init__(f"{path}: {field}: {reason}")


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(file)"


def parse_file(path: Path) -> Platform:
    """Read and validate one content file, raising ContentError on the first problem."""
    name = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
    except UnicodeDecodeError:
        raise ContentError(name, "(file)", "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ContentError(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ContentError(name, "(file)", "expected a mapping at the top level")
    try:
        platform = Platform.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = err["msg"].removeprefix("Value error, ")
        raise ContentError(name, _loc(err["loc"]), reason) from None
    if platform.slug != path.stem:
        raise ContentError(name, "slug", f"must match the file name ({path.stem!r})")
    _check_official_domains(name, platform)
    return platform


def _check_official_domains(name: str, platform: Platform) -> None:
    """An `official` source is on the platform's own registrable domains."""
    own = platform.own_domains()
    for g, guide in enumerate(platform.guides):
        for i, source in enumerate(guide.sources):
            domain = registrable_domain(source.url.host or "")
            if source.kind == SourceKind.OFFICIAL and domain not in own:
                reason = (
                    f"an official source must be on the platform's own domains "
                    f"({', '.join(sorted(own))}), not {domain!r}; list it in "
                    "official_domains if it is the platform's"
                )
                raise ContentError(name, f"guides.{g}.sources.{i}.url", reason)


def main(argv: list[str]) -> int:
    failed = 0
    for arg in argv:
        try:
            platform = parse_file(Path(arg))
        except ContentError as exc:
            print(f"INVALID {exc}")
            failed += 1
        else:
            print(f"ok {arg}: {len(platform.guides)} guide(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
