"""Text folding shared by the extractor, the keyword matcher and the quote check.

Free of Django, like the extractor.
"""

from __future__ import annotations

import unicodedata

# Quotes, dashes and invisible characters that NFKC leaves alone.
CHARMAP = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2039\u203a", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043", "-"),
        **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", None),
        **dict.fromkeys("\u2028\u2029", " "),
    }
)


def fold(text: str) -> str:
    """NFKC, straight quotes and hyphens, no invisible characters, case folded."""
    return unicodedata.normalize("NFKC", text).translate(CHARMAP).casefold()
