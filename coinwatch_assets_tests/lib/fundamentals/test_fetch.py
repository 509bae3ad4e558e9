"""Fetch plans against the emulator: paging by ids, ranges per coin, what is missing."""

from datetime import UTC, datetime, timedelta

from coinwatch_assets.lib.fundamentals.client import ClientPolicy, CoinGeckoClient
from coinwatch_assets.lib.fundamentals.fetch import fetch_metrics, split_hours

POLICY = ClientPolicy(calls_per_minute=1000, base_delay_seconds=0.01, max_delay_seconds=0.05)
NOW = datetime(2026, 11, 30, 14, 2, tzinfo=UTC)


def test_an_hour_is_live_only_within_the_grace_after_its_close():
    hours = [NOW.replace(minute=0) - timedelta(hours=n) for n in (1, 2)]
    live, past = split_hours(hours, NOW, timedelta(minutes=15))
    assert live == [hours[0]] and past == [hours[1]]


def test_600_coins_are_fetched_in_pages_of_250_ids(emulator):
    coins = emulator.add_many(600)
    tickers = {c.id: c.symbol.upper() for c in coins}
    client = CoinGeckoClient(emulator.api_url, policy=POLICY)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    fetched = fetch_metrics(
        client, tickers, [hour], now=hour + timedelta(hours=1, minutes=2),
        live_grace=timedelta(minutes=15), per_page=250,
    )  # fmt: skip
    assert len(fetched.rows) == 600 and fetched.missing == []
    assert not fetched.rows["coin_id"].duplicated().any()
    asked = [query for _, path, query, _ in emulator.calls if path.endswith("/coins/markets")]
    assert [len(q["ids"].split(",")) for q in asked] == [250, 250, 100]
    assert {q["per_page"] for q in asked} == {"250"}
    assert set(fetched.rows["market_cap_rank"]) <= set(range(1, 603))


def test_hours_without_a_chart_point_are_reported_missing_not_invented(emulator):
    client = CoinGeckoClient(emulator.api_url, policy=POLICY)
    hours = [datetime(2026, 11, 1, h, tzinfo=UTC) for h in range(3)]
    fetched = fetch_metrics(
        client, {"bitcoin": "BTC"}, hours, now=NOW, live_grace=timedelta(minutes=15)
    )
    assert len(fetched.rows) == 3 and fetched.missing == []
    assert set(fetched.rows["source"]) == {"market_chart/range"}
    later = [datetime(2026, 11, 1, 3, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)]
    fetched = fetch_metrics(
        client, {"bitcoin": "BTC"}, later, now=NOW, live_grace=timedelta(minutes=15)
    )
    # an hour that has not closed is not fetched at all: reported, never invented
    assert fetched.missing == ["bitcoin@2027-01-01T00:00"] and len(fetched.rows) == 1
    ranges = [q for _, path, q, _ in emulator.calls if path.endswith("/market_chart/range")]
    assert len(ranges) == 2


def test_a_long_backfill_is_cut_into_calls_of_at_most_90_days(emulator):
    client = CoinGeckoClient(emulator.api_url, policy=POLICY)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    hours = [start + timedelta(hours=n) for n in range(200 * 24)]
    fetched = fetch_metrics(client, {"bitcoin": "BTC"}, hours, now=NOW, live_grace=timedelta(0))
    ranges = [q for _, path, q, _ in emulator.calls if path.endswith("/market_chart/range")]
    spans = [(int(q["to"]) - int(q["from"])) / 86400 for q in ranges]
    assert len(ranges) == 3 and max(spans) <= 90
    assert len(fetched.rows) == len(hours) and not fetched.rows["ts"].duplicated().any()
