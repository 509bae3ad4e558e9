"""A key echoed back by CoinGecko never reaches the event log, compute logs or pipeline_errors."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets_tests.defs.fundamentals.conftest import (
    KEY,
    coingecko,
    hour_key,
    last_closed_hour,
)
from coinwatch_assets_tests.defs.monitor.test_failure_sensor import evaluate_sensor


def test_an_echoed_key_is_redacted_everywhere_it_could_be_stored(
    resources, instance, emulator, caplog
):
    resources = {**resources, "coingecko": coingecko(emulator, live_grace_minutes=61)}
    assert dg.materialize([coin_ids], resources=resources, instance=instance).success
    emulator.fail_always(kind="echo_key")
    # a failed run: the 400 body (with the key) is the error's message
    failed = dg.materialize(
        [market_metrics],
        resources=resources,
        instance=instance,
        partition_key=hour_key(last_closed_hour()),
        raise_on_error=False,
    )
    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "HTTP 400" in message and "invalid parameter for key '***'" in message, message
    # a green run that logs the same answer as a warning (a retired coin id)
    current_week = coin_metadata.partitions_def.get_partition_key_for_timestamp(
        datetime.now(UTC).timestamp()
    )
    logged = dg.materialize(
        [coin_metadata], resources=resources, instance=instance, partition_key=current_week
    )
    assert logged.success
    warnings = [e.user_message for e in instance.all_logs(logged.run_id)]
    assert any("invalid parameter for key '***'" in m for m in warnings), warnings
    sensor_resources = {"database": resources["database"], "alert_webhook": AlertWebhookResource()}
    evaluate_sensor(instance, failed, sensor_resources)

    errors = resources["database"].read("pipeline_errors")
    assert len(errors) and errors["message"].str.contains("HTTP 400").any()
    assert not errors.astype(str).apply(lambda c: c.str.contains(KEY)).any().any()
    files = [p for p in Path(instance.root_directory).rglob("*") if p.is_file()]
    assert any("compute_logs" in str(p) or p.suffix in (".out", ".err") for p in files), files
    assert any(p.name.endswith(".db") for p in files)  # the event log and run storage
    assert not [p for p in files if KEY.encode() in p.read_bytes()]
    for record in instance.get_run_records():
        assert not any(KEY in str(e) for e in instance.all_logs(record.dagster_run.run_id))
    assert KEY not in caplog.text  # the client's own (tenacity, breaker) log lines
