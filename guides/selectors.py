"""CSS selector validation for the content schema's `watch:` declarations."""

from __future__ import annotations

from collections.abc import Sequence


def invalid_selectors(selectors: Sequence[str]) -> list[str]:
    """The selectors that are not valid CSS, for the schema to reject."""
    # Imported here: soupsieve loads bs4, which pages (that import the schema) never need.
    import soupsieve

    bad = []
    for selector in selectors:
        try:
            soupsieve.compile(selector)
        except (soupsieve.SelectorSyntaxError, ValueError):
            bad.append(selector)
    return bad
