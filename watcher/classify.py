"""What a fetched page is: a policy page, an anti-bot interstitial, a bot wall, or an
empty shell; and how its bytes decode. Free of Django, like the fetcher.

Some interstitial markers also appear in script tags of ordinary pages behind the same
service, so a marker only counts on an error status or a page with little text.
"""

from __future__ import annotations

import re

import requests
from bs4 import BeautifulSoup

from watcher.outcomes import Outcome

MIN_WORDS = 3  # fewer visible words than this is an empty shell, not a page

# Interstitials served by anti-bot services. Some of these names also appear in
# script tags of ordinary pages behind the same service, so a marker only counts on
# an error status or a page with little text (CHALLENGE_MAX_WORDS).
CHALLENGE_MARKERS = (
    "cf_chl_opt",
    "/cdn-cgi/challenge-platform/h/",
    "cf-browser-verification",
    "checking your browser before accessing",
    "enable javascript and cookies to continue",
    'id="px-captcha"',
    "captcha-delivery.com",
    "incapsula incident id",
)
CHALLENGE_MAX_WORDS = 150
# Words that are fine inside a policy ("we use reCAPTCHA") but not as a page title.
CHALLENGE_TITLES = (
    "just a moment",
    "attention required",
    "captcha",
    "are you a robot",
    "verify you are human",
    "security check",
    "pardon our interruption",
    "one more step",
)
BLOCKED_TITLES = ("access denied", "request blocked", "you have been blocked", "forbidden")


def classify(response: requests.Response, body: str) -> tuple[Outcome, str]:
    """What a page that was read says it is: a challenge, a bot wall, empty, or a page."""
    words = word_count(body)
    if is_challenge(response, body, words):
        return Outcome.CHALLENGE, "challenge page"
    if page_title(body).startswith(BLOCKED_TITLES):
        return Outcome.BLOCKED, "bot wall"
    if words < MIN_WORDS:
        return Outcome.EMPTY, "no meaningful text"
    return Outcome.OK, ""


_CHARSET_HEADER = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_CHARSET_META = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def decode(raw: bytes, content_type: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    found = _CHARSET_HEADER.search(content_type) or _CHARSET_META.search(raw[:4096])
    charset = found.group(1) if found else "utf-8"
    if isinstance(charset, bytes):
        charset = charset.decode("ascii", errors="replace")
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def is_challenge(response: requests.Response, body: str, words: int | None = None) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    title = page_title(body)
    if any(t in title for t in CHALLENGE_TITLES):
        return True
    lowered = body[:200_000].lower()
    if not any(m in lowered for m in CHALLENGE_MARKERS):
        return False
    if response.status_code >= 400:
        return True
    return (words if words is not None else word_count(body)) <= CHALLENGE_MAX_WORDS


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def page_title(body: str) -> str:
    found = _TITLE.search(body[:20_000])
    return " ".join(found.group(1).split()).lower() if found else ""


def word_count(body: str) -> int:
    soup = BeautifulSoup(body, "lxml")
    for tag in soup(["head", "script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    return len(re.findall(r"\w{2,}", soup.get_text(" ")))
