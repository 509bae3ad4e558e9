"""`news_feed_status`: each feed's last answer, written by every poll and news run."""

from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.news.status import record_status


def record_feed_status(database: DatabaseResource, rows: list[dict[str, object]]) -> None:
    """Merges the status of the feeds in `rows` (one atomic upsert); other feeds' rows stay."""
    record_status(database.storage(), rows)
