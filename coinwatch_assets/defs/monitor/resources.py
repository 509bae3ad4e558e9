"""Where run-failure alerts go: an optional JSON webhook (COINWATCH_ALERT_WEBHOOK)."""

import dagster as dg

from coinwatch_assets.lib.monitor.alerts import post_alert


class AlertWebhookResource(dg.ConfigurableResource):
    """POSTs JSON alerts to `url` when it is set (pass it as dg.EnvVar: it may hold a token)."""

    url: str | None = None
    # Bounded retries with exponential backoff: a flaky receiver gets a few chances, a dead
    # one does not hold the sensor for long.
    attempts: int = 4
    base_delay_seconds: float = 0.5
    timeout_seconds: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def send(self, payload: dict[str, object]) -> int:
        """Attempts used; raises AlertError when every attempt failed."""
        return post_alert(
            str(self.url),
            payload,
            attempts=self.attempts,
            base_delay=self.base_delay_seconds,
            timeout=self.timeout_seconds,
        )
