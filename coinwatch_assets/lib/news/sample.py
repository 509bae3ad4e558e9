"""The offline `sample` news source: a handful of fixed headlines, a few per UTC day."""

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from coinwatch_assets.lib.news.parse import Article

SAMPLE_FEED = "sample://news"
# Invented headlines covering each label and the tricky symbol cases.
HEADLINES: tuple[tuple[str, str], ...] = (
    ("Bitcoin rallies to a record high as ETF inflows surge", "Spot funds saw inflows."),
    ("Ethereum developers launch the next network upgrade on mainnet", "The upgrade is live."),
    ("Solana-based exchange hacked, $40 million stolen", "Attackers drained hot wallets."),
    ("Regulator sues crypto lender over unregistered securities", "A lawsuit was filed."),
    ("Crypto startup raises $25 million in Series A funding round", "Investors back it."),
    ("Ethics board publishes its annual report", "Not about any coin; a solution paper."),
    ("Bitcoin price slips as traders take profits", "A quiet session."),
    ("Exchange lists SOL and ETH perpetual futures", "New listings start Monday."),
    ("What is a blockchain? A beginner's guide", "An explainer."),
    ("Ether falls 12% after a major protocol exploit", "The exploit hit DeFi."),
    ("Partnership brings bitcoin payments to a large retailer", "Adoption grows."),
    ("Country bans crypto mining amid energy crackdown", "Miners must shut down."),
)
PER_DAY = 4


def sample_articles(day: date) -> list[Article]:
    """Deterministic articles published on `day` (UTC): PER_DAY headlines chosen by the date."""
    start = day.toordinal() % len(HEADLINES)
    picked = [HEADLINES[(start + 3 * i) % len(HEADLINES)] for i in range(PER_DAY)]
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    out = []
    for i, (title, summary) in enumerate(picked):
        guid = f"{day.isoformat()}-{i}"
        out.append(
            Article(
                article_id=hashlib.sha256(f"{SAMPLE_FEED}\n{guid}".encode()).hexdigest()[:32],
                feed=SAMPLE_FEED,
                source="Coinwatch sample news",
                title=title,
                summary=summary,
                link=f"https://example.invalid/news/{guid}",
                published_at=midnight + timedelta(hours=2 + 5 * i, minutes=7 * i),
            )
        )
    return out
