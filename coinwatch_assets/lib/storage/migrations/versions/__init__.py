"""Schema revisions, oldest first by number; Alembic skips this file."""
