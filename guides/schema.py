"""The schema of a platform content file (`guides/content/<slug>.yaml`).

This module is the written-down contract for content: the loader validates every
file against it before anything touches the database, and the README documents each
field from the descriptions below. It depends on pydantic only, so it can be run on
its own to check a file while editing:

    python -m guides.schema guides/content/linkedin.yaml
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

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

from guides.domains import registrable_domain, url_domain
from guides.selectors import invalid_selectors

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


class Role(StrEnum):
    """What a step is for: a guide is done when its `do` steps are."""

    DO = "do"  # part of the opt-out: counted
    OPTIONAL = "optional"  # an alternative or extra route: never holds the guide back
    LATER = "later"  # a dated re-check after finishing, not a checkbox


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


class Confidence(StrEnum):
    HIGH = "high"  # the official page itself was read
    MEDIUM = "medium"  # official page seen in part, or consistent secondary sources
    LOW = "low"  # one secondary source only: the page says so


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    url: AnyHttpUrl = Field(description="Official page the facts come from.")
    title: ShortText = Field(description="The page's title as the platform gives it.")
    verified_on: dt.date = Field(description="Date someone checked the facts against it.")
    confidence: Confidence = Field(default=Confidence.HIGH)

    @field_validator("verified_on")
    @classmethod
    def _not_in_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError("verified_on cannot be in the future")
        return value


class Variant(Strict):
    device: Annotated[str, Field(pattern=r"^(web|ios|android|desktop)$")]
    path: list[ShortText] = Field(default_factory=list)
    note: Text | None = None


class Step(Strict):
    key: Slug = Field(description="Stable id; progress refers to it. Never reuse one.")
    title: ShortText
    role: Role = Field(
        default=Role.DO,
        description="do (counted), optional (never holds the guide back) or later (a re-check).",
    )
    body: Text | None = Field(default=None, description="Small Markdown, sanitised.")
    path: list[ShortText] = Field(
        default_factory=list, description="The setting's path as breadcrumbs."
    )
    link: AnyHttpUrl | None = Field(default=None, description="Official deep link.")
    end_state: ShortText | None = Field(default=None, description='Expected end state, e.g. "Off".')
    variants: list[Variant] = Field(default_factory=list)


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
        if any(s.role == Role.LATER for s in self.steps) and not self.recheck_after_days:
            raise ValueError("a guide with a `later` step must set recheck_after_days")
        if self.kind == Kind.ADMIN_ONLY and not self.who_must_act:
            raise ValueError("an admin-only guide must say who_must_act")
        return self


class PolicyChange(Strict):
    date: dt.date
    title: ShortText
    summary: Text
    affects: list[Slug] = Field(min_length=1, description="Slugs of the guides it affects.")
    source: AnyHttpUrl | None = None


class WatchedPage(Strict):
    url: AnyHttpUrl
    title: ShortText
    select: list[ShortText] = Field(default_factory=lambda: ["main"])
    remove: list[ShortText] = Field(default_factory=list)
    keywords: list[ShortText] = Field(default_factory=list)
    js: bool = Field(default=False, description="Render with headless Chromium (scripts).")

    @field_validator("url")
    @classmethod
    def _https(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.scheme != "https":
            raise ValueError("a watched page must be an https URL")
        if url_domain(str(value)) is None:
            raise ValueError("a watched page must be on a registered domain, not an address")
        return value

    @field_validator("select", "remove")
    @classmethod
    def _css(cls, value: list[str]) -> list[str]:
        bad = invalid_selectors(value)
        if bad:
            raise ValueError(f"not a valid CSS selector: {bad[0]!r}")
        return value


class Platform(Strict):
    slug: Slug
    name: ShortText
    category: Category
    website: AnyHttpUrl
    official_domains: list[ShortText] = Field(
        default_factory=list,
        description="Other domains of the platform's own pages (e.g. openai.com for ChatGPT).",
    )
    summary: Text
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
        self._watched_pages_on_own_domains()
        return self

    def _watched_pages_on_own_domains(self) -> None:
        """The watcher fetches only the platform's own sites (its perimeter)."""
        own = {url_domain(str(self.website))}
        own |= {registrable_domain(d) for d in getattr(self, "official_domains", None) or []}
        own.discard(None)
        for i, page in enumerate(self.watch):
            if url_domain(str(page.url)) not in own:
                raise ValueError(
                    f"watch.{i}.url is not on the platform's own domain "
                    f"({', '.join(sorted(own))}); list the domain in official_domains"
                )


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
    return platform


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
