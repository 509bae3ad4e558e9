"""The CoinMarketCap client over real HTTP: credit ledger, allowance, error codes, the key."""

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coinwatch_assets.lib.fundamentals.cmc_client import CmcClient, CmcPolicy
from coinwatch_assets.lib.fundamentals.cmc_credits import CreditLedger, month_of
from coinwatch_assets.lib.fundamentals.cmc_errors import (
    CmcAllowanceExhausted,
    CmcAnswerError,
    CmcConfigError,
    CmcLimitError,
    CmcUnavailable,
)
from coinwatch_assets.lib.storage.schema import upgrade_database
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets_tests.emulators.coinmarketcap import CoinMarketCapEmulator, recorded

FAST = CmcPolicy(calls_per_minute=1000, timeout_seconds=5, max_attempts=3)
QUOTES = "/v2/cryptocurrency/quotes/latest"


@pytest.fixture
def emulator() -> Iterator[CoinMarketCapEmulator]:
    recorded("v1_listings_latest_2021-10-24.json")  # skips, naming the folder, without data
    with CoinMarketCapEmulator() as emu:
        yield emu


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'coinwatch.sqlite'}"
    upgrade_database(url)
    return url


def this_month() -> str:
    return month_of(datetime.now(UTC))


def client(
    emu: CoinMarketCapEmulator, url: str, allowance: int = 10_000, key: str | None = None, **kw
) -> CmcClient:
    ledger = CreditLedger(Storage(url), allowance)
    return CmcClient(emu.api_url, key or emu.key, ledger, policy=FAST, **kw)


def test_the_ledger_counts_every_credit_the_server_charged(
    emulator: CoinMarketCapEmulator, database_url: str
):
    cmc = client(emulator, database_url)
    ids = [str(i) for i in (1, 2, 3, 1027, 1839)]
    assert sorted(cmc.get(QUOTES, {"id": ",".join(ids)})) == sorted(ids)
    cmc.get("/v1/cryptocurrency/map", {"symbol": "BTC,ETH"})
    cmc.get("/v1/cryptocurrency/listings/latest", {"limit": 30})
    emulator.not_in_plan.add("/v2/cryptocurrency/info")
    with pytest.raises(CmcConfigError, match="1006"):  # the recorded 403 body
        cmc.get("/v2/cryptocurrency/info", {"id": "1"})
    # a second client (another asset of the same process) adds to the same month
    client(emulator, database_url).get(QUOTES, {"id": "1"})
    assert CreditLedger(Storage(database_url)).used(this_month()) == sum(emulator.credits_sent)
    assert sum(emulator.credits_sent) == 4
    rows = Storage(database_url).read(*_ledger_slice())
    assert rows[["month", "credits", "calls"]].values.tolist() == [[this_month(), 4, 5]]


def _ledger_slice():
    from coinwatch_assets.lib.storage.slices import Slice
    from coinwatch_assets.lib.storage.tables import table_spec

    return table_spec("cmc_credit_ledger"), Slice.whole_table("cmc_credit_ledger")


def test_the_allowance_stops_a_call_before_it_is_sent(
    emulator: CoinMarketCapEmulator, database_url: str
):
    CreditLedger(Storage(database_url)).add(9_999)
    cmc = client(emulator, database_url, allowance=10_000)
    cmc.get(QUOTES, {"id": "1"})  # 9,999 + 1 fits
    with pytest.raises(CmcAllowanceExhausted) as err:
        cmc.get(QUOTES, {"id": "1"})
    assert emulator.paths() == [QUOTES]  # the second call was never sent
    for named in ("cmc_credit_ledger", "COINMARKETCAP_MONTHLY_CREDITS", "10000 used"):
        assert named in str(err.value)


_RESTARTED = """
import sys
from coinwatch_assets.lib.fundamentals.cmc_client import CmcClient
from coinwatch_assets.lib.fundamentals.cmc_credits import CreditLedger
from coinwatch_assets.lib.fundamentals.cmc_errors import CmcAllowanceExhausted
from coinwatch_assets.lib.storage.store import Storage
url, api, key = sys.argv[1:4]
cmc = CmcClient(api, key, CreditLedger(Storage(url), allowance=int(sys.argv[4])))
try:
    cmc.get("/v2/cryptocurrency/quotes/latest", {"id": "1"})
    print("called")
except CmcAllowanceExhausted as exc:
    print("refused:", exc)
"""


