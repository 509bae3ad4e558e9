"""Settings fail when the code location loads, naming the variable and the fix, hiding secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coinwatch_assets.lib.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("env", "needles"),
    [
        ({"COINWATCH_START_DATE": "20240101"}, ["COINWATCH_START_DATE", "YYYY-MM-DD"]),
        ({"COINWATCH_START_DATE": "2024-1-1"}, ["COINWATCH_START_DATE", "YYYY-MM-DD"]),
        ({"COINWATCH_START_DATE": "2024-02-30"}, ["COINWATCH_START_DATE"]),
        ({"COINWATCH_EXCHANGE": "binanse"}, ["COINWATCH_EXCHANGE", "ccxt", "did you mean binance"]),
        ({"COINWATCH_EXCHANGE": "sample", "COINWATCH_SOURCE": "live"}, ["COINWATCH_SOURCE=live"]),
        ({"COINWATCH_CCXT_CONFIG": "[1, 2]"}, ["COINWATCH_CCXT_CONFIG", "JSON object", "list"]),
        ({"COINWATCH_CCXT_CONFIG": '"apiKey"'}, ["COINWATCH_CCXT_CONFIG", "JSON object"]),
        ({"COINWATCH_DATABASE_URL": "mysql://u@h/db"}, ["COINWATCH_DATABASE_URL", "'mysql'"]),
        ({"COINWATCH_DATABASE_URL": "localhost:5432"}, ["COINWATCH_DATABASE_URL", "://"]),
        ({"COINWATCH_DATABASE_URL": "sqlite://"}, ["COINWATCH_DATABASE_URL", "file path"]),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(env: dict, needles: list[str]) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    for needle in needles:
        assert needle in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:p@ss-SECRET@db.example/coinwatch",
        "postgresql+psycopg://app:half/SECRET@db.example:5432/coinwatch",
        "postgresql://app:SECRET@db.example:notaport/coinwatch",
    ],
)
def test_database_url_problems_never_show_the_password(url: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"COINWATCH_DATABASE_URL": url})
    text = str(err.value)
    assert "COINWATCH_DATABASE_URL" in text and "SECRET" not in text and "db.example" not in text
    if "notaport" not in url:
        assert "unescaped '@'" in text and "%40" in text


def test_ccxt_config_errors_never_quote_the_value() -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"COINWATCH_CCXT_CONFIG": '{"apiKey": "SECRET", "secret": '})
    assert "not valid JSON" in str(err.value) and "SECRET" not in str(err.value)


def test_good_values_pass_and_secrets_are_not_kept() -> None:
    s = Settings.from_env(
        {
            "COINWATCH_EXCHANGE": "kraken",
            "COINWATCH_START_DATE": "2023-06-01",
            "COINWATCH_CCXT_CONFIG": '{"apiKey": "SECRET"}',
            "COINWATCH_DATABASE_URL": "postgresql://app:p%40ss-SECRET@db.example:5432/coinwatch",
        }
    )
    assert (s.exchange, s.start_date, s.source) == ("kraken", "2023-06-01", "live")
    assert "SECRET" not in repr(s)
    assert Settings.from_env({"COINWATCH_EXCHANGE": "sample"}).exchange_label == "sample"
    assert Settings.from_env({"COINWATCH_DATABASE_URL": "sqlite:///data/x.sqlite"})


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("COINWATCH_START_DATE", "20240101", "COINWATCH_START_DATE must be a date written"),
        ("COINWATCH_DATABASE_URL", "postgresql://u:p@ss-SECRET@h/db", "Percent-encode"),
        ("COINWATCH_CCXT_CONFIG", "[]", "COINWATCH_CCXT_CONFIG must be a JSON object"),
    ],
)
def test_loading_the_code_location_fails(variable: str, value: str, needle: str) -> None:
    env = {**os.environ, variable: value}
    proc = subprocess.run(
        [sys.executable, "-c", "import coinwatch_assets.definitions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert needle in proc.stderr and "SECRET" not in proc.stderr
