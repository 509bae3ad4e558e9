"""CoinMarketCap errors and CMC's error codes, each with its fix (never with the key)."""


class CmcError(Exception):
    """A CoinMarketCap call did not give a usable answer; nothing was written."""


class CmcConfigError(CmcError):
    """The key or the plan is wrong: retrying cannot help, the settings must change."""


class CmcAnswerError(CmcError):
    """CoinMarketCap answered, but not with what was asked (a bad parameter or id)."""


class CmcBodyError(CmcError):
    """The answer's body is not JSON of the expected shape."""


class CmcTransientError(CmcError):
    """5xx, a timeout, a dropped connection, or the per-minute limit: worth retrying."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CmcLimitError(CmcError):
    """The daily or monthly credit limit is used up: no retry in this run can succeed."""


class CmcUnavailable(CmcError):
    """Retries are used up: CoinMarketCap is not answering."""


class CmcAllowanceExhausted(CmcError):
    """The month's credits in the ledger would exceed COINMARKETCAP_MONTHLY_CREDITS."""


_KEY = "COINMARKETCAP_API_KEY"
# code -> (error class, fix); from CMC's error table (pro.coinmarketcap.com, "Errors and
# rate limits"). 1008 and 1011 clear within a minute, so they are retried; 1009 clears at the
# next UTC day and 1010 next month, so a retry within the run cannot succeed.
CODES: dict[int, tuple[type[CmcError], str]] = {
    1001: (CmcConfigError, f"the API key is invalid (1001): set {_KEY} to the key of your "
           "CoinMarketCap developer portal"),
    1002: (CmcConfigError, f"the API key is missing (1002): set {_KEY}"),
    1003: (CmcConfigError, "the key's plan is not activated (1003): activate it in the "
           "CoinMarketCap developer portal"),
    1004: (CmcConfigError, "the key's subscription has expired (1004): renew the plan"),
    1005: (CmcConfigError, f"this endpoint requires a key (1005): set {_KEY}"),
    1006: (CmcConfigError, "the key's plan does not include this endpoint (1006): upgrade the "
           "plan, or leave this asset unmaterialized"),
    1007: (CmcConfigError, "the key is disabled (1007): contact CoinMarketCap support"),
    1008: (CmcTransientError, "the plan's per-minute limit is reached (1008): retried after the "
           "minute; lower COINMARKETCAP_CALLS_PER_MINUTE to the plan's limit"),
    1009: (CmcLimitError, "the plan's daily credit limit is used up (1009): it resets at 00:00 "
           "UTC; no retry today can succeed"),
    1010: (CmcLimitError, "the plan's monthly credit limit is used up (1010): no call succeeds "
           "before next month; lower COINMARKETCAP_MONTHLY_CREDITS to stop earlier"),
    1011: (CmcTransientError, "this IP's per-minute limit is reached (1011): retried after the "
           "minute; run fewer CoinMarketCap calls at once"),
}  # fmt: skip
