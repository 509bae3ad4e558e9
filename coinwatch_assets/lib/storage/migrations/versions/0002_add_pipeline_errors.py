"""add pipeline_errors

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:16:38.521836

pipeline_errors: one row per failure of a run, written by pipeline_failure_sensor (issue 12).
A plain table, not a hypertable: a few rows per failed run, read newest first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_errors",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="failure number within the run"),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), nullable=False, comment="when the run failed"
        ),
        sa.Column("job", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="data_quality | error"),
        sa.Column("step", sa.Text(), nullable=False, comment="step key, or (run)"),
        sa.Column("asset_keys", sa.Text(), nullable=False),
        sa.Column("partition_keys", sa.Text(), nullable=False),
        sa.Column(
            "error_class", sa.Text(), nullable=False, comment="exception class or check name"
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("pipeline_errors")
