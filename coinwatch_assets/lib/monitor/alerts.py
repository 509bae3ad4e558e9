"""POST a JSON alert to a webhook, retried a bounded number of times (tenacity)."""

import httpx
import tenacity


class AlertError(Exception):
    """The webhook did not accept the alert after every attempt."""


def _retryable(exc: BaseException) -> bool:
    # Network trouble and server-side errors (incl. 429) may pass; a 4xx will not.
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status == 429
    return isinstance(exc, httpx.TransportError)


def post_alert(
    url: str,
    payload: dict[str, object],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    timeout: float = 10.0,
) -> int:
    """POST `payload` as JSON; returns the attempts used. Raises AlertError naming the host
    (never the full URL: webhook URLs often carry a token in their path)."""
    host = httpx.URL(url).host
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=base_delay, max=max_delay),
        retry=tenacity.retry_if_exception(_retryable),
        reraise=True,
    )
    try:
        with httpx.Client(timeout=timeout) as client:
            for attempt in retrying:
                with attempt:
                    client.post(url, json=payload).raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise AlertError(
            f"alert webhook on {host} answered HTTP {exc.response.status_code} "
            f"after {retrying.statistics.get('attempt_number', 1)} attempt(s)"
        ) from None
    except httpx.TransportError as exc:
        raise AlertError(
            f"alert webhook on {host} unreachable after "
            f"{retrying.statistics.get('attempt_number', 1)} attempt(s): {type(exc).__name__}"
        ) from None
    return int(retrying.statistics.get("attempt_number", 1))
