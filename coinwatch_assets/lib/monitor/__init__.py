"""Run-failure reports: plain Python (no Dagster), used by defs/monitor."""
