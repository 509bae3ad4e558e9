"""`news_feed_status`: each feed's last answer, written by every poll and news run."""

import pandas as pd

from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.news.poll import merge_status
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec


def record_feed_status(database: DatabaseResource, rows: list[dict[str, object]]) -> None:
    """Replaces the status of the feeds in `rows`, keeping other feeds' rows."""
    if not rows:
        return
    spec = table_spec("news_feed_status")
    previous = database.read("news_feed_status")
    merged = merge_status(previous.to_dict("records"), rows)
    polled = {r["feed"] for r in merged}
    others = previous[~previous["feed"].isin(polled)]
    frame = pd.concat([others, pd.DataFrame(merged, columns=list(previous.columns))])
    database.storage().write(spec, frame, Slice.whole_table(spec.name))
