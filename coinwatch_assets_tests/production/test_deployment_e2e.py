"""The deployment shape works together: a backfill, a sensor, a schedule, declarative
automation and the run-failure monitor, through the GraphQL API of real Dagster processes on
dagster-postgres, with every ohlcv run queued behind the one-run `exchange_sample` pool."""

from __future__ import annotations

from typing import Any

import psycopg

from coinwatch_assets_tests.production.conftest import (
    CLEAN_KEYS,
    HOLE_KEY,
    RUN_TIMEOUT,
    Deployment,
)
from coinwatch_assets_tests.production.graphql import TERMINAL
from coinwatch_assets_tests.production.stack import wait_for


def sql(d: Deployment, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(d.data_url.replace("+psycopg", "")) as conn:
        return conn.execute(query, params).fetchall()


def first_tick_with_runs(state: dict[str, Any]) -> dict[str, Any] | None:
    return next((t for t in state["ticks"] if t["runIds"]), None)


def finished(d: Deployment, run_ids: list[str]) -> list[dict[str, Any]] | None:
    d.stack.check_alive()
    runs = [r for r in d.api.runs(runIds=run_ids)]
    return (
        runs if len(runs) == len(run_ids) and all(r["status"] in TERMINAL for r in runs) else None
    )


def test_backfill_sensor_schedule_pool_automation_and_failure_monitor(
    populated: Deployment,
) -> None:
    d, api = populated, populated.api
    # Switched on right away, so their runs queue up next to the backfill's.
    api.start_sensor("symbol_discovery_sensor")
    api.start_schedule("ohlcv_intraday_schedule")

    # 1. The backfill of the month(s) of 3 days x 2 symbols completes through the queue and
    #    lands in TimescaleDB.
    status = d.wait_backfill()
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, (status, d.stack.logs_summary())
    backfill_runs = api.runs(tags=[{"key": "dagster/backfill", "value": d.backfill_id}])
    assert backfill_runs and {r["status"] for r in backfill_runs} == {"SUCCESS"}
    for run in backfill_runs:
        events = api.run_event_types(run["runId"])
        assert {"RunEnqueuedEvent", "RunStartingEvent", "RunSuccessEvent"} <= set(events), sorted(
            set(events)
        )
    counts = dict(
        ((day, symbol), n)
        for symbol, day, n in sql(
            d,
            "SELECT symbol, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM ohlcv "
            "WHERE exchange = 'sample' AND timeframe = '5m' GROUP BY 1, 2",
        )
    )
    for day in d.days[:-1]:  # whole past days: 288 five-minute candles each
        for key in CLEAN_KEYS:
            assert counts.get((day, key.replace("-", "/"))) == 288, (day, key, counts)

    # 2. The discovery sensor ticked: it added ETH-USDT and requested its history in one run
    #    (its history is under HISTORY_MONTHS_PER_RUN months).
    tick = wait_for(
        "a discovery sensor tick with a run",
        lambda: first_tick_with_runs(api.sensor("symbol_discovery_sensor")),
        RUN_TIMEOUT,
        2,
    )
    assert tick["status"] == "SUCCESS"
    (history_run,) = tick["runIds"]

    # 3. The intraday schedule (every minute here) ticked and its run went through the queue.
    sched_tick = wait_for(
        "an intraday schedule tick with a run",
        lambda: first_tick_with_runs(api.schedule("ohlcv_intraday_schedule")),
        150,
        3,
    )
    (schedule_run,) = sched_tick["runIds"]
    runs = wait_for(
        "the sensor's and the schedule's runs",
        lambda: finished(d, [history_run, schedule_run]),
        RUN_TIMEOUT,
        2,
    )
    by_id = {r["runId"]: r for r in runs}
    # ETH-USDT misses 02:00-02:15 every day: its blocking gap check fails the history run.
    assert by_id[history_run]["status"] == "FAILURE"

    # 4. The pool exchange_sample held runs back: never two ohlcv runs in progress at once,
    #    and at least one run waited in the queue for another to finish.
    ohlcv_runs = [
        r
        for r in api.runs()
        if r["startTime"] and any(a["path"] == ["ohlcv"] for a in r["assetSelection"] or [])
    ]
    ohlcv_runs = [r for r in ohlcv_runs if r["status"] in TERMINAL]
    assert len(ohlcv_runs) >= 3, ohlcv_runs
    spans = sorted((r["startTime"], r["endTime"], r["creationTime"]) for r in ohlcv_runs)
    for (_, prev_end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
        assert start >= prev_end, f"two ohlcv runs overlapped: {spans}"
    assert any(
        created < prev_end <= start
        for (_, prev_end, _), (start, _, created) in zip(spans, spans[1:], strict=False)
    ), f"no run was held back by the pool: {spans}"

    # 5. The run-failure monitor recorded the failed run as a data-quality failure naming the
    #    partition and its hole, and POSTed an alert to the webhook.
    rows = wait_for(
        "a pipeline_errors row for the failed history run",
        lambda: sql(
            d,
            "SELECT kind, job, step, error_class, partition_keys, message FROM pipeline_errors "
            "WHERE run_id = %s",
            history_run,
        ),
        120,
        2,
    )
    kinds = {r[0] for r in rows}
    assert kinds == {"data_quality"}, rows
    assert all(HOLE_KEY in r[4] for r in rows), rows
    assert any("02:00" in r[5] and "ohlcv_quality" in r[3] for r in rows), rows
    alerts = wait_for(
        "the webhook alert",
        lambda: [a for a in d.webhook.alerts() if a["run_id"] == history_run],
        60,
        1,
    )
    assert alerts[0]["kind"] == "data_quality"
    assert any(HOLE_KEY in f["partition_key"] for f in alerts[0]["failures"])
    assert "postgresql" not in str(alerts)  # no database URL, no secrets

    # 6. Declarative automation (derived_automation_sensor runs by default) turned the clean
    #    days into hourly bars. The days lie in the current month, whose partitions the
    #    intraday schedule re-fetches; here it fires every minute (every 5 in production), so
    #    one of its runs is nearly always in progress, and derived runs wait for their
    #    upstream partitions to be at rest: the schedule has been shown working, stop it.
    api.stop_schedule("ohlcv_intraday_schedule")
    bars = wait_for(
        "ohlcv_1h bars for a clean past day",
        lambda: sql(
            d,
            "SELECT count(*) FROM ohlcv_1h WHERE symbol = 'BTC/USDT' AND ts >= %s::date "
            "AND ts < %s::date + 1 HAVING count(*) = 24",
            d.days[0],
            d.days[0],
        ),
        RUN_TIMEOUT,
        3,
    )
    assert bars == [(24,)]
    # ... and into a complete daily bar and a day of indicators (the first day has no
    # look-back days: the venue starts there).
    daily = wait_for(
        "ohlcv_1d and indicators for a clean past day",
        lambda: sql(
            d,
            "SELECT b.candles, b.expected_candles, (SELECT count(*) FROM indicators i "
            "WHERE i.symbol = b.symbol AND i.ts >= b.ts AND i.ts < b.ts + interval '1 day') "
            "FROM ohlcv_1d b WHERE b.symbol = 'BTC/USDT' AND b.ts = %s::date "
            "AND EXISTS (SELECT 1 FROM indicators i WHERE i.symbol = b.symbol "
            "AND i.ts >= b.ts AND i.ts < b.ts + interval '1 day')",
            d.days[0],
        ),
        RUN_TIMEOUT,
        3,
    )
    assert daily == [(288, 288, 288)]
