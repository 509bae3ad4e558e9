"""The CoinMarketCap credit ledger: credits spent per UTC month, kept in the database.

Every CMC answer says what it cost (`status.credit_count`); the client adds it here, in one
atomic `INSERT ... ON CONFLICT DO UPDATE`, so every process and every restart sees one total.
A call whose estimated cost would take the month past the allowance is refused before it is
sent. Two processes checking at the same moment may each pass: the overshoot is bounded by the
calls in flight, and the next check sees both.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coinwatch_assets.lib.fundamentals.cmc_errors import CmcAllowanceExhausted
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import cmc_credit_ledger

ALLOWANCE_SETTING = "COINMARKETCAP_MONTHLY_CREDITS"


def month_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m")


@dataclass
class CreditLedger:
    """Credits of the month in `storage`'s `cmc_credit_ledger`, against `allowance`."""

    storage: Storage
    allowance: int = 10_000

    def used(self, month: str) -> int:
        self.storage.ensure_schema()
        stmt = sa.select(cmc_credit_ledger.c.credits).where(cmc_credit_ledger.c.month == month)
        with self.storage.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def check(self, credits: int, now: datetime | None = None) -> int:
        """The month's credits used so far; refuses when `credits` more would exceed it."""
        month = month_of(now or datetime.now(UTC))
        used = self.used(month)
        if used + credits > self.allowance:
            raise CmcAllowanceExhausted(
                f"CoinMarketCap credits for {month}: {used} used (table cmc_credit_ledger), "
                f"this needs about {credits} more, the allowance is {self.allowance} "
                f"({ALLOWANCE_SETTING}). Nothing was called or written; raise "
                f"{ALLOWANCE_SETTING} if your plan allows more, or wait for next month."
            )
        return used

    def add(self, credits: int, now: datetime | None = None) -> None:
        """Count one answer that cost `credits` (0 for a free error answer still counts a call)."""
        when = now or datetime.now(UTC)
        self.storage.ensure_schema()
        insert = pg_insert if self.storage.backend == "timescaledb" else sqlite_insert
        stmt = insert(cmc_credit_ledger).values(
            month=month_of(when), credits=credits, calls=1, updated_at=when
        )
        table = cmc_credit_ledger.c
        stmt = stmt.on_conflict_do_update(
            index_elements=["month"],
            set_={
                "credits": table.credits + stmt.excluded.credits,
                "calls": table.calls + 1,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        with self.storage.engine.begin() as conn:
            conn.execute(stmt)
