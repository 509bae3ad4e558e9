"""great-expectations 1.x suites for the fundamentals tables, run on an ephemeral context.

`great_expectations` takes ~3 s to import: it is imported inside :func:`validate`, which only
the asset checks call, so loading the code location never pays for it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Expectation:
    """One expectation by its GX class name and keyword arguments."""

    kind: str
    kwargs: dict[str, Any]

    @property
    def label(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items() if k != "result_format")
        return f"{self.kind}({args})"


@dataclass
class Failure:
    expectation: str
    unexpected_count: int
    examples: list[dict[str, Any]] = field(default_factory=list)


def coin_metadata_suite() -> list[Expectation]:
    return [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "coin_id"}),
        Expectation("ExpectColumnValuesToBeUnique", {"column": "coin_id"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "name"}),
        Expectation(
            "ExpectColumnValuesToMatchRegex",
            {
                "column": "homepage",
                "regex": r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:[/?#]\S*)?$",
            },
        ),
    ]


def market_metrics_suite(start: datetime, end: datetime) -> list[Expectation]:
    """Prices and caps >= 0, rank >= 1 and unique per hour, supplies ordered, stamps in range.

    `end` is the last partition's end plus the grace a live snapshot is taken within.
    """
    return [
        Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": ["coin_id", "ts"]}),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "price", "min_value": 0}),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "market_cap", "min_value": 0}),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "total_volume", "min_value": 0}),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "market_cap_rank", "min_value": 1}),
        Expectation(
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["ts", "market_cap_rank"], "ignore_row_if": "any_value_is_missing"},
        ),
        Expectation(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "total_supply",
                "column_B": "circulating_supply",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Expectation(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "max_supply",
                "column_B": "total_supply",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Expectation(
            "ExpectColumnValuesToBeBetween",
            {"column": "last_updated", "min_value": start, "max_value": end},
        ),
    ]


def _for_gx(frame: pd.DataFrame) -> pd.DataFrame:
    # GX compares datetimes as Python objects: give it one tz-aware kind, and plain floats
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC")
        elif str(out[column].dtype) == "Int64":
            out[column] = out[column].astype("float64")
    return out.reset_index(drop=True)


def validate(
    frame: pd.DataFrame, suite: list[Expectation], name: str, id_columns: list[str]
) -> tuple[int, list[Failure]]:
    """Run `suite` on `frame`; (expectations evaluated, failures with counts and example rows)."""
    import great_expectations as gx  # lazily: ~3 s

    data = _for_gx(frame)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # no tqdm bars on a run's stderr
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(f"{name}_source")
    asset = source.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe(f"{name}_batch").get_batch(
        batch_parameters={"dataframe": data}
    )
    gx_suite = gx.ExpectationSuite(name=f"{name}_suite")
    for item in suite:
        expectation = getattr(gx.expectations, item.kind)(**item.kwargs, meta={"label": item.label})
        gx_suite.add_expectation(expectation)
    result = batch.validate(
        gx_suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": id_columns},
    )
    failures = []
    for outcome in result.results:  # not in the suite's order: each carries its label
        if outcome.success:
            continue
        label = (outcome.expectation_config.meta or {}).get("label", "?")
        details = outcome.result or {}
        indexes = details.get("unexpected_index_list") or []
        # each entry: the id columns and the offending values of one unexpected row
        examples = [
            {k: str(v) for k, v in i.items()} if isinstance(i, dict) else {"row": str(i)}
            for i in indexes[:MAX_EXAMPLES]
        ]
        failures.append(Failure(label, int(details.get("unexpected_count") or 0), examples))
    return len(suite), failures
