"""watcher.extract and watcher.diff over the recorded corpus in pages/: what is a change."""

from __future__ import annotations

import pytest

from tests.watcher.server import page
from watcher.diff import keyword_hits, side_by_side, unified_diff
from watcher.extract import Extracted, clean_url, extract, normalise_text, text_hash
from watcher.outcomes import Outcome

BASE = "https://help.example/hc/en/articles/4242-control-ai-training"
SELECT = ["main"]
REMOVE = [".feedback", ".related-articles"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Shadows tests/conftest.py's Django cache reset: this code never touches Django,
    and these tests must run without Django settings (`-p no:django`)."""


def extract_page(name: str, select: list[str] = SELECT) -> Extracted:
    return extract(page(name), select=select, remove=REMOVE, base_url=BASE)


def test_watched_part_reads_as_markdownish_lines() -> None:
    lines = extract_page("help_v1.html").text.splitlines()
    assert lines[:2] == [
        "# Control whether your data is used to train generative AI",
        "Last updated <date>",
    ]
    assert "## Turn the setting off" in lines
    assert "1. Switch Use my data for training content creation AI models to Off." in lines
    assert "- Canada" in lines
    assert (
        "Or go straight to Data for Generative AI Improvement "
        "(https://help.example/mypreferences/d/settings/data-for-ai-improvement)."
    ) in lines


@pytest.mark.parametrize(
    "noise",
    ["Help", "Billing", "Was this article helpful", "Related articles", "Beta", "external", "csrf"],
)
def test_chrome_outside_the_policy_is_dropped(noise: str) -> None:
    assert noise not in extract_page("help_v1.html").text


@pytest.mark.parametrize(
    "variant",
    [
        "help_v1_timestamps.html",
        "help_v1_cookie_banner.html",
        "help_v1_nav_reordered.html",
        "help_v1_layout_b.html",
    ],
)
def test_noise_only_variants_hash_the_same(variant: str) -> None:
    assert page(variant) != page("help_v1.html")
    baseline, other = extract_page("help_v1.html"), extract_page(variant)
    assert other.outcome is Outcome.OK
    assert unified_diff(baseline.text, other.text) == ""
    assert other.hash == baseline.hash


DEEP_LINK_LINE = "Or go straight to {name} (https://help.example/mypreferences/d/settings/{path})."


@pytest.mark.parametrize(
    ("edited", "changed"),
    [
        (
            "help_v2_renamed.html",
            [
                "-1. Under How Example uses your data, select Data for Generative AI Improvement.",
                "+1. Under How Example uses your data, select Data for AI Model Training.",
                "-"
                + DEEP_LINK_LINE.format(
                    name="Data for Generative AI Improvement", path="data-for-ai-improvement"
                ),
                "+"
                + DEEP_LINK_LINE.format(
                    name="Data for AI Model Training", path="data-for-ai-improvement"
                ),
            ],
        ),
        ("help_v2_region.html", ["+- European Union, EEA and Switzerland"]),
        (
            "help_v2_default_on.html",
            ["-This setting is Off by default.", "+This setting is On by default."],
        ),
        (
            "help_v2_deeplink.html",
            [
                "-"
                + DEEP_LINK_LINE.format(
                    name="Data for Generative AI Improvement", path="data-for-ai-improvement"
                ),
                "+"
                + DEEP_LINK_LINE.format(
                    name="Data for Generative AI Improvement", path="data-for-generative-ai"
                ),
            ],
        ),
    ],
)
def test_real_edits_change_the_hash_and_show_in_the_diff(edited: str, changed: list[str]) -> None:
    before, after = extract_page("help_v1.html"), extract_page(edited)
    assert after.hash != before.hash
    diff_lines = unified_diff(before.text, after.text).splitlines()
    assert [ln for ln in diff_lines[2:] if ln.startswith(("+", "-"))] == changed


def test_keyword_hits_in_a_diff_count_only_changed_lines() -> None:
    before, after = extract_page("help_v1.html"), extract_page("help_v2_default_on.html")
    diff = unified_diff(before.text, after.text)
    # "Generative AI Improvement" sits in a context line of this diff, not a changed one.
    assert keyword_hits(diff, ["default", "Generative AI", "EEA"]) == ["default"]
    assert keyword_hits(after.text, ["default", "Generative AI", "EEA"]) == [
        "default",
        "Generative AI",
    ]


def test_keyword_matching_rules() -> None:
    text = "We said we would TRAIN models; training starts in the EEA."
    assert keyword_hits(text, ["AI", "train", "eea", "train"]) == ["train", "eea"]
    assert keyword_hits("New: “generative\u00a0AI” features", ["generative AI"]) == [
        "generative AI"
    ]


def test_side_by_side_pairs_the_edit_and_folds_unchanged_runs() -> None:
    before, after = extract_page("help_v1.html"), extract_page("help_v2_default_on.html")
    rows = side_by_side(before.text, after.text, context=1)
    changed = [r for r in rows if r.kind == "changed"]
    assert [(r.left, r.right) for r in changed] == [
        ("This setting is Off by default.", "This setting is On by default.")
    ]
    assert changed[0].left_no == changed[0].right_no == 10
    skipped = [r for r in rows if r.kind == "skipped"]
    assert len(skipped) == 2
    assert sum(r.skipped for r in skipped) + len(rows) - 2 == len(before.text.splitlines())


def test_side_by_side_shows_added_lines() -> None:
    rows = side_by_side("a\nb", "a\nb\nc")
    assert [(r.kind, r.left, r.right) for r in rows] == [
        ("equal", "a", "a"),
        ("equal", "b", "b"),
        ("added", None, "c"),
    ]


def test_missing_selector_is_classified_not_treated_as_empty() -> None:
    result = extract_page("redesigned.html")
    assert result.outcome is Outcome.SELECTOR_MISSING
    assert result.missing == ("main",)


def test_one_missing_selector_of_several_is_selector_missing() -> None:
    result = extract_page("help_v1.html", select=["h1", ".gone-in-redesign"])
    assert result.outcome is Outcome.SELECTOR_MISSING
    assert result.missing == (".gone-in-redesign",)
    assert result.text == "# Control whether your data is used to train generative AI"


def test_selection_is_a_union_in_document_order_without_duplicates() -> None:
    result = extract_page("help_v1.html", select=[".article-body", "h1", "main h2"])
    lines = result.text.splitlines()
    assert lines[0] == "# Control whether your data is used to train generative AI"
    assert lines.count("## Who it applies to") == 1


def test_selection_without_text_is_empty() -> None:
    result = extract_page("spa_shell.html", select=["#__next"])
    assert (result.outcome, result.text) == (Outcome.EMPTY, "")


def test_corrupt_html_still_yields_the_watched_text() -> None:
    result = extract_page("corrupt.html")
    assert result.outcome is Outcome.OK
    lines = result.text.splitlines()
    assert "1. Select Me, then Settings & Privacy" in lines
    assert "This setting is Off by default." in lines
    assert "| United States | Off |" in lines
    assert "Contact: privacy team (mailto:privacy@help.example)" in result.text


@pytest.mark.parametrize(
    "html",
    [
        bytes(range(256)).decode("latin-1") * 40,
        "<div>" * 5000 + "<main><p>deep enough</p></main>",
        "",
        "<main><!-- never closed <p>x</p>",
    ],
    ids=["binary", "deep-nesting", "nothing", "open-comment"],
)
def test_garbage_input_never_raises(html: str) -> None:
    result = extract(html, select=["main"], remove=[], base_url=BASE)
    assert result.outcome in {Outcome.OK, Outcome.EMPTY, Outcome.SELECTOR_MISSING}


def test_hidden_and_consent_markup_inside_the_selection_is_dropped() -> None:
    html = """<main><p>Keep this policy sentence.</p>
      <div style="display: none">Hidden promo</div>
      <div role="dialog" class="cookie-consent-modal"><p>We value your privacy</p></div>
      <section id="cookies"><h2>Cookies</h2><p>We use cookies to remember settings.</p></section>
    </main>"""
    text = extract(html, select=["main"], remove=[], base_url=BASE).text
    assert text.splitlines() == [
        "Keep this policy sentence.",
        "## Cookies",
        "We use cookies to remember settings.",
    ]


def test_links_resolve_against_base_href() -> None:
    html = '<html><head><base href="https://help.example/de/"></head><body><main>'
    html += '<p><a href="settings?utm_source=x">Einstellungen</a></p></main></body></html>'
    text = extract(html, select=["main"], remove=[], base_url="https://cdn.example/x").text
    assert text == "Einstellungen (https://help.example/de/settings)"


def test_normalise_text_unifies_unicode_quotes_dashes_and_spaces() -> None:
    assert normalise_text("“Off”\u00a0– now  ‘on’ \u200bﬁne") == "\"Off\" - now 'on' fine"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Last updated: March 3, 2026", "Last updated <date>"),
        (
            "This article was last updated on 3 Mar 2026 at 10:22 AM.",
            "This article was last updated <date>.",
        ),
        ("Effective date: 2026-01-01", "Effective date <date>"),
        ("Updated 3 days ago", "Updated <date>"),
        ("Page generated 2026-03-03T10:22:01Z", "Page generated <time>"),
        ("© 2024-2026 Example Corp.", "© <year> Example Corp."),
        # A dated sentence of the policy itself is content, not a stamp.
        (
            "Effective 3 November 2025, we will start using data from members in the EU to train.",
            "Effective 3 November 2025, we will start using data from members in the EU to train.",
        ),
        (
            "Since 3 Nov 2025 members in the EU are included.",
            "Since 3 Nov 2025 members in the EU are included.",
        ),
    ],
)
def test_volatile_stamps_are_masked_but_policy_dates_kept(line: str, expected: str) -> None:
    assert normalise_text(line) == expected


def test_clean_url_drops_tracking_and_sorts_the_rest() -> None:
    url = "HTTPS://Help.Example:443/a;jsessionid=AB12?v=dQw4&utm_source=x&sid=9&b=2&fbclid=z#part"
    assert clean_url(url) == "https://help.example/a?b=2&v=dQw4#part"


def test_text_hash_is_sha256_hex() -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert text_hash("") == empty
    assert text_hash("a") != text_hash("a ")
