"""A CoinMarketCap Pro API emulator on 127.0.0.1 for the real httpx client.

Answers from the real recorded bodies in ../shared/data/coinmarketcap/ (never copied here):
`/v1/cryptocurrency/map` (the 2021 ranked map, filtered by `symbol`), `/v2/cryptocurrency/
quotes/latest` by `id` (coins of the recorded v1 quotes-by-id and 2021 listings bodies) and by
`symbol` (the recorded v2 quotes-by-symbol body, ATOM and ONE ambiguous as recorded),
`/v1/cryptocurrency/listings/latest`, `/v2/cryptocurrency/info` (the recorded WETH entry; other
ids are that entry re-labelled with the coin's id, name and symbol), and the recorded 401 (1002)
and 403 (1006) error bodies. Each answer's `status.credit_count` follows CMC's pricing (1 per
100 coins of quotes/info, 1 per 200 of listings) and is remembered in `credits_sent`.
1001/1008-1011 bodies have no real capture: they are the recorded error shape with CMC's
documented codes and messages. `echo_key` makes error messages repeat the key that was sent
(servers do), for redaction tests. `/v4/dex/spot-pairs/latest` answers come from :mod:`cmc_dex`:
no real capture of them exists, their shape is CMC's documented one.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from coinwatch_assets_tests.emulators import cmc_dex
from coinwatch_assets_tests.emulators.loopback import ServedOnLoopback
from coinwatch_assets_tests.shared_data import shared_path

KEY_HEADER = "x-cmc_pro_api_key"
MESSAGES = {
    1001: "This API Key is invalid.",
    1008: "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every minute.",
    1009: "You've exceeded your API Key's daily rate limit.",
    1010: "You've exceeded your API Key's monthly rate limit.",
    1011: "You've hit an IP rate limit.",
}
STATUS_OF = {1001: 401, 1002: 401, 1006: 403, 1008: 429, 1009: 429, 1010: 429, 1011: 429}


@cache
def recorded(name: str) -> Any:
    """One recorded CMC body; skips the test (naming the folder) when the data is absent."""
    return json.loads(shared_path("coinmarketcap", name).read_text(encoding="utf-8"))


def _coins_by_id() -> dict[str, dict[str, Any]]:
    coins = {str(c["id"]): c for c in recorded("v1_listings_latest_2021-10-24.json")["data"]}
    coins.update(recorded("v1_quotes_latest_by_id_2019-02-04.json")["data"])
    for group in recorded("v2_quotes_latest_by_symbol_2021-04-23.json")["data"].values():
        coins.update({str(c["id"]): c for c in group})
    return coins


class CoinMarketCapEmulator(ServedOnLoopback):
    def __init__(self, key: str = "cmc-test-key-0123456789abcdef") -> None:
        self.key = key
        self.echo_key = False
        self.not_in_plan: set[str] = set()  # paths answered with the recorded 403 (1006)
        self.faults: list[int] = []  # CMC error codes to answer next, in order
        self.credits_sent: list[int] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return self.base_url

    def fail_next(self, *codes: int) -> None:
        with self.lock:
            self.faults.extend(codes)

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.calls]

    # -- serving ---------------------------------------------------------------------------
    def _status(self, credits: int, template: str) -> dict[str, Any]:
        status = dict(recorded(template)["status"])
        status["credit_count"] = credits
        with self.lock:
            self.credits_sent.append(credits)
        return status

    def _error(self, code: int, sent_key: str | None) -> tuple[int, Any]:
        if code == 1002:
            body = copy.deepcopy(recorded("error_401_1002_api_key_missing_2020-03-23.json"))
        elif code == 1006:
            body = copy.deepcopy(recorded("error_403_1006_plan_not_authorized_2022-03-09.json"))
        else:
            body = {"status": {**recorded("error_401_1002_api_key_missing_2020-03-23.json")[
                "status"], "error_code": code, "error_message": MESSAGES[code]}}  # fmt: skip
        if self.echo_key and sent_key:
            body["status"]["error_message"] += f" (key {sent_key})"
        with self.lock:
            self.credits_sent.append(body["status"]["credit_count"])
        return STATUS_OF[code], body

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.calls.append((path, dict(query)))
            code = self.faults.pop(0) if self.faults else None
        sent = headers.get(KEY_HEADER)
        if not sent:
            return self._error(1002, None)
        if sent != self.key:
            return self._error(1001, sent)
        if code is not None:
            return self._error(code, sent)
        if path in self.not_in_plan:
            return self._error(1006, sent)
        return self.route(path, query)

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/v1/cryptocurrency/map":
            return self._map(query)
        if path == "/v2/cryptocurrency/quotes/latest":
            return self._quotes(query)
        if path == "/v1/cryptocurrency/listings/latest":
            body = copy.deepcopy(recorded("v1_listings_latest_2021-10-24.json"))
            data = body["data"][: int(query.get("limit", 100))]
            status = self._status(
                max(1, math.ceil(len(data) / 200)), "v1_listings_latest_2021-10-24.json"
            )
            return 200, {
                "status": {**status, "total_count": body["status"]["total_count"]},
                "data": data,
            }
        if path == "/v2/cryptocurrency/info":
            return self._info(query)
        if path == "/v4/dex/spot-pairs/latest":
            updated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            data = cmc_dex.spot_pairs(
                query.get("network_slug", ""), int(query.get("limit", 100)), updated
            )
            name = "v1_listings_latest_2021-10-24.json"  # the status object's shape
            return 200, {"status": self._status(1, name), "data": data}
        return 404, {"status": {"error_code": 404, "error_message": "Not found", "credit_count": 0}}

    def _map(self, query: dict[str, str]) -> tuple[int, Any]:
        name = "v1_cryptocurrency_map_2021-10-24_sort_cmc_rank.json"
        data = recorded(name)["data"]
        if query.get("symbol"):
            wanted = {s.upper() for s in query["symbol"].split(",")}
            data = [c for c in data if c["symbol"].upper() in wanted]
            # the ranked map holds one coin per symbol; the recorded quotes-by-symbol body
            # knows the ambiguous ones (ATOM, ONE) with is_active and rank
            by_symbol = recorded("v2_quotes_latest_by_symbol_2021-04-23.json")["data"]
            seen = {c["id"] for c in data}
            for symbol in sorted(wanted & set(by_symbol)):
                data += [
                    {"id": c["id"], "name": c["name"], "symbol": c["symbol"], "slug": c["slug"],
                     "rank": c["cmc_rank"], "is_active": c["is_active"], "platform": c["platform"]}
                    for c in by_symbol[symbol] if c["id"] not in seen
                ]  # fmt: skip
        return 200, {"status": self._status(1, name), "data": copy.deepcopy(data)}

    def _bad_id(self, ids: str, name: str) -> tuple[int, Any]:
        message = f'Invalid value for "id": "{ids}"'
        return 400, {
            "status": {**self._status(0, name), "error_code": 400, "error_message": message}
        }

    def _quotes(self, query: dict[str, str]) -> tuple[int, Any]:
        name = "v2_quotes_latest_by_symbol_2021-04-23.json"
        if query.get("symbol"):
            by_symbol = recorded(name)["data"]
            wanted = [s.upper() for s in query["symbol"].split(",")]
            data = {s: copy.deepcopy(by_symbol[s]) for s in wanted if s in by_symbol}
            count = sum(len(v) for v in data.values())
        else:
            coins = _coins_by_id()
            ids = [i for i in query.get("id", "").split(",") if i]
            missing = [i for i in ids if i not in coins]
            if not ids or missing:
                return self._bad_id(",".join(missing), name)
            data = {i: copy.deepcopy(coins[i]) for i in ids}
            count = len(data)
        return 200, {"status": self._status(max(1, math.ceil(count / 100)), name), "data": data}

    def _info(self, query: dict[str, str]) -> tuple[int, Any]:
        name = "v2_cryptocurrency_info_by_id_2024-08-28.json"
        template = recorded(name)["data"]["2396"]
        coins = _coins_by_id()
        data = {}
        for coin_id in [i for i in query.get("id", "").split(",") if i]:
            entry = copy.deepcopy(template)
            if coin_id != "2396":
                coin = coins.get(coin_id)
                if coin is None:
                    return self._bad_id(coin_id, name)
                entry.update(id=int(coin_id), name=coin["name"], symbol=coin["symbol"],
                             slug=coin["slug"])  # fmt: skip
            data[coin_id] = entry
        return 200, {"status": self._status(max(1, math.ceil(len(data) / 100)), name), "data": data}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        emulator = self.server.emulator  # type: ignore[attr-defined]
        status, body = emulator.answer(url.path, query, headers)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


CoinMarketCapEmulator.handler = _Handler
