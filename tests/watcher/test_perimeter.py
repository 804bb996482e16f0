"""The watcher's perimeter: only https pages on the platform's own domain are declared,
and every fetch hop goes only to public addresses, never down from https to http."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.core import checks
from pydantic import ValidationError

from guides import schema
from tests.watcher.server import HOST, PERIMETER, HostsFile, PageServer, Reply
from watcher.fetch import HostThrottle, fetch
from watcher.outcomes import Outcome
from watcher.perimeter import Perimeter, is_public, resolve

LINKEDIN = yaml.safe_load(
    (Path(django_settings.CONTENT_DIR) / "linkedin.yaml").read_text(encoding="utf-8")
)


def platform_watching(*pages: dict, **top: object) -> schema.Platform:
    data = copy.deepcopy(LINKEDIN) | top
    data["watch"] = [{"title": "Watched page", **page} for page in pages]
    return schema.Platform.model_validate(data)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "https"),
        ("http://localhost:6379/", "https"),
        ("https://169.254.169.254/latest/meta-data/", "registered domain"),
        ("https://localhost:6379/", "registered domain"),
        ("https://[::1]/", "registered domain"),
        ("https://www.linkedin.com.evil.example/help", "own domain"),
        ("https://example.org/linkedin", "own domain"),
    ],
)
def test_schema_rejects_watched_pages_outside_the_perimeter(url: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        platform_watching({"url": url})


def test_schema_accepts_the_platforms_own_and_official_domains() -> None:
    assert platform_watching({"url": "https://help.linkedin.com/hc/ai"}).watch
    with pytest.raises(ValidationError, match="official_domains"):
        platform_watching({"url": "https://news.microsoft.com/linkedin"})
    listed = platform_watching(
        {"url": "https://news.microsoft.com/linkedin"}, official_domains=["microsoft.com"]
    )
    assert str(listed.watch[0].url) == "https://news.microsoft.com/linkedin"


def test_schema_rejects_invalid_css_selectors() -> None:
    url = "https://www.linkedin.com/help"
    with pytest.raises(ValidationError, match="not a valid CSS selector: 'main >'"):
        platform_watching({"url": url, "select": ["main >"]})
    with pytest.raises(ValidationError, match="not a valid CSS selector"):
        platform_watching({"url": url, "remove": ["div[[x"]})


def hosts(mapping: dict[str, str], asked: list[str]):
    """A resolver like a hosts file: the names given, and the system's for the rest."""

    def lookup(host: str, port: int) -> list[str]:
        asked.append(host)
        return [mapping[host]] if host in mapping else resolve(host, port)

    return lookup


def get(url: str, site: PageServer, perimeter: Perimeter = PERIMETER):
    return fetch(
        url,
        throttle=HostThrottle(0),
        backoff=0,
        timeout=2,
        session=HostsFile(site),
        perimeter=perimeter,
    )


def test_strict_perimeter_never_contacts_a_local_server(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html"))
    over_http = fetch(site.url("/help"), throttle=HostThrottle(0))
    assert (over_http.outcome, over_http.status_code) == (Outcome.REFUSED, None)
    assert "not https" in over_http.error
    local = fetch(f"https://localhost:{site.port}/help", throttle=HostThrottle(0))
    assert local.outcome is Outcome.REFUSED
    assert "not a public address" in local.error
    assert site.requests == []


def test_redirect_to_a_private_address_is_refused(site: PageServer) -> None:
    site.route("/go", Reply(status=302, redirect=f"https://intranet.{HOST}/admin"))
    asked: list[str] = []
    perimeter = Perimeter(
        PERIMETER.allowed_test_origins, resolve=hosts({f"intranet.{HOST}": "10.0.0.7"}, asked)
    )
    result = get(f"https://{HOST}/go", site, perimeter)
    assert result.outcome is Outcome.REFUSED
    assert result.error == f"intranet.{HOST} resolves to 10.0.0.7, not a public address"
    assert result.final_url == f"https://intranet.{HOST}/admin"
    # The local server (help.example goes there), then the redirect's host: looked up
    # once, and refused before any connection.
    assert asked == ["127.0.0.1", f"intranet.{HOST}"]
    assert [seen.path for seen in site.requests] == ["/go"]


def test_metadata_address_is_refused_even_under_a_good_name(site: PageServer) -> None:
    asked: list[str] = []
    perimeter = Perimeter(resolve=hosts({"metadata.linkedin.com": "169.254.169.254"}, asked))
    result = get("https://metadata.linkedin.com/latest/", site, perimeter)
    assert result.outcome is Outcome.REFUSED
    assert "169.254.169.254, not a public address" in result.error


def test_connection_goes_to_the_address_that_was_checked(site: PageServer) -> None:
    """The name is looked up once, by the perimeter, and the socket connects there."""
    site.route("/help", Reply(page="help_v1.html"))
    asked: list[str] = []
    perimeter = Perimeter.for_origins(
        ["http://pinned.example"], resolve=hosts({"pinned.example": "127.0.0.1"}, asked)
    )
    result = fetch(
        f"http://pinned.example:{site.port}/help", throttle=HostThrottle(0), perimeter=perimeter
    )
    assert result.outcome is Outcome.OK
    assert asked == ["pinned.example"]  # no DNS knows this name: only our lookup was used
    assert site.hits("/help")[0].headers["Host"] == f"pinned.example:{site.port}"


def test_https_to_http_downgrade_is_refused(site: PageServer) -> None:
    site.route("/help", Reply(status=301, redirect=f"http://{HOST}/plain"))
    site.route("/plain", Reply(page="help_v1.html"))
    result = get(f"https://{HOST}/help", site)
    assert result.outcome is Outcome.REFUSED
    assert "down to http" in result.error
    assert site.hits("/plain") == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("10.1.2.3", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("fd00::1", False),
    ],
)
def test_only_global_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.django_db
def test_watcher_refuses_the_local_server_without_the_test_allowance(
    site: PageServer, settings
) -> None:
    from tests.watcher.kit import make_page
    from watcher import watch

    settings.WATCH_ALLOWED_TEST_ORIGINS = []
    settings.WATCH_HOST_DELAY, settings.WATCH_BACKOFF = 0, 0
    page = make_page(url=site.url("/help"))
    site.route("/help", Reply(page="help_v1.html"))
    result = watch.check_page(page.pk)
    assert result is not None and result.outcome is Outcome.REFUSED
    assert site.requests == []


def test_system_check_refuses_test_origins_in_production(settings) -> None:
    from watcher.checks import check_test_origins

    settings.WATCH_ALLOWED_TEST_ORIGINS = ["http://127.0.0.1"]
    settings.DEBUG = True
    assert check_test_origins() == []
    settings.DEBUG = False
    [error] = check_test_origins()
    assert (error.id, error.level) == ("watcher.E001", checks.ERROR)
    settings.WATCH_ALLOWED_TEST_ORIGINS = []
    assert check_test_origins() == []
