"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

A new time-series table: after op.create_table(...), call
create_hypertable("<table>", "<time column>", timedelta(days=N)) and give the table's TableSpec
the same chunk_interval (coinwatch_assets_tests/lib/storage/test_migrations.py checks both).
"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
from coinwatch_assets.lib.storage.hypertables import create_hypertable  # noqa: F401

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
