"""pipeline_failure_sensor on real failed runs: rows in pipeline_errors (both backends) and a
webhook alert to a local receiver, retried a bounded number of times, without secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.monitor.failure_sensor import pipeline_failure_sensor
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets_tests.defs.quality.helpers import day_tags
from coinwatch_assets_tests.emulators.webhook import WebhookReceiver
from coinwatch_assets_tests.venue_defs import EXCHANGE, markets, ohlcv, ohlcv_quality_checks

DAY = "2024-03-04"
KEY = "2024-03|ETH-USDT"  # the run fetches DAY of it
SECRET = "s3cr3t-pw"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
        yield inst


def resources(database_url: str, webhook: str | None) -> dict[str, Any]:
    database = DatabaseResource(url=database_url)
    return {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "quality_policy": QualityPolicyResource(),
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
        "alert_webhook": AlertWebhookResource(url=webhook, base_delay_seconds=0.01),
    }


def evaluate_sensor(instance, result: dg.ExecuteInProcessResult, res: dict[str, Any]) -> None:
    run = instance.get_run_by_id(result.run_id)
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE]
    context = dg.build_run_status_sensor_context(
        sensor_name="pipeline_failure_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={k: res[k] for k in ("database", "alert_webhook")},
    ).for_run_failure()
    pipeline_failure_sensor(context)


def test_blocking_check_failure_is_a_data_quality_row_and_alert(database_url, instance) -> None:
    with WebhookReceiver(fail_first=2) as hook:
        res = resources(database_url, hook.url)
        # ETH/USDT in the sample source misses 02:00-02:15 every day: the gap check fails.
        result = dg.materialize(
            [ohlcv, ohlcv_quality_checks],
            instance=instance,
            partition_key=KEY,
            tags=day_tags(DAY),
            resources=res,
            raise_on_error=False,
        )
        assert not result.success
        # The step's failure names the partition and the hole (no bare "check failed").
        (step_failure,) = [e for e in result.all_events if e.is_step_failure]
        text = str(step_failure.step_failure_data.user_failure_data.description)
        assert KEY in text and "02:00-02:10" in text, text

        # The gap check links to its ohlcv_gaps rows: its SQL finds exactly the hole.
        (gaps,) = [
            e for e in result.get_asset_check_evaluations() if e.check_name == "ohlcv_quality"
        ]
        query = (
            gaps.metadata["ohlcv_gaps_query"].value.removeprefix("```sql\n").removesuffix("\n```")
        )
        with res["database"].storage().engine.connect() as conn:
            found = conn.exec_driver_sql(query).all()
        assert [(r[2], r[3]) for r in found] == [(3, "missed")], (query, found)

        evaluate_sensor(instance, result, res)
        rows = res["database"].read("pipeline_errors")
        assert len(rows) == 1, rows
        row = rows.iloc[0]
        assert row["run_id"] == result.run_id and row["kind"] == "data_quality"
        assert row["error_class"] == "ohlcv_quality" and row["partition_keys"] == KEY
        assert row["step"] == "ohlcv_quality_checks" and row["asset_keys"] == "ohlcv"
        assert "02:00-02:10 UTC (3 candle(s), missed)" in row["message"], row["message"]
        assert "Traceback" not in row["message"]

        # Two 503s, then accepted: three POSTs, one alert.
        assert [r["status"] for r in hook.requests] == [503, 503, 204]
        (alert,) = hook.alerts()
        assert alert["kind"] == "data_quality" and alert["run_id"] == result.run_id
        assert alert["failures"][0]["partition_key"] == KEY
        assert hook.requests[-1]["headers"]["Content-Type"] == "application/json"

        # A re-evaluation of the same run replaces its rows instead of duplicating them.
        evaluate_sensor(instance, result, res)
        assert len(res["database"].read("pipeline_errors")) == 1


@dg.asset
def leaky() -> None:
    """Fails the way a driver error does: with a URL and a password in its message."""
    raise RuntimeError(
        f"connection to postgresql+psycopg://coinwatch:{SECRET}@db:5432/x failed; api_key={SECRET}"
    )


def test_error_row_has_class_and_message_without_secrets(database_url, instance) -> None:
    with WebhookReceiver() as hook:
        res = resources(database_url, hook.url)
        result = dg.materialize([leaky], instance=instance, resources=res, raise_on_error=False)
        evaluate_sensor(instance, result, res)
        (row,) = res["database"].read("pipeline_errors").itertuples()
        assert row.kind == "error" and row.error_class == "RuntimeError" and row.step == "leaky"
        assert "connection to postgresql+psycopg://***@db:5432/x failed" in row.message
        assert SECRET not in row.message
        (alert,) = hook.alerts()
        assert alert["kind"] == "error" and SECRET not in str(alert)
        assert alert["failures"][0]["error_class"] == "RuntimeError"


def test_dead_webhook_is_retried_a_bounded_number_of_times(database_url, instance) -> None:
    with WebhookReceiver(fail_first=100) as hook:
        res = resources(database_url, hook.url)
        result = dg.materialize([leaky], instance=instance, resources=res, raise_on_error=False)
        evaluate_sensor(instance, result, res)  # logs a warning, does not raise
        assert len(hook.requests) == res["alert_webhook"].attempts
        assert len(res["database"].read("pipeline_errors")) == 1


def test_no_webhook_configured_still_records(database_url, instance) -> None:
    res = resources(database_url, None)
    result = dg.materialize(
        [markets, leaky], instance=instance, resources=res, raise_on_error=False
    )
    evaluate_sensor(instance, result, res)
    assert list(res["database"].read("pipeline_errors")["step"]) == ["leaky"]
