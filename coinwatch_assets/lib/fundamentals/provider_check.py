"""CoinMarketCap against CoinGecko: price and market cap of the same ticker and hour."""

from dataclasses import dataclass, field

import pandas as pd

MEASURES = ("price", "market_cap")


@dataclass
class ProviderDivergence:
    compared: int
    divergent: dict[str, int]
    only_one_provider: int
    examples: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(self.divergent.values())


def provider_divergences(
    metrics: pd.DataFrame, tolerances: dict[str, float], limit: int = 20
) -> ProviderDivergence:
    """Pairs (ticker, hour) both providers describe whose |cmc / coingecko - 1| of a measure
    exceeds its tolerance; market caps differ more (each provider counts its own supply)."""
    rows = metrics.assign(ticker=metrics["symbol"].str.upper(), ts=pd.to_datetime(metrics["ts"]))
    gecko = rows[rows["provider"] == "coingecko"]
    cmc = rows[rows["provider"] == "coinmarketcap"]
    keys = ["ticker", "ts"]
    joined = gecko.merge(cmc, on=keys, how="outer", suffixes=("_cg", "_cmc"), indicator=True)
    both = joined[joined["_merge"] == "both"]
    divergent, examples = {}, []
    for measure in MEASURES:
        a, b = both[f"{measure}_cmc"].astype(float), both[f"{measure}_cg"].astype(float)
        usable = a.notna() & b.notna() & (b > 0)
        gap = (a[usable] / b[usable] - 1).abs()
        bad = gap[gap > tolerances[measure]]
        divergent[measure] = len(bad)
        for i in bad.sort_values(ascending=False).index[:limit]:
            examples.append(
                {
                    "ticker": both.at[i, "ticker"],
                    "hour": both.at[i, "ts"].isoformat(),
                    "measure": measure,
                    "coingecko": float(b[i]),
                    "coinmarketcap": float(a[i]),
                    "relative_gap": round(float(gap[i]), 4),
                }
            )
    return ProviderDivergence(
        compared=len(both),
        divergent=divergent,
        only_one_provider=int((joined["_merge"] != "both").sum()),
        examples=examples[:limit],
    )
