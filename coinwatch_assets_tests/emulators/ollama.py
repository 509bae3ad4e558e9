"""A fake Ollama server on 127.0.0.1 speaking `/api/chat` (non-streaming JSON).

`mode`: "ok" (a keyword score as JSON content), "garbage" (prose, not JSON), "out_of_range"
(score 7), "error" (HTTP 500), "slow" (answers after `slow_seconds`).
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from coinwatch_assets_tests.emulators.loopback import LoopbackServer


def keyword_score(text: str) -> float:
    lowered = text.lower()
    if any(w in lowered for w in ("hack", "crash", "ban", "lawsuit")):
        return -0.8
    if any(w in lowered for w in ("raises", "launch", "record", "rally")):
        return 0.75
    return 0.0


class FakeOllama(LoopbackServer):
    def __init__(self, mode: str = "ok") -> None:
        super().__init__(_Handler)
        self.mode = mode
        self.slow_seconds = 3.0
        self.requests: list[dict] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        emu: FakeOllama = self.server.emulator  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with emu.lock:
            emu.requests.append(body)
        if self.path != "/api/chat":
            return self._answer(404, {"error": f"unknown path {self.path}"})
        if emu.mode == "error":
            return self._answer(500, {"error": "model runner crashed"})
        if emu.mode == "slow":
            time.sleep(emu.slow_seconds)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        if emu.mode == "garbage":
            content = "Sure! I would say this headline is rather positive overall."
        elif emu.mode == "out_of_range":
            content = json.dumps({"score": 7})
        else:
            content = json.dumps({"score": keyword_score(user)})
        self._answer(
            200,
            {
                "model": body["model"],
                "created_at": "2026-12-01T21:00:00Z",
                "message": {"role": "assistant", "content": content},
                "done": True,
                "done_reason": "stop",
            },
        )

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
