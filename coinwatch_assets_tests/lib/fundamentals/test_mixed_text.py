"""The recorded /search/trending body is not UTF-8: strict decoding refuses, repair reads it."""

import json

import pytest

from coinwatch_assets.lib.fundamentals.mixed_text import decode_mixed
from coinwatch_assets_tests.emulators.coingecko_bodies import recorded_non_utf8_body


def test_stray_latin1_bytes_are_read_as_cp1252_and_counted():
    raw = recorded_non_utf8_body()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text, repaired = decode_mixed(raw)
    # three Latin-1 no-break spaces (0xA0) and a cp1252 apostrophe (0x92)
    assert repaired == 4
    assert "central bank or a company.\u00a0The decentralized" in text
    assert "Solana doesn\u2019t" in text
    assert len(json.loads(text)["coins"]) == 15


def test_valid_utf8_is_untouched():
    assert decode_mixed("Ünïcode €".encode()) == ("Ünïcode €", 0)
