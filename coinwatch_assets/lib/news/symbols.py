"""Which coins an article is about: word-boundary matching of tickers, names and aliases.

"ETH" must not match "ETHICS", "SOL" not "solution", and "Ethereum" matches ETH. Tickers are
matched in capitals (or with a `$` cashtag in any case) because several are ordinary words in
lower case ("link", "dot", "near", "uni"); names match in any case, except names that are also
ordinary words, which must be capitalised ("Avalanche", "Polygon", "Cosmos").
"""

import re
from collections.abc import Iterable

# Coin ticker -> names and aliases (general knowledge of the largest coins).
COIN_NAMES: dict[str, tuple[str, ...]] = {
    "BTC": ("bitcoin", "bitcoins", "XBT"),
    "ETH": ("ethereum", "ether"),
    "SOL": ("solana",),
    "XRP": ("ripple",),
    "DOGE": ("dogecoin",),
    "ADA": ("cardano",),
    "BNB": ("binance coin", "BNB chain", "BNB smart chain"),
    "DOT": ("polkadot",),
    "AVAX": ("Avalanche",),
    "POL": ("Polygon", "MATIC"),
    "MATIC": ("Polygon",),
    "LTC": ("litecoin",),
    "LINK": ("chainlink",),
    "TRX": ("tron",),
    "SHIB": ("shiba inu",),
    "USDT": ("tether",),
    "USDC": ("usd coin",),
    "XLM": ("stellar lumens", "Stellar"),
    "ATOM": ("Cosmos",),
    "UNI": ("uniswap",),
    "TON": ("toncoin",),
    "NEAR": ("near protocol",),
    "BCH": ("bitcoin cash",),
    "ETC": ("ethereum classic",),
    "XMR": ("monero",),
    "FIL": ("filecoin",),
    "APT": ("aptos",),
    "ARB": ("arbitrum",),
    "OP": ("optimism",),
    "SUI": ("Sui",),
    "PEPE": ("pepe",),
}
# Names that are common words when lower-cased: only their capitalised form counts.
_CASE_SENSITIVE = {"Avalanche", "Polygon", "Cosmos", "Stellar", "Sui", "MATIC", "XBT"}
# Longer names that contain a shorter coin's name: "Bitcoin Cash" is BCH, not BTC.
_SHADOWS = {"BTC": ("bitcoin cash",), "ETH": ("ethereum classic",)}

CRYPTO_WORDS = re.compile(
    r"\b(?:crypto\w*|blockchain\w*|bitcoin\w*|ethereum|defi|nfts?|stablecoins?|tokens?|web3"
    r"|altcoins?|memecoins?|cbdcs?|dao|dapps?|mining|miners?|wallets?|exchange|satoshi"
    r"|layer[- ]?[12]|smart contracts?|airdrops?|staking|hash ?rate|halving)\b",
    re.IGNORECASE,
)


def _pattern(term: str, case_sensitive: bool) -> re.Pattern[str]:
    # Letters/digits on either side break the match ("ETHICS", "solution"); hyphens and
    # possessives do not ("ETH-based", "Solana's").
    body = r"\s+".join(re.escape(part) for part in term.split())
    return re.compile(rf"(?<![\w$]){body}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


class SymbolMatcher:
    """Matches text against tracked coins (tickers like "BTC")."""

    def __init__(self, coins: Iterable[str]) -> None:
        self.coins = sorted({c.upper() for c in coins})
        self._patterns: dict[str, list[re.Pattern[str]]] = {}
        for coin in self.coins:
            patterns = [
                _pattern(coin, case_sensitive=True),
                re.compile(rf"\${re.escape(coin)}(?!\w)", re.IGNORECASE),
            ]
            for name in COIN_NAMES.get(coin, ()):
                patterns.append(_pattern(name, case_sensitive=name in _CASE_SENSITIVE))
            self._patterns[coin] = patterns
        self._shadows = {c: [_pattern(s, False) for s in _SHADOWS.get(c, ())] for c in self.coins}

    def match(self, text: str) -> list[str]:
        """Tracked coins the text names, sorted."""
        found = []
        for coin, patterns in self._patterns.items():
            masked = text
            for shadow in self._shadows[coin]:
                masked = shadow.sub(" ", masked)
            if any(p.search(masked) for p in patterns):
                found.append(coin)
        return found

    def is_crypto(self, text: str) -> bool:
        """Whether the text is about crypto at all (a tracked coin or a crypto term)."""
        return bool(self.match(text)) or CRYPTO_WORDS.search(text) is not None


def coins_of(symbols: Iterable[str]) -> list[str]:
    """Base coins of ccxt symbols ("BTC/USDT" -> "BTC")."""
    return sorted({s.split("/")[0].upper() for s in symbols if s})
