"""Supervisory authorities and their complaint pages (GDPR Art. 77, UK GDPR, Swiss
FADP, California's CCPA), from `tracker/data/authorities.yaml`, validated once.

`choices_for(law)` is what the "I sent it" form offers; `default_for(law, region)`
picks one when the region settles it; `get(code)` never fails (unknown codes fall
back to the EDPB list for GDPR, or None).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).with_name("data") / "authorities.yaml"


class Authority(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str
    country: str
    laws: list[str]
    complaint_url: AnyHttpUrl
    quote: list[str] = Field(default_factory=list)
    checked_on: dt.date | None = None
    read: bool = True
    note: str = ""

    @model_validator(mode="after")
    def _evidence(self) -> Authority:
        if self.read != bool(self.quote and self.checked_on):
            raise ValueError(f"{self.code}: a read page has a quote and checked_on, others none")
        return self


@cache
def all_authorities() -> dict[str, Authority]:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    items = [Authority.model_validate(item) for item in raw]
    return {a.code: a for a in items}


def get(code: str) -> Authority | None:
    return all_authorities().get(code)


def choices_for(law: str) -> list[Authority]:
    return [a for a in all_authorities().values() if law in a.laws]


REGION_DEFAULTS = {"uk": "uk", "ch": "ch", "us": "us-ca-cppa"}


def default_for(law: str, region: str | None) -> str:
    if law == "ccpa":
        return "us-ca-cppa"
    if law == "uk-gdpr-art21":
        return "uk"
    code = REGION_DEFAULTS.get(region or "", "")
    return code if code and law in all_authorities()[code].laws else "edpb"


def complaint_routes(code: str, law: str) -> list[Authority]:
    """Where to complain: the chosen authority, and for CCPA both California bodies."""
    if law == "ccpa":
        return choices_for("ccpa")
    chosen = get(code) or get(default_for(law, None))
    return [chosen] if chosen else []
