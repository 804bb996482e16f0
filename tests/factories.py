"""Small factory functions for tests: rows as the loader would write them."""

from __future__ import annotations

import itertools

from guides.models import ContentVersion, Guide, Platform, Step

_seq = itertools.count(1)


def make_platform(**kw) -> Platform:
    n = next(_seq)
    values = {
        "slug": f"platform-{n}",
        "name": f"Platform {n}",
        "category": "social",
        "website": f"https://platform-{n}.example",
        "summary": "A platform made by a test.",
    }
    values.update(kw)
    return Platform.objects.create(**values)


def make_guide(platform: Platform, *, steps: int = 3, **kw) -> Guide:
    version = platform.versions.first() or ContentVersion.objects.create(
        platform=platform, number=1, content_hash=f"test-{platform.slug}", data={}
    )
    n = next(_seq)
    values = {
        "slug": f"guide-{n}",
        "title": f"Guide {n}",
        "kind": "setting",
        "summary": "Turn it off.",
        "regions": ["all"],
        "account_types": ["personal"],
        "difficulty": "easy",
        "minutes": 2,
        "sources": [
            {
                "id": "help",
                "url": "https://example.org/help",
                "title": "Help",
                "kind": "official",
            }
        ],
        "version": version,
    }
    values.update(kw)
    guide = Guide.objects.create(platform=platform, **values)
    Step.objects.bulk_create(
        Step(guide=guide, key=f"step-{i}", position=i, title=f"Step {i}", end_state="Off")
        for i in range(steps)
    )
    return guide
