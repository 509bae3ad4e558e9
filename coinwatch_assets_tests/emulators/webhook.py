"""A local alert webhook receiver on 127.0.0.1: records every POST, can fail on purpose."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Answers `fail_first` POSTs with HTTP 503, then 204; keeps every request it saw."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []  # {"status", "headers", "body"}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status = 503 if len(receiver.requests) < receiver.fail_first else 204
                    receiver.requests.append(
                        {"status": status, "headers": dict(self.headers), "body": raw}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/coinwatch"

    def alerts(self) -> list[dict[str, Any]]:
        """JSON bodies of the POSTs that were accepted (status 204)."""
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests if r["status"] == 204]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
