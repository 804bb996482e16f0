"""The watcher's perimeter: where a fetch may go.

Content declares watched pages, and content is reviewed, but a watched URL or a
redirect from a platform must never turn the watcher against our own network (the
cloud metadata address, Redis on localhost, the intranet). So:

- every URL fetched, each redirect hop included, is https (and an https page never
  redirects us down to http);
- every connection goes to an address that `ipaddress` calls global: the host name
  is resolved once here, each address checked, and the socket connects to the checked
  address (TLS still verifies the host name), so a second lookup cannot answer
  differently;
- proxies from the environment are not used.

Tests serve recorded pages from a local server over http: `allowed_test_origins`
("http://127.0.0.1", any port) lifts the https and address rules for those origins
only, never the downgrade rule. Django settings pass WATCH_ALLOWED_TEST_ORIGINS,
which a system check refuses outside DEBUG. Like the fetcher, free of Django.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Resolver = Callable[[str, int], list[str]]


class Refused(Exception):
    """A URL or an address outside the perimeter; nothing was sent to it."""


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global


@dataclass(frozen=True)
class Perimeter:
    allowed_test_origins: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    resolve: Resolver = resolve

    @classmethod
    def for_origins(cls, origins: Iterable[str] = (), **kwargs) -> Perimeter:
        """`origins` like "http://127.0.0.1" (scheme and host; any port)."""
        parsed = {(urlsplit(o).scheme, urlsplit(o).hostname or "") for o in origins}
        return cls(frozenset(parsed), **kwargs)

    def _test_origin(self, scheme: str, host: str) -> bool:
        return (scheme, host.lower()) in self.allowed_test_origins

    def check_url(self, url: str, *, came_from: str | None = None) -> None:
        """Raise Refused unless `url` may be requested (after `came_from`, a redirect)."""
        parts = urlsplit(url)
        if came_from and urlsplit(came_from).scheme == "https" and parts.scheme != "https":
            raise Refused(f"redirect from https down to {parts.scheme}: {url}")
        if self._test_origin(parts.scheme, parts.hostname or ""):
            return
        if parts.scheme != "https":
            raise Refused(f"not https: {url}")

    def address(self, scheme: str, host: str, port: int) -> str:
        """The checked address to connect to (a test origin's need not be public)."""
        try:
            addresses = self.resolve(host, port)
        except OSError as exc:
            raise Refused(f"{host} does not resolve: {exc}") from None
        if not addresses:
            raise Refused(f"{host} does not resolve")
        if not self._test_origin(scheme, host):
            for address in addresses:
                if not is_public(address):
                    raise Refused(f"{host} resolves to {address}, not a public address")
        return addresses[0]


class _Guarded:
    """Mixed into urllib3's connections: connect only to an address the perimeter checked."""

    perimeter: Perimeter
    scheme_name: str
    _dns_host: str

    def _new_conn(self):  # noqa: ANN202 - urllib3's signature
        pinned = self.perimeter.address(self.scheme_name, self.host, self.port)  # type: ignore[attr-defined]
        saved, self._dns_host = self._dns_host, pinned
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = saved


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes through `perimeter.address()`."""

    def __init__(self, perimeter: Perimeter) -> None:
        self.perimeter = perimeter
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        attrs = {"perimeter": self.perimeter}
        http = type(
            "GuardedHTTPConnection", (_Guarded, HTTPConnection), attrs | {"scheme_name": "http"}
        )
        https = type(
            "GuardedHTTPSConnection", (_Guarded, HTTPSConnection), attrs | {"scheme_name": "https"}
        )
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise Refused("the watcher does not use proxies")


def guard(session, perimeter: Perimeter) -> None:
    """Make every request of `session` go through the perimeter (idempotent)."""
    session.trust_env = False  # no proxies or .netrc from the environment
    current = session.get_adapter("https://")
    if isinstance(current, GuardedAdapter) and current.perimeter is perimeter:
        return
    adapter = GuardedAdapter(perimeter)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
