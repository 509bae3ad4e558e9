"""Tests of the OHLCV quality checks, the gap registry and the repair sensor."""
