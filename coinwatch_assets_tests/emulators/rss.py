"""An RSS/Atom server on 127.0.0.1 for the real httpx + feedparser client.

Serves the recorded feeds of ../shared/data/rss under `/feeds/<path>` with ETag and
Last-Modified, answering 304 to a matching conditional GET, plus fault routes:

- `/status/<code>`: an error answer (e.g. 500)
- `/slow`: a feed that answers only after `slow_seconds` (longer than the client's timeout)
- `/drip`: a valid feed sent one byte every `drip_seconds` (each read succeeds quickly, so a
  per-read timeout never trips; 1 byte/s by default)
- `/empty`: a well-formed RSS feed with no items
- `/html`: an ordinary HTML page, not a feed
- `/huge`: a body beyond the size cap, with Content-Length; `/huge-stream`: the same without it
- `/custom/<name>`: bodies the test sets with `set_feed` (e.g. a feed that drops old items)

    with RssEmulator(rss_root) as emu:
        url = emu.url("swelbyboy_prospect_reserialized/decrypt.xml")
"""

import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from coinwatch_assets_tests.emulators.loopback import LoopbackServer

LAST_MODIFIED = "Mon, 13 Mar 2023 12:00:00 GMT"
EMPTY_FEED = b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>"
HTML_PAGE = (
    b"<!doctype html><html><head><title>Welcome</title></head>"
    b"<body><p>Not a feed.</p></body></html>"
)


class RssEmulator(LoopbackServer):
    def __init__(self, root: Path | None = None, huge_bytes: int = 6_000_000) -> None:
        super().__init__(_Handler)
        self.root = root
        self.huge_bytes = huge_bytes
        self.slow_seconds = 3.0
        self.drip_seconds = 1.0
        self.custom: dict[str, bytes] = {}
        self.requests: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"{self.base_url}/feeds/{path}"

    def custom_url(self, name: str) -> str:
        return f"{self.base_url}/custom/{name}"

    def set_feed(self, name: str, body: bytes) -> None:
        with self.lock:
            self.custom[name] = body

    def body_for(self, path: str) -> bytes | None:
        if path.startswith("/feeds/") and self.root is not None:
            file = (self.root / path.removeprefix("/feeds/")).resolve()
            if self.root.resolve() in file.parents and file.is_file():
                return file.read_bytes()
            return None
        if path.startswith("/custom/"):
            with self.lock:
                return self.custom.get(path.removeprefix("/custom/"))
        return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "RssEmulator/1.0"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    @property
    def emu(self) -> RssEmulator:
        return self.server.emulator  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?")[0]
        with self.emu.lock:
            self.emu.requests[path] += 1
        if path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"server error", "text/plain")
        elif path == "/slow":
            time.sleep(self.emu.slow_seconds)
            self._send(200, b"<rss version='2.0'><channel></channel></rss>", "application/rss+xml")
        elif path == "/drip":
            self._drip(EMPTY_FEED)
        elif path == "/empty":
            self._send(200, EMPTY_FEED, "application/rss+xml")
        elif path == "/html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif path == "/huge":
            self._send(200, b" " * self.emu.huge_bytes, "application/rss+xml")
        elif path == "/huge-stream":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()  # no Content-Length: HTTP/1.0, the body ends when we close
            chunk = b" " * 65536
            for _ in range(self.emu.huge_bytes // len(chunk) + 1):
                self.wfile.write(chunk)
        else:
            self._feed(path)

    def _drip(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            time.sleep(self.emu.drip_seconds)
            self.wfile.write(body[i : i + 1])  # a client that gave up: BrokenPipe ends this
            self.wfile.flush()

    def _feed(self, path: str) -> None:
        body = self.emu.body_for(path)
        if body is None:
            self._send(404, b"not found", "text/plain")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        # Our clients send If-None-Match whenever they have an ETag; it wins over the date.
        modified = LAST_MODIFIED
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-None-Match") is None
            and self.headers.get("If-Modified-Since") == modified
        ):
            with self.emu.lock:
                self.emu.conditional[path] += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(
            200,
            body,
            "application/rss+xml; charset=utf-8",
            {"ETag": etag, "Last-Modified": modified},
        )
