"""News: feed URLs are stored with credentials redacted; a feed status may be `empty`

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:55:00.000000

Column comments only (PostgreSQL keeps them, SQLite has none). Rows stored before this revision
keep the feed URL they were written with: a URL that held credentials shows them until those
rows are deleted by hand (see README, News).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_FEED = ("feed URL, credentials redacted", {"news_articles": "feed URL", "news_feed_status": None})
_STATUS = ("ok | not_modified | empty | error", "ok | not_modified | error")


def _comments(forward: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    new_feed, old_feeds = _FEED
    for table, old in old_feeds.items():
        op.alter_column(
            table,
            "feed",
            existing_type=sa.Text(),
            existing_nullable=False,
            comment=new_feed if forward else old,
            existing_comment=old if forward else new_feed,
        )
    new_status, old_status = _STATUS
    op.alter_column(
        "news_feed_status",
        "status",
        existing_type=sa.Text(),
        existing_nullable=False,
        comment=new_status if forward else old_status,
        existing_comment=old_status if forward else new_status,
    )


def upgrade() -> None:
    _comments(forward=True)


def downgrade() -> None:
    _comments(forward=False)
