"""What a derived run recomputes: the days `ohlcv` wrote since each partition was derived.

Read from the instance in a few batched queries per run (never one per partition): the
latest materialization of each derived partition, then the `ohlcv` materializations of the
partitions it reads that came after it, each carrying the span its run fetched
(`FETCHED_FROM`, `FETCHED_TO`; see `coinwatch_assets.lib.market.touched`).
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date

import dagster as dg

from coinwatch_assets.defs.storage import FETCHED_FROM, FETCHED_TO
from coinwatch_assets.lib.market.grain import split_key
from coinwatch_assets.lib.market.touched import Window, derive_windows, touched_window

# Partition keys per instance query (SQLite caps bound parameters; Postgres plans stay short).
_CHUNK = 500
_PAGE = 1000


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _upstream_windows(
    instance: dg.DagsterInstance, upstream: dg.AssetKey, partitions: list[str], after: int
) -> dict[str, list[tuple[int, Window | None]]]:
    """(storage id, written window or None) of each materialization after `after`."""
    found: dict[str, list[tuple[int, Window | None]]] = defaultdict(list)
    for chunk in _chunks(partitions):
        cursor = None
        while True:
            result = instance.fetch_materializations(
                dg.AssetRecordsFilter(upstream, asset_partitions=chunk, after_storage_id=after),
                limit=_PAGE,
                cursor=cursor,
                ascending=True,
            )
            for record in result.records:
                event = record.asset_materialization
                if event is None or event.partition is None:
                    continue
                meta = {k: getattr(v, "value", v) for k, v in event.metadata.items()}
                window = touched_window(meta.get(FETCHED_FROM), meta.get(FETCHED_TO))
                found[event.partition].append((record.storage_id, window))
            if not result.has_more:
                break
            cursor = result.cursor
    return found


def windows_to_derive(
    instance: dg.DagsterInstance,
    derived: dg.AssetKey,
    upstream: dg.AssetKey,
    keys: list[str],
    reads: Callable[[str], list[str]],
    *,
    follow_days: int = 0,
    since: date | None = None,
) -> dict[str, list[Window]]:
    """Per derived partition key: the whole days of its month to recompute.

    `reads(key)`: the upstream partitions the key reads. A key never derived, or whose upstream
    wrote without recording its window, or with no upstream write since (a deliberate re-run):
    its whole month.
    """
    last = instance.get_latest_storage_id_by_partition(
        derived, dg.DagsterEventType.ASSET_MATERIALIZATION, set(keys)
    )
    known = [k for k in keys if k in last]
    written: dict[str, list[tuple[int, Window | None]]] = {}
    if known:
        partitions = sorted({p for k in known for p in reads(k)})
        written = _upstream_windows(instance, upstream, partitions, min(last[k] for k in known))
    out = {}
    for key in keys:
        month, _ = split_key(key)
        touched: list[Window] | None = None
        if key in last:
            since_then = [w for p in reads(key) for sid, w in written.get(p, []) if sid > last[key]]
            if since_then and all(w is not None for w in since_then):
                touched = [w for w in since_then if w is not None]
        out[key] = derive_windows(month, touched, follow_days=follow_days, since=since)
    return out
