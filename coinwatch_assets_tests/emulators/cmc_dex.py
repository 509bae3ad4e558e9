"""CoinMarketCap DEX `/v4/dex/spot-pairs/latest` answers for the CMC emulator.

NO REAL CAPTURE of this endpoint exists (../shared/data/README.md says so): these bodies are
built from the field names and types of CMC's DEX API documentation (pairs with
`contract_address`, `network_slug`, `dex_slug`, `base_asset_symbol`, `quote_asset_symbol`,
`last_updated` and a `quote` list of {convert_id, price, volume_24h, liquidity,
percent_change_price_24h, last_updated}); the values are invented.
"""

from typing import Any

# network -> pairs (dex, base, quote, price in USD, liquidity in USD)
PAIRS = {
    "ethereum": [
        ("uniswap-v3", "WETH", "USDC", 3500.0, 250e6),
        ("uniswap-v2", "PEPE", "WETH", 0.0000085, 40e6),
        ("sushiswap", "LINK", "WETH", 14.2, 8e6),
    ],
    "solana": [("raydium", "SOL", "USDC", 150.0, 90e6), ("orca", "BONK", "SOL", 0.00002, 12e6)],
}


def spot_pairs(network: str, limit: int, updated: str) -> list[dict[str, Any]]:
    pairs = []
    for i, (dex, base, quote, price, liquidity) in enumerate(PAIRS.get(network, [])[:limit]):
        pairs.append(
            {
                "contract_address": f"0x{network[:3]}{i:037x}",
                "name": f"{base}/{quote}",
                "base_asset_symbol": base,
                "quote_asset_symbol": quote,
                "network_id": str(len(network)),
                "network_slug": network,
                "dex_id": str(i + 1),
                "dex_slug": dex,
                "last_updated": updated,
                "quote": [
                    {
                        "convert_id": "2781",
                        "price": price,
                        "volume_24h": liquidity / 5,
                        "liquidity": liquidity,
                        "percent_change_price_24h": 1.25 - i,
                        "last_updated": updated,
                    }
                ],
            }
        )
    return pairs
