"""Extraction of the watched part of a policy page as stable, diffable text.

The watcher hashes what `extract()` returns and only looks closer when the hash moves,
so this module decides what counts as a change. It keeps what a reader of the policy
sees in the selected part (headings, paragraphs, list items, table rows, and link
targets, so a changed deep link is a change) and drops what moves without the policy
moving: scripts, hidden and consent-banner markup, navigation, wrapper markup, dates in
"Last updated" stamps, timestamps, tracking and session parameters, tokens.

The text is Markdown-ish, one block per line, so diffs read like the page (the diffs
themselves are watcher/diff.py). Like watcher/fetch.py, this module does not import
Django.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from watcher.outcomes import Outcome
from watcher.textfold import CHARMAP

DROP_TAGS = (  # noqa: SIM905 - a word list reads better
    "script style noscript template svg iframe object embed canvas video audio map button "
    "select input textarea dialog"
).split()
HIDDEN = '[hidden], [aria-hidden="true"]'
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Consent managers by vendor id, and "cookie-banner"-like names. A bare "cookie" is not
# enough: privacy policies have sections such as <section id="cookies"> we must keep.
BANNER_NAME = re.compile(
    r"(cookie|consent|gdpr)[-_]?(banner|bar|notice|popup|modal|dialog|wall|overlay|prompt)"
    r"|onetrust|cookiebot|usercentrics|didomi|truste-consent|qc-cmp|^cc-window$|^cc-banner$",
    re.IGNORECASE,
)
BANNER_TAGS = ("div", "section", "aside", "form", "footer", "header")
NAV = 'nav, [role="navigation"]'
BLOCK_TAGS = frozenset(
    (  # noqa: SIM905 - a word list reads better
        "address article aside blockquote body center dd details div dl dt fieldset "
        "figcaption figure footer form header hgroup hr legend li main ol p pre section "
        "summary table tbody thead tfoot ul caption"
    ).split()
)
HEADINGS = {f"h{n}": n for n in range(1, 7)}
URL_OPEN, URL_CLOSE = "\x02", "\x03"  # keep URLs apart from text normalisation
VOLATILE_PARAMS = frozenset(
    (  # noqa: SIM905 - a word list reads better
        "fbclid gclid dclid msclkid mc_cid mc_eid _ga _gl igshid ref_src trk lipi _hsenc "
        "_hsmi sessionid session_id sid jsessionid phpsessid cb cachebuster _ ts timestamp "
        "token nonce csrf csrf_token"
    ).split()
)


@dataclass(frozen=True)
class Extracted:
    outcome: Outcome  # OK, EMPTY or SELECTOR_MISSING
    text: str
    missing: tuple[str, ...] = ()  # selectors from `select` that matched nothing

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def extract(
    html: str, *, select: Sequence[str], remove: Sequence[str] = (), base_url: str
) -> Extracted:
    """Return the normalised text of the `select` part of `html`, minus `remove`.

    Any selector in `select` matching nothing makes the outcome SELECTOR_MISSING: a
    page whose layout moved must not read as a policy change (text still carries what
    the other selectors matched, for the editor). Invalid CSS raises
    soupsieve.SelectorSyntaxError; the content schema rejects it first
    (guides.selectors.invalid_selectors).
    """
    soup = _parse(html)
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        base_url = urljoin(base_url, str(base["href"]))
    _strip_noise(soup, remove)
    roots, missing = _select(soup, select)
    for root in roots:
        _decompose(root.select(NAV))
    lines = [line for root in roots for line in _Writer(base_url).render(root)]
    text = "\n".join(filter(None, (_normalise_line(line) for line in lines)))
    if missing:
        return Extracted(Outcome.SELECTOR_MISSING, text, tuple(missing))
    if not re.search(r"\w", text):
        return Extracted(Outcome.EMPTY, "")
    return Extracted(Outcome.OK, text)


def _parse(html: str) -> BeautifulSoup:
    # Control characters come from corrupt or mis-decoded pages and upset the parser.
    html = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", html)
    try:
        return BeautifulSoup(html, "lxml")
    except Exception:  # noqa: BLE001 - any parser failure falls back to the forgiving one
        return BeautifulSoup(html, "html.parser")


def _decompose(tags: Sequence[Tag]) -> None:
    for tag in tags:
        if not tag.decomposed:
            tag.decompose()


def _strip_noise(soup: BeautifulSoup, remove: Sequence[str]) -> None:
    _decompose(soup.find_all(DROP_TAGS))
    _decompose(soup.select(HIDDEN))
    _decompose(soup.find_all(style=HIDDEN_STYLE))
    _decompose([tag for tag in soup.find_all(BANNER_TAGS) if _is_banner(tag)])
    for selector in remove:
        _decompose(soup.select(selector))


def _is_banner(tag: Tag) -> bool:
    names = [str(tag.get("id") or ""), *tag.get_attribute_list("class")]
    return any(name and BANNER_NAME.search(name) for name in names)


def _select(soup: BeautifulSoup, select: Sequence[str]) -> tuple[list[Tag], list[str]]:
    """Union of the matches in document order, without elements nested in another match."""
    matched: dict[int, Tag] = {}
    missing = []
    for selector in select:
        found = soup.select(selector)
        if not found:
            missing.append(selector)
        matched.update((id(tag), tag) for tag in found)
    order = {id(tag): i for i, tag in enumerate(soup.find_all(True))}
    roots = [t for t in matched.values() if not any(id(p) in matched for p in t.parents)]
    return sorted(roots, key=lambda t: order[id(t)]), missing


class _Writer:
    """Turns a subtree into lines. Iterative, because corrupt pages nest very deep."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""
        self.flushes = 0  # lets a link notice that its text spanned blocks
        self.open_links: dict[int, tuple[int, int]] = {}

    def render(self, root: Tag) -> list[str]:
        stack: list[tuple[bool, Tag | NavigableString]] = [(False, root)]
        while stack:
            leaving, node = stack.pop()
            if isinstance(node, Tag) and leaving:
                self._leave(node)
            elif isinstance(node, Tag):
                if self._enter(node):
                    stack.append((True, node))
                    stack.extend((False, child) for child in reversed(node.contents))
            elif not isinstance(node, PreformattedString):  # comments, doctypes, CDATA
                self.buf.append(str(node))
        self._flush()
        return self.lines

    def _flush(self) -> None:
        line = " ".join("".join(self.buf).split())
        self.buf = []
        self.flushes += 1
        if line:
            self.lines.append(self.prefix + line)
            self.prefix = ""

    def _enter(self, tag: Tag) -> bool:
        """Start a tag; False when its content is already handled."""
        name = tag.name
        if name == "br":
            self._flush()
        elif name == "tr":
            self._flush()
            cells = [
                " ".join(_Writer(self.base_url).render(c))
                for c in tag.find_all(["td", "th"], recursive=False)
            ]
            if any(cells):
                self.lines.append("| " + " | ".join(cells) + " |")
            return False
        elif name in HEADINGS or name in BLOCK_TAGS:
            self._flush()
            if name in HEADINGS:
                self.prefix = "#" * HEADINGS[name] + " "
            elif name == "li":
                self.prefix = self._bullet(tag)
            elif name == "blockquote":
                self.prefix = "> "
        elif name == "a":
            self.open_links[id(tag)] = (self.flushes, len(self.buf))
        return True

    def _leave(self, tag: Tag) -> None:
        if tag.name == "a":
            flushes, start = self.open_links.pop(id(tag))
            # A link wrapping blocks (a "card") has had text: its URL ends the last line.
            spanned = flushes != self.flushes
            self._link(tag, "card" if spanned else "".join(self.buf[start:]))
        elif tag.name in HEADINGS or tag.name in BLOCK_TAGS:
            self._flush()
            self.prefix = ""

    def _bullet(self, li: Tag) -> str:
        lists = [p for p in li.parents if p.name in ("ul", "ol")]
        # "1." for every ordered item, so inserting a step does not renumber the rest.
        marker = "1." if lists and lists[0].name == "ol" else "-"
        return "  " * max(len(lists) - 1, 0) + marker + " "

    def _link(self, tag: Tag, text: str) -> None:
        href = str(tag.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")) or not text.strip():
            return  # same-page anchors and icon-only links are chrome, not content
        url = clean_url(urljoin(self.base_url, href))
        if " ".join(text.split()) != url:
            self.buf.append(f" ({URL_OPEN}{url}{URL_CLOSE})")


def clean_url(url: str) -> str:
    """Drop tracking, session and cache-buster parameters; sort the rest."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in VOLATILE_PARAMS
    )
    netloc = parts.netloc.lower().removesuffix(":443" if parts.scheme == "https" else ":80")
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), parts.fragment))


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_TIME = (
    r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?(?:[ap]\.m\.|[ap]m\b))?"
    r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
)
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:[T ]{_TIME})?|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}"
    rf"|{_MONTH},? \d{{4}}|\d+ (?:second|minute|hour|day|week|month|year)s? ago|today|yesterday)"
    rf"(?:,? (?:at )?{_TIME})?"
)
# "Last updated" stamps are volatile wherever they are. "Effective"/"Updated"/"As of"
# also start real sentences ("Effective 3 Nov 2025, we will use ..."), so those are only
# masked on a short stamp line.
_STRONG_STAMP = re.compile(
    rf"\b(last (?:updated|modified|revised|reviewed|changed)|page generated|retrieved)"
    rf"(?: on| at)?\s*:?\s*{_DATE}",
    re.IGNORECASE,
)
_WEAK_STAMP = re.compile(
    rf"\b(effective(?: date| from| as of| on)?|(?:date )?(?:updated|modified|revised|published"
    rf"|posted)(?: on)?|as of)\s*:?\s*{_DATE}",
    re.IGNORECASE,
)
_STAMP_LINE_WORDS = 10
_ISO_TIMESTAMP = re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}T{_TIME}")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
_COPYRIGHT = re.compile(r"(©|\(c\)|copyright)\s*\d{4}(?:\s*-\s*\d{4})?", re.IGNORECASE)
_TOKEN = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,}\b")
_URL_PART = re.compile(f"{URL_OPEN}(.*?){URL_CLOSE}")


def normalise_text(text: str) -> str:
    """Unicode, punctuation and whitespace normalisation, and volatile bits masked."""
    text = unicodedata.normalize("NFKC", text).translate(CHARMAP)
    text = " ".join(text.split())
    text = _ISO_TIMESTAMP.sub("<time>", text)
    text = _STRONG_STAMP.sub(r"\1 <date>", text)
    if len(text.split()) <= _STAMP_LINE_WORDS:
        text = _WEAK_STAMP.sub(r"\1 <date>", text)
    text = _CLOCK.sub("<time>", text)
    text = _COPYRIGHT.sub("© <year>", text)
    return _TOKEN.sub("<token>", text)


def _normalise_line(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip(" "))]  # nested list items keep their depth
    parts = _URL_PART.split(line)  # even indexes are text, odd ones URLs
    # Mask URLs first so the stamp and token rules see the words around them.
    urls = parts[1::2]
    masked = normalise_text("\x04".join(parts[0::2]))
    pieces = masked.split("\x04")
    out = [pieces[0]]
    for url, piece in zip(urls, pieces[1:], strict=False):
        out += [url, piece]
    text = " ".join("".join(out).split())
    return indent + text if text else ""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
