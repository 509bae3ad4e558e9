"""DEX pairs answers -> rows: documented shape, refusals (no real capture exists)."""

from datetime import UTC, datetime

import pytest

from coinwatch_assets.lib.fundamentals.cmc_dex import dex_rows
from coinwatch_assets.lib.fundamentals.cmc_errors import CmcBodyError
from coinwatch_assets_tests.emulators.cmc_dex import spot_pairs

SLOT = datetime(2026, 12, 4, 15, 5, tzinfo=UTC)


def test_pairs_become_rows_with_usd_values():
    rows = dex_rows(spot_pairs("solana", 10, "2026-12-04T15:04:00.000Z"), "solana", SLOT)
    assert rows[["dex", "base_symbol", "quote_symbol", "price"]].values.tolist() == [
        ["raydium", "SOL", "USDC", 150.0],
        ["orca", "BONK", "SOL", 0.00002],
    ]
    assert (rows["ts"] == SLOT).all() and rows["last_updated"].notna().all()


def test_a_pair_of_another_network_is_refused():
    with pytest.raises(CmcBodyError, match="network 'solana', which was not asked for"):
        dex_rows(spot_pairs("solana", 10, "2026-12-04T15:04:00.000Z"), "ethereum", SLOT)


def test_a_bad_price_is_null_and_a_repeated_pair_is_kept_once():
    pairs = spot_pairs("ethereum", 10, "2026-12-04T15:04:00.000Z")
    pairs[0]["quote"][0]["price"] = -1
    pairs.append(dict(pairs[1]))
    rows = dex_rows(pairs, "ethereum", SLOT)
    assert len(rows) == 3 and rows["price"].isna().tolist() == [True, False, False]
