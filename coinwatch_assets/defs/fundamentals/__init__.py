"""Dagster definitions of the fundamentals domain (CoinGecko)."""
