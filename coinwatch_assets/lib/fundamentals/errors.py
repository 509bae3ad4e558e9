"""CoinGecko errors: each says what went wrong and how to fix it (never with the key)."""


class CoinGeckoError(Exception):
    """A CoinGecko call did not give a usable answer; nothing was written."""


class CoinGeckoConfigError(CoinGeckoError):
    """The key, plan or root URL is wrong: retrying cannot help, the settings must change."""


class CoinGeckoAnswerError(CoinGeckoError):
    """CoinGecko answered, but not with what was asked (a bad id, an error body)."""


class CoinGeckoBodyError(CoinGeckoError):
    """The answer's body is truncated, not UTF-8 or not the JSON shape expected."""


class CoinGeckoTransientError(CoinGeckoError):
    """429, 5xx, a timeout or a dropped connection: worth retrying."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CoinGeckoUnavailable(CoinGeckoError):
    """Retries are used up, or the circuit breaker is open: CoinGecko is not answering."""


FIXES = {
    10002: (
        "CoinGecko says the API key is missing or wrong (10002). Set COINGECKO_API_KEY to the "
        "key shown in your CoinGecko developer dashboard and COINGECKO_API_PLAN to its plan "
        "(demo or pro), or unset both to use the keyless public API."
    ),
    10005: (
        "CoinGecko says this endpoint is not in your plan (10005). Use an endpoint your plan "
        "includes, or upgrade the plan of COINGECKO_API_KEY."
    ),
    10010: (
        "CoinGecko says the key does not fit this root URL (10010: a Pro key needs the Pro "
        "root). Set COINGECKO_API_URL=https://pro-api.coingecko.com/api/v3 and "
        "COINGECKO_API_PLAN=pro."
    ),
    10011: (
        "CoinGecko says the key does not fit this root URL (10011: a Demo key needs the public "
        "root). Set COINGECKO_API_URL=https://api.coingecko.com/api/v3 and "
        "COINGECKO_API_PLAN=demo."
    ),
    1020: (
        "CoinGecko's CDN refused the request (error 1020, access denied by a firewall rule). "
        "This machine's IP or User-Agent is blocked: use a key (COINGECKO_API_KEY), another "
        "network, or ask CoinGecko support; retrying does not help."
    ),
}
