"""Page-weight benchmark: bytes on the wire for each page type with the CSS, JS and
icons it references, fetched the way a browser asks (Accept-Encoding: gzip, br), and
the number of requests. Production settings under gunicorn + whitenoise.

    .venv/bin/python bench/weight.py
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import pages  # noqa: E402

MAX_BYTES = 50 * 1024
MAX_REQUESTS = 5
ACCEPT_ENCODING = "gzip, br"


class Assets(HTMLParser):
    """What a browser fetches on its own: stylesheets (print ones too), icons, scripts,
    images. Links to other pages are not part of a page's weight."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(rel):
                self.urls.append(a["href"])
        elif tag in ("script", "img", "source", "audio", "video") and a.get("src"):
            self.urls.append(a["src"])


def fetch(base: str, path: str, cookie: str) -> tuple[int, int, int, str, str]:
    """status, wire bytes (status line + headers + body as sent), body bytes, encoding,
    decoded text (for HTML)."""
    netloc = urlsplit(base).netloc
    conn = http.client.HTTPConnection(netloc, timeout=10)
    headers = {"Accept-Encoding": ACCEPT_ENCODING, "Accept": "*/*"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()  # http.client does not decompress: these are wire bytes
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n{response.msg.as_string()}"
    encoding = response.getheader("Content-Encoding", "identity")
    conn.close()
    text = ""
    if "html" in (response.getheader("Content-Type") or ""):
        raw = body
        if encoding == "gzip":
            raw = gzip.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            raw = brotli.decompress(body)
        text = raw.decode()
    return response.status, len(head.encode()) + len(body), len(body), encoding, text


def weigh(base: str, name: str, path: str, cookie: str) -> dict:
    status, wire, body, encoding, html = fetch(base, path, cookie)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    parser = Assets()
    parser.feed(html)
    files = [{"url": path, "status": status, "wire": wire, "body": body, "encoding": encoding}]
    for url in dict.fromkeys(parser.urls):
        if url.startswith("data:"):
            continue
        absolute = urljoin(base + path, url)
        if urlsplit(absolute).netloc != urlsplit(base).netloc:
            raise SystemExit(f"{path} loads {url} from another host")
        status, a_wire, a_body, a_enc, _ = fetch(base, urlsplit(absolute).path, cookie)
        files.append(
            {"url": url, "status": status, "wire": a_wire, "body": a_body, "encoding": a_enc}
        )
    total = sum(f["wire"] for f in files)
    requests = len(files)
    # What the HTML would weigh if the app compressed it (it is sent as served above).
    html_gzipped = len(gzip.compress(html.encode(), compresslevel=6))
    return {
        "page": name,
        "path": path,
        "html_wire": files[0]["wire"],
        "html_encoding": encoding,
        "html_if_gzipped": html_gzipped,
        "assets_wire": total - files[0]["wire"],
        "wire": total,
        "requests": requests,
        "files": files,
        "pass": total <= MAX_BYTES and requests <= MAX_REQUESTS,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-prepare", action="store_true", help="reuse the bench database")
    args = parser.parse_args(argv)

    common.header("Page weight: bytes on the wire with CSS/JS/icons, Accept-Encoding: gzip, br")
    if not args.no_prepare:
        pages.prepare()
    with common.gunicorn() as base:
        cookie = pages.cookie_header(pages.make_visitor(base))
        g = f"/platforms/{pages.GUIDE[0]}/{pages.GUIDE[1]}/"
        results = [
            weigh(base, "home", "/", ""),
            weigh(base, "catalog", "/platforms/", ""),
            weigh(base, "platform", f"/platforms/{pages.GUIDE[0]}/", ""),
            weigh(base, "guide (first visit)", g, ""),
            weigh(base, "guide (with progress)", g, cookie),
            weigh(base, "dashboard", "/me/", cookie),
        ]
    print(
        "wire = status line + headers + body as sent; HTML encoding as served; "
        f"targets: <= {MAX_BYTES // 1024} KB and <= {MAX_REQUESTS} requests"
    )
    print(
        common.table(
            [
                "page",
                "HTML bytes",
                "HTML enc.",
                "(if gzipped)",
                "CSS/JS/icon bytes",
                "total bytes",
                "requests",
                "",
            ],
            [
                [
                    r["page"],
                    r["html_wire"],
                    r["html_encoding"],
                    r["html_if_gzipped"],
                    r["assets_wire"],
                    r["wire"],
                    r["requests"],
                    common.verdict(r["pass"]),
                ]
                for r in results
            ],
        )
    )
    assets = {f["url"]: f for r in results for f in r["files"][1:]}
    print(
        "assets: " + ", ".join(f"{u} {f['wire']:,} B ({f['encoding']})" for u, f in assets.items())
    )
    data = {
        "accept_encoding": ACCEPT_ENCODING,
        "max_bytes": MAX_BYTES,
        "max_requests": MAX_REQUESTS,
        "results": results,
    }
    common.save("weight", data)
    return data


if __name__ == "__main__":
    main()
