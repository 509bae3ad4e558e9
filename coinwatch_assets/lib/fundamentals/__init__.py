"""CoinGecko fundamentals: the httpx client, answer parsing, ticker mapping, GX suites."""