def test_a_restarted_process_sees_the_month_already_spent(
    emulator: CoinMarketCapEmulator, database_url: str
):
    spent = client(emulator, database_url)
    spent.get(QUOTES, {"id": ",".join(str(i) for i in range(1, 4))})
    spent.get("/v1/cryptocurrency/map", {})
    assert sum(emulator.credits_sent) == 2

    def fresh_process(allowance: int) -> str:
        args = [database_url, emulator.api_url, emulator.key, str(allowance)]
        done = subprocess.run(
            [sys.executable, "-c", _RESTARTED, *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    # a new process with the same allowance would spend credit 3 of 2: refused, nothing sent
    assert fresh_process(2).startswith("refused: CoinMarketCap credits for")
    assert len(emulator.calls) == 2
    assert fresh_process(3) == "called\n"
    assert CreditLedger(Storage(database_url)).used(this_month()) == 3


def test_minute_limit_is_retried_after_the_minute(emulator: CoinMarketCapEmulator, sqlite_url):
    waits: list[float] = []
    emulator.fail_next(1008, 1011)
    data = client(emulator, sqlite_url, sleep=waits.append).get(QUOTES, {"id": "1"})
    assert list(data) == ["1"]
    assert len(emulator.calls) == 3
    assert len(waits) == 2 and min(waits) >= 60  # CMC's minute, not a short backoff


@pytest.mark.parametrize("code", [1009, 1010])
def test_daily_and_monthly_limits_are_not_retried(
    emulator: CoinMarketCapEmulator, sqlite_url: str, code: int
):
    emulator.fail_next(code)
    with pytest.raises(CmcLimitError, match=str(code)):
        client(emulator, sqlite_url, sleep=lambda s: None).get(QUOTES, {"id": "1"})
    assert len(emulator.calls) == 1


def test_minute_limit_gives_up_after_the_attempts(emulator: CoinMarketCapEmulator, sqlite_url):
    emulator.fail_next(1008, 1008, 1008)
    with pytest.raises(CmcUnavailable, match="gave up after 3 attempts"):
        client(emulator, sqlite_url, sleep=lambda s: None).get(QUOTES, {"id": "1"})


def test_recorded_key_missing_body_names_the_setting(emulator: CoinMarketCapEmulator, sqlite_url):
    emulator.fail_next(1002)  # the recorded 401 body
    with pytest.raises(CmcConfigError) as err:
        client(emulator, sqlite_url).get(QUOTES, {"id": "1"})
    assert "COINMARKETCAP_API_KEY" in str(err.value) and "API key missing." in str(err.value)
    assert len(emulator.calls) == 1


def test_an_unknown_id_is_an_answer_error(emulator: CoinMarketCapEmulator, sqlite_url: str):
    with pytest.raises(CmcAnswerError, match="Invalid value for"):
        client(emulator, sqlite_url).get(QUOTES, {"id": "999999999"})


def test_a_key_echoed_by_the_server_never_reaches_errors_or_logs(
    emulator: CoinMarketCapEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
):
    emulator.echo_key = True
    wrong = "wrong-key-5f3c9a1e77d04b2a"
    with pytest.raises(CmcConfigError) as err:
        client(emulator, sqlite_url, key=wrong).get(QUOTES, {"id": "1"})
    assert "1001" in str(err.value) and "***" in str(err.value)
    assert wrong not in str(err.value)
    # a retried limit error is logged before the retry: the log line is redacted too
    caplog.set_level("DEBUG")
    emulator.fail_next(1008)
    client(emulator, sqlite_url, sleep=lambda s: None).get(QUOTES, {"id": "1"})
    assert "***" in caplog.text
    assert emulator.key not in caplog.text and wrong not in caplog.text


def test_the_breaker_stops_calling_after_repeated_failures_and_closes_after_the_cool_down(
    emulator: CoinMarketCapEmulator, sqlite_url: str, caplog
):
    caplog.set_level(logging.INFO)
    emulator.fail_next(*[1008] * 10)  # the per-minute limit, again and again
    policy = CmcPolicy(
        calls_per_minute=1000, max_attempts=10, breaker_failures=3, breaker_cooldown_seconds=1
    )
    ledger = CreditLedger(Storage(sqlite_url), 10_000)
    cmc = CmcClient(emulator.api_url, emulator.key, ledger, policy=policy, sleep=lambda s: None)
    with pytest.raises(CmcUnavailable, match="CoinMarketCap circuit breaker is open"):
        cmc.get(QUOTES, {"id": "1"})
    assert len(emulator.calls) == 3  # it stopped after 3 failures, not 10 attempts
    with pytest.raises(CmcUnavailable, match=r"Calls resume after .* UTC \(cool-down 1 s\)"):
        cmc.get(QUOTES, {"id": "1"})
    assert len(emulator.calls) == 3  # open: nothing sent, no credit spent
    assert "CoinMarketCap circuit breaker OPEN" in caplog.text
    emulator.faults.clear()
    time.sleep(1.1)
    assert list(cmc.get(QUOTES, {"id": "1"})) == ["1"]  # the trial call succeeds: closed
    assert cmc.breaker.current_state == "closed"


def test_refusals_of_our_settings_and_used_up_limits_never_trip_the_breaker(
    emulator: CoinMarketCapEmulator, sqlite_url: str
):
    policy = CmcPolicy(calls_per_minute=1000, breaker_failures=2, breaker_cooldown_seconds=60)
    ledger = CreditLedger(Storage(sqlite_url), 10_000)
    cmc = CmcClient(emulator.api_url, emulator.key, ledger, policy=policy, sleep=lambda s: None)
    emulator.fail_next(1006, 1010, 1009, 1006)
    for expected in (CmcConfigError, CmcLimitError, CmcLimitError, CmcConfigError):
        with pytest.raises(expected):
            cmc.get(QUOTES, {"id": "1"})
    assert cmc.breaker.current_state == "closed"
    assert list(cmc.get(QUOTES, {"id": "1"})) == ["1"]
