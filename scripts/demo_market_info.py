"""The demo's second fundamentals part: offline CoinMarketCap beside CoinGecko, CMC DEX pairs,
CoinGecko trending and exchanges (all from the `sample` source, no network, no credits)."""

from datetime import UTC, datetime, timedelta

HOURLY = "%Y-%m-%d-%H:%M"


def run_market_info(dg, job, instance, database, quiet) -> bool:
    """The last closed hour from both providers and the cross-provider check; CMC metadata of
    this week; the current DEX slot, trending hour and exchanges day."""
    from coinwatch_assets.defs.fundamentals.cmc_dex import dex_pairs_partitions
    from coinwatch_assets.defs.fundamentals.partitions import coin_metadata_partitions

    now = datetime.now(UTC)
    hour = (now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)).strftime(HOURLY)
    slot = dex_pairs_partitions.get_partition_key_for_timestamp(now.timestamp())
    runs = [
        (["cmc_ids"], None),
        (["market_metrics", "coinmarketcap/market_metrics"], hour),
        (["cmc_metadata"], coin_metadata_partitions.get_last_partition_key()),
        (["dex_pairs"], slot),
        (["coingecko_trending"], now.strftime("%Y-%m-%d-%H:00")),
        (["coingecko_exchanges"], now.strftime("%Y-%m-%d")),
    ]
    results = []
    for keys, partition in runs:
        for key in keys:  # one run per asset: their partitions differ in name only
            results.append(
                job.execute_in_process(
                    instance=instance,
                    asset_selection=[dg.AssetKey.from_user_string(key)],
                    partition_key=partition,
                    run_config=quiet,
                    raise_on_error=False,
                )
            )
    metrics = database.read("market_metrics")
    latest = metrics[metrics["ts"] == metrics["ts"].max()]
    print("\nfundamentals II (sample CoinMarketCap, CMC DEX, CoinGecko trending/exchanges):")
    ids = database.read("cmc_ids")
    print(f"cmc_ids: {ids['cmc_id'].notna().sum()} of {len(ids)} tickers mapped")
    for provider, rows in latest.groupby("provider"):
        print(f"market_metrics {hour} from {provider}: {len(rows)} rows")
    for table in ("cmc_metadata", "dex_pairs", "coingecko_trending", "coingecko_exchanges"):
        print(f"{table}: {len(database.read(table))} rows")
    print_checks(results)
    return all(r.success for r in results)


def print_checks(results) -> None:
    for result in results:
        for check in result.get_asset_check_evaluations():
            verdict = "passed" if check.passed else f"failed ({check.severity.value})"
            print(f"{check.check_name}: {verdict}")
