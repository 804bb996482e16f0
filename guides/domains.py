"""Registrable domains ("eTLD+1") from the Public Suffix List.

`publicsuffixlist` ships the list inside the package and never downloads it at run
time; a new release of the package brings a newer list. Used by the content schema
(a watched page must be on the platform's own domain) and by the watcher (redirects
and one request at a time per site).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _list() -> PublicSuffixList:
    return PublicSuffixList()  # the bundled copy of the list


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str | None:
    """`help.linkedin.com` -> `linkedin.com`, `www.bbc.co.uk` -> `bbc.co.uk`.

    None for an address, a bare public suffix (`co.uk`) or a single label (`localhost`).
    """
    host = (host or "").lower().rstrip(".")
    if not host or is_ip_address(host) or "." not in host:
        return None
    return _list().privatesuffix(host)


def url_domain(url: str) -> str | None:
    return registrable_domain(urlsplit(str(url)).hostname or "")
