"""watcher.diff: one keyword matcher for the review priority and the highlighting."""

from __future__ import annotations

import pytest

from watcher.diff import KeywordMatcher, highlight, keyword_hits


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Shadows tests/conftest.py's Django cache reset: nothing here touches the cache."""


@pytest.mark.parametrize(
    ("text", "keyword", "found"),
    [
        ("We use AI to help.", "AI", True),
        ("Our aim is to help.", "ai", False),  # not inside a word
        ("As we said before.", "AI", False),
        ("Generative AI training", "train", True),  # longer keywords match word starts
        ("We will retrain models", "train", False),
        ("Opt\u2011out in the EUROPEAN\n union", "European Union", True),
        ("the “default” setting", '"default"', True),
    ],
)
def test_priority_and_highlight_agree(text: str, keyword: str, found: bool) -> None:
    assert (keyword_hits(text, [keyword]) == [keyword]) is found
    assert ("<mark>" in highlight(text, [keyword])) is found


def test_highlight_marks_the_words_in_the_original_text_escaped() -> None:
    html = highlight("<b>AI</b> & aims: Training", ["ai", "train"])
    assert html == "&lt;b&gt;<mark>AI</mark>&lt;/b&gt; &amp; aims: <mark>Train</mark>ing"


def test_hits_in_a_unified_diff_count_only_changed_lines() -> None:
    diff = "--- before\n+++ after\n@@ -1,2 +1,2 @@\n AI everywhere\n-Off\n+On by default"
    assert keyword_hits(diff, ["AI", "default"]) == ["default"]


def test_matcher_keeps_the_order_given_and_ignores_blank_keywords() -> None:
    matcher = KeywordMatcher(["region", " ", "AI", "region"])
    assert matcher.hits("AI in your region") == ["region", "AI"]
