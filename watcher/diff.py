"""Diffs of extracted texts for the editors, and the one keyword matcher.

`keyword_hits` (which keywords a change touches: they raise its review priority) and
`highlight` (the keywords marked in the review page) use the same `KeywordMatcher`,
so what the queue says was found is exactly what the page marks. A keyword matches
at a word start, ignoring case, typographic quotes and dashes, and spacing ("train"
finds "training"); keywords of three letters or fewer match whole words only ("AI"
finds neither "said" nor "aim").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from watcher.textfold import fold

SHORT_KEYWORD = 3  # letters; shorter keywords must be whole words


class KeywordMatcher:
    def __init__(self, keywords: Sequence[str]) -> None:
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for keyword in dict.fromkeys(keywords):
            words = fold(keyword).split()
            if not words:
                continue
            pattern = r"\s+".join(map(re.escape, words))
            if re.match(r"\w", pattern):  # a boundary only means something next to a letter
                pattern = r"\b" + pattern
            if len(keyword.strip()) <= SHORT_KEYWORD and re.search(r"\w$", pattern):
                pattern += r"\b"
            self.patterns.append((keyword, re.compile(pattern)))

    def hits(self, text: str) -> list[str]:
        """The keywords found in `text`, in the order given."""
        folded = fold(text)
        return [keyword for keyword, pattern in self.patterns if pattern.search(folded)]

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Non-overlapping (start, end) of matches in `text` itself, in order."""
        folded, where = _fold_mapped(text)
        found = sorted(
            (m.start(), m.end()) for _, p in self.patterns for m in p.finditer(folded) if m.end()
        )
        last = 0
        for start, end in found:
            if start < last:
                continue
            last = end
            yield where[start], where[end - 1] + 1


def _fold_mapped(text: str) -> tuple[str, list[int]]:
    """`fold(text)` character by character, with the index in `text` of each character."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        folded = fold(char)
        out.append(folded)
        where += [i] * len(folded)
    return "".join(out), where


def changed_lines(text_or_diff: str) -> str:
    """In a unified diff, only the changed lines; any other text as it is."""
    lines = text_or_diff.splitlines()
    if len(lines) >= 2 and lines[0].startswith("--- ") and lines[1].startswith("+++ "):
        lines = [ln[1:] for ln in lines[2:] if ln.startswith(("+", "-"))]
    return "\n".join(lines)


def keyword_hits(text_or_diff: str, keywords: Sequence[str]) -> list[str]:
    """The keywords found, in the order given. In a unified diff, only changed lines count."""
    return KeywordMatcher(keywords).hits(changed_lines(text_or_diff))


def highlight(text: str, keywords: Sequence[str] | KeywordMatcher) -> SafeString:
    """`text` escaped, with the keywords wrapped in <mark>."""
    matcher = keywords if isinstance(keywords, KeywordMatcher) else KeywordMatcher(keywords)
    out, last = [], 0
    for start, end in matcher.spans(text):
        out += [escape(text[last:start]), format_html("<mark>{}</mark>", text[start:end])]
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def word_diff(left: str, right: str, matcher: KeywordMatcher) -> tuple[SafeString, SafeString]:
    """Both sides of a changed line with the differing words in <del>/<ins>."""
    a, b = re.split(r"(\s+)", left), re.split(r"(\s+)", right)
    old, new = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before = highlight("".join(a[i1:i2]), matcher)
        after = highlight("".join(b[j1:j2]), matcher)
        if tag == "equal":
            old.append(before)
            new.append(after)
            continue
        if i2 > i1:
            old.append(format_html("<del>{}</del>", before))
        if j2 > j1:
            new.append(format_html("<ins>{}</ins>", after))
    return mark_safe("".join(old)), mark_safe("".join(new))  # noqa: S308 - built escaped


def unified_diff(old: str, new: str, *, context: int = 3) -> str:
    """A unified diff of two extracted texts; empty when they are equal."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), "before", "after", n=context, lineterm=""
    )
    return "\n".join(lines)


RowKind = Literal["equal", "changed", "deleted", "added", "skipped"]


@dataclass(frozen=True)
class DiffRow:
    kind: RowKind
    left: str | None
    right: str | None
    left_no: int | None  # 1-based line numbers; for "skipped", where the gap starts
    right_no: int | None
    skipped: int = 0  # lines hidden in a "skipped" row


def side_by_side(old: str, new: str, *, context: int | None = None) -> list[DiffRow]:
    """Rows for a two-column diff; with `context`, long unchanged runs fold into one row."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += _equal_rows(a, i1, i2, j1, context, first=not rows, last=i2 == len(a))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left_no, right_no = (i + 1 if i < i2 else None), (j + 1 if j < j2 else None)
            left, right = (a[i] if left_no else None), (b[j] if right_no else None)
            kind: RowKind = "added" if left is None else "deleted" if right is None else "changed"
            rows.append(DiffRow(kind, left, right, left_no, right_no))
    return rows


def _equal_rows(
    a: list[str], i1: int, i2: int, j1: int, context: int | None, *, first: bool, last: bool
) -> list[DiffRow]:
    def row(i: int) -> DiffRow:
        return DiffRow("equal", a[i], a[i], i + 1, j1 + (i - i1) + 1)

    keep_head = 0 if first else (context or 0)
    keep_tail = 0 if last else (context or 0)
    if context is None or i2 - i1 <= keep_head + keep_tail + 1:
        return [row(i) for i in range(i1, i2)]
    gap_start, gap_end = i1 + keep_head, i2 - keep_tail
    gap = DiffRow("skipped", None, None, gap_start + 1, j1 + keep_head + 1, gap_end - gap_start)
    head, tail = range(i1, gap_start), range(gap_end, i2)
    return [*map(row, head), gap, *map(row, tail)]
