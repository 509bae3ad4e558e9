"""The run-failure monitor's definitions: pipeline_errors rows and the optional webhook."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.monitor.failure_sensor import pipeline_failure_sensor
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets.defs.resource_defaults import with_defaults
from coinwatch_assets.defs.shared import env_or_none
from coinwatch_assets.lib import secrets
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """The failure sensor and its alert webhook (`COINWATCH_ALERT_WEBHOOK`); the secrets of
    the environment are registered and every log record of the process is redacted."""
    secrets.register_environment(v.ccxt_config_env for v in venues if v.ccxt_config_env)
    secrets.install_log_redaction()
    return dg.Definitions(
        sensors=[pipeline_failure_sensor],
        resources={
            "alert_webhook": with_defaults(
                AlertWebhookResource,
                {"url": env_or_none("COINWATCH_ALERT_WEBHOOK")},
                "EnvAlertWebhookResource",
                "The alert webhook of the environment (COINWATCH_ALERT_WEBHOOK).",
            )
        },
    )
