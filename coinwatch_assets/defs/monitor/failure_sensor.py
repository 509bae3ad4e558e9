"""`pipeline_failure_sensor`: every failed run becomes rows of `pipeline_errors` and, when
COINWATCH_ALERT_WEBHOOK is set, one JSON alert."""

from datetime import UTC, datetime

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets.defs.quality.reporting import broken_of, holes_of
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib import secrets as registered
from coinwatch_assets.lib.monitor.alerts import AlertError
from coinwatch_assets.lib.monitor.failures import (
    DATA_QUALITY,
    ERROR,
    FailureReport,
    alert_payload,
    check_failure_message,
    errors_frame,
)
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# Dagster wraps user exceptions; the cause is what a human needs to read.
_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}


def run_partitions(tags: dict[str, str]) -> list[str]:
    """The partition keys a run was launched for, from its tags (a range as 'a...b')."""
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    if RANGE_START in tags and RANGE_END in tags:
        start, end = tags[RANGE_START], tags[RANGE_END]
        return [start] if start == end else [f"{start}...{end}"]
    return []


def run_assets(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """The assets the run was to materialize: its selection, else its planned materializations."""
    keys = set(run.asset_selection or ())
    if not keys:
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        keys = {r.event_log_entry.dagster_event.asset_key for r in records}
    return sorted(k.to_user_string() for k in keys if k is not None)


def _root(error: SerializableErrorInfo | None) -> SerializableErrorInfo | None:
    while error is not None and error.cls_name in _WRAPPERS and error.cause is not None:
        error = error.cause
    return error


def data_quality_reports(instance: dg.DagsterInstance, run_id: str) -> list[FailureReport]:
    """Failed blocking ERROR check evaluations of the run, one report per check x partition."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    reports = []
    for record in records:
        entry = record.event_log_entry
        evaluation = entry.dagster_event.event_specific_data
        if (
            evaluation.passed
            or not evaluation.blocking
            or evaluation.severity != dg.AssetCheckSeverity.ERROR
        ):
            continue
        partition = evaluation.partition or ""
        reports.append(
            FailureReport(
                kind=DATA_QUALITY,
                step=entry.step_key or "(run)",
                error_class=evaluation.check_name,
                message=check_failure_message(
                    f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}",
                    partition or "(unpartitioned)",
                    holes_of(evaluation),
                    evaluation.description,
                    broken_of(evaluation),
                ),
                partition_key=partition,
            )
        )
    return reports


def failure_reports(context: dg.RunFailureSensorContext) -> list[FailureReport]:
    reports = data_quality_reports(context.instance, context.dagster_run.run_id)
    quality_steps = {r.step for r in reports}
    for event in context.get_step_failure_events():
        if event.step_key in quality_steps:
            continue  # the failed checks above are the story, not the step's stack trace
        error = _root(event.step_failure_data.error)
        reports.append(
            FailureReport(
                kind=ERROR,
                step=event.step_key or "(run)",
                error_class=(error.cls_name if error else None) or "Error",
                message=(error.message.strip() if error else event.message) or "",
            )
        )
    if not reports:  # failed outside any step: launch, worker crash, run monitoring
        data = context.failure_event.event_specific_data
        error = _root(getattr(data, "error", None))
        reports.append(
            FailureReport(
                kind=ERROR,
                step="(run)",
                error_class=(error.cls_name if error else None) or "RunFailure",
                message=(error.message.strip() if error else context.failure_event.message) or "",
            )
        )
    return reports


@dg.run_failure_sensor(
    name="pipeline_failure_sensor",
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records every failed run in pipeline_errors; alerts COINWATCH_ALERT_WEBHOOK.",
)
def pipeline_failure_sensor(
    context: dg.RunFailureSensorContext,
    database: DatabaseResource,
    alert_webhook: AlertWebhookResource,
) -> None:
    """Each failed run: its failures into pipeline_errors, then one webhook alert."""
    run = context.dagster_run
    reports = failure_reports(context)
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None else None
    failed_at = datetime.fromtimestamp(ended, tz=UTC) if ended else datetime.now(UTC)
    assets = run_assets(context.instance, run)
    partitions = run_partitions(dict(run.tags))
    # The resolved secrets this code location holds: never written, never sent (the values
    # registered with lib.secrets are removed too).
    secrets = [s for s in (database.url, alert_webhook.url) if s]
    registered.register_url(database.url)
    registered.register(alert_webhook.url)
    details = dict(
        run_id=run.run_id,
        job=run.job_name,
        assets=assets,
        partitions=partitions,
        failures=reports,
        failed_at=failed_at,
        secrets=secrets,
    )
    where = Slice("pipeline_errors", None, (Cell(equals=(("run_id", run.run_id),)),), run.run_id)
    database.storage().write(table_spec("pipeline_errors"), errors_frame(**details), where)
    context.log.info(f"pipeline_errors: {len(reports)} failure(s) of run {run.run_id}")
    if not alert_webhook.enabled:
        return
    try:
        attempts = alert_webhook.send(alert_payload(**details))
        context.log.info(f"alert sent for run {run.run_id} ({attempts} attempt(s))")
    except AlertError as exc:
        # Recorded above already; a dead receiver must not stall the monitor.
        context.log.warning(str(exc))
