"""coinwatch's Alembic environment (env.py, versions/): run through lib/storage/schema.py."""
