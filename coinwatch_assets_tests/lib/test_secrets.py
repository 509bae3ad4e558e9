"""The secrets registry: values registered from the environment are redacted by value."""

import logging

import pytest

from coinwatch_assets.lib import secrets


def test_the_environments_secrets_are_registered_and_redacted_by_value() -> None:
    env = {
        "COINGECKO_API_KEY": "CG-env-key-3b1f",
        "COINWATCH_ALERT_WEBHOOK": "https://hooks.example.com/T0/B0/hook-tok3n",
        "COINWATCH_DATABASE_URL": "postgresql+psycopg://app:db-pa55@db:5432/coinwatch",
        "COINWATCH_FEEDS": "https://u:feed-pa55@news.example.com/rss,https://x.io/f?token=ft0k3n",
        "COINWATCH_CCXT_CONFIG": '{"apiKey": "ccxt-k3y", "secret": "ccxt-s3cret",'
        ' "options": {"password": "ccxt-pa55"}, "httpProxy": "http://p:proxy-pa55@proxy:3128"}',
        "KRAKEN_CCXT": '{"apiKey": "kraken-k3y"}',
    }
    secrets.register_environment(["KRAKEN_CCXT"], environ=env)
    text = (
        "400: key CG-env-key-3b1f; POST https://hooks.example.com/T0/B0/hook-tok3n failed; "
        "db-pa55 feed-pa55 ft0k3n ccxt-k3y ccxt-s3cret ccxt-pa55 proxy-pa55 kraken-k3y"
    )
    clean = secrets.redact(text)
    for value in ("CG-env-key-3b1f", "hook-tok3n", "db-pa55", "feed-pa55", "ft0k3n", "ccxt-k3y",
                  "ccxt-s3cret", "ccxt-pa55", "proxy-pa55", "kraken-k3y"):  # fmt: skip
        assert value not in clean
    assert clean.startswith("400: key ***; POST *** failed; ***")
    assert secrets.redact("nothing secret here") == "nothing secret here"


def test_an_exception_chain_is_scrubbed_in_place() -> None:
    secrets.register("chain-s3cret-value")
    try:
        try:
            raise ValueError("body: chain-s3cret-value")
        except ValueError as inner:
            raise RuntimeError("wrapped chain-s3cret-value", {"k": "chain-s3cret-value"}) from inner
    except RuntimeError as outer:
        secrets.scrub(outer)
        assert outer.args == ("wrapped ***", {"k": "***"})
        assert str(outer.__cause__) == "body: ***"


def test_every_log_record_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    secrets.register("log-s3cret-value")
    secrets.install_log_redaction()
    secrets.install_log_redaction()  # once per process
    with caplog.at_level(logging.INFO):
        logging.getLogger("ccxt.base").warning("GET /x?apiKey=%s failed", "log-s3cret-value")
        logging.getLogger("tenacity").info("retrying: log-s3cret-value")
    assert "log-s3cret-value" not in caplog.text
    assert caplog.text.count("***") == 2
