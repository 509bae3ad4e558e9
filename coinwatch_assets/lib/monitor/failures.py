"""What a failed run reports: rows of `pipeline_errors` and the JSON alert, secrets removed.

A failed blocking data-quality check is reported as such (the check, the partition, its
holes), not as the stack trace of the step that raised it.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from coinwatch_assets.lib import secrets as registered

DATA_QUALITY = "data_quality"
ERROR = "error"
MAX_MESSAGE = 2000
MAX_KEYS = 20

# user:password@ in any URL (database URLs in driver errors, proxies in ccxt configs).
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^@\s/]*@")
# key=value / "key": "value" pairs whose name says secret.
_SECRET_PAIR = re.compile(
    r"(?P<name>(?:api[_-]?key|apikey|secret|password|passwd|token|auth\w*)[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<value>[^\"'\s,}&]+)",
    re.IGNORECASE,
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the registered secrets (lib.secrets), the given secret values, URL
    credentials and secret-looking pairs."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = registered.redact(text)
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    return _SECRET_PAIR.sub(r"\g<name>***", text)


@dataclass(frozen=True)
class FailureReport:
    """One failure of a run: a failed step, a failed blocking check on a partition, or the run."""

    kind: str  # DATA_QUALITY | ERROR
    step: str  # step key, or "(run)" when the run failed outside any step
    error_class: str  # exception class, or the check name for data-quality failures
    message: str
    partition_key: str = ""


def hole_span(hole: dict[str, object]) -> str:
    """'2024-03-01 02:00-02:10 UTC (3 candles, missed)' from a `holes_json` entry."""
    start = pd.Timestamp(str(hole["gap_start"]))
    end = pd.Timestamp(str(hole["gap_end"]))
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return (
        f"{start:%Y-%m-%d %H:%M}-{end_text} UTC "
        f"({hole['missing_candles']} candle(s), {hole['reason']})"
    )


def check_failure_message(
    check: str,
    partition: str,
    holes: Sequence[dict[str, object]],
    description: str | None,
    broken: dict[str, list[str]] | None = None,
) -> str:
    """The one-line story of a failed check on one partition: its holes and broken days."""
    text = f"{check} failed on {partition}"
    if holes:
        spans = ", ".join(hole_span(h) for h in holes[:5])
        more = f" and {len(holes) - 5} more" if len(holes) > 5 else ""
        text = f"{text}: {len(holes)} hole(s): {spans}{more}"
        return f"{text}; {broken_text(broken)}" if broken else text
    return f"{text}: {description}" if description else text


def broken_text(broken: dict[str, list[str]]) -> str:
    """`broken: rule, rule on 2024-01-02, 2024-01-05`: the broken rules and their days."""
    rules = sorted({rule for day_rules in broken.values() for rule in day_rules})
    days = sorted(broken)
    more = f" and {len(days) - 5} more day(s)" if len(days) > 5 else ""
    return f"broken: {', '.join(rules)} on {', '.join(days[:5])}{more}"


def keys_text(keys: Sequence[str]) -> str:
    """Partition or asset keys for one column: all of them, or the first ones and a count."""
    if len(keys) <= MAX_KEYS:
        return ", ".join(keys)
    return ", ".join(keys[:MAX_KEYS]) + f" ... ({len(keys)} in all)"


def errors_frame(
    *,
    run_id: str,
    job: str,
    assets: Sequence[str],
    partitions: Sequence[str],
    failures: Sequence[FailureReport],
    failed_at: datetime,
    secrets: Iterable[str] = (),
) -> pd.DataFrame:
    """The `pipeline_errors` rows of one failed run (one per failure), messages redacted."""
    secrets = list(secrets)
    return pd.DataFrame(
        {
            "run_id": run_id,
            "seq": list(range(len(failures))),
            "failed_at": pd.Timestamp(failed_at).tz_convert("UTC"),
            "job": job,
            "kind": [f.kind for f in failures],
            "step": [f.step for f in failures],
            "asset_keys": keys_text(list(assets)),
            "partition_keys": [f.partition_key or keys_text(list(partitions)) for f in failures],
            "error_class": [f.error_class for f in failures],
            "message": [redact(f.message, secrets)[:MAX_MESSAGE] for f in failures],
        },
        index=range(len(failures)),
    )


def alert_payload(
    *,
    run_id: str,
    job: str,
    assets: Sequence[str],
    partitions: Sequence[str],
    failures: Sequence[FailureReport],
    failed_at: datetime,
    secrets: Iterable[str] = (),
) -> dict[str, object]:
    """The JSON body POSTed to COINWATCH_ALERT_WEBHOOK (no stack traces, no secrets)."""
    secrets = list(secrets)
    kind = DATA_QUALITY if failures and all(f.kind == DATA_QUALITY for f in failures) else ERROR
    headline = (
        f"coinwatch: data-quality checks failed in run {run_id[:8]} ({job})"
        if kind == DATA_QUALITY
        else f"coinwatch: run {run_id[:8]} ({job}) failed"
    )
    return {
        "source": "coinwatch",
        "kind": kind,
        "text": headline,
        "run_id": run_id,
        "job": job,
        "assets": list(assets),
        "partitions": list(partitions)[:MAX_KEYS],
        "partition_count": len(partitions),
        "failed_at": pd.Timestamp(failed_at).tz_convert("UTC").isoformat(),
        "failures": [
            {
                "kind": f.kind,
                "step": f.step,
                "error_class": f.error_class,
                "partition_key": f.partition_key,
                "message": redact(f.message, secrets)[:MAX_MESSAGE],
            }
            for f in failures
        ],
    }
