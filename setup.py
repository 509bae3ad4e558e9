from setuptools import find_packages, setup

setup(
    name="coinwatch_assets",
    version="0.1.0",
    description="Dagster code location that collects crypto market data into TimescaleDB",
    packages=find_packages(exclude=["coinwatch_assets_tests*"]),
    # The Alembic environment ships inside the package, so an installed wheel can migrate.
    package_data={"coinwatch_assets.lib.storage.migrations": ["script.py.mako"]},
    entry_points={"console_scripts": ["coinwatch-db = coinwatch_assets.db_cli:main"]},
    python_requires=">=3.11",
    install_requires=[
        "dagster==1.13.*",
        "dagster-webserver==1.13.*",
        "dagster-postgres>=0.29,<0.30",
        "dagster-docker>=0.29,<0.30",
        "pandas>=2.2",
        # The freqtrade export writes Feather (Arrow IPC) files, as freqtrade's own handler.
        "pyarrow>=14",
        "numpy>=1.26",
        # Indicators (RSI, EMA, MACD, Bollinger, SMA): TA-Lib's C library, bundled in its wheels.
        "TA-Lib>=0.6",
        "sqlalchemy>=2.0",
        # Schema revisions (lib/storage/migrations): every table change ships one.
        "alembic>=1.13",
        # psycopg 3 drives the TimescaleDB storage (binary COPY); psycopg2 is what
        # dagster-postgres instance storage needs (see README, "Instance storage").
        "psycopg[binary]>=3.2",
        "psycopg2-binary>=2.9",
        "ccxt>=4.4",
        "httpx>=0.27",
        "feedparser>=6.0",
        # HTML in feed titles/summaries is removed by a real parser, not regexes.
        "beautifulsoup4>=4.12",
        # The offline sentiment scorer: VADER ships its lexicon inside the package.
        "vaderSentiment>=3.3.2",
        "great-expectations>=1.3,<2",
        # The venue file (lib/venues.py): YAML validated by pydantic models.
        "pydantic>=2",
        "pyyaml>=6",
        # Bounded retries with backoff: transient exchange errors (lib/sources/retry.py), the
        # run-failure alert webhook (defs/monitor) and the CoinGecko client (Retry-After).
        "tenacity>=8.2",
        # CoinGecko: a circuit breaker shared by every call of a process,
        "pybreaker>=1.2",
        # a moving-window calls-per-minute budget,
        "limits>=3.10",
        # and HTML removed from coin descriptions by a real parser.
        "beautifulsoup4>=4.12",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "ruff>=0.6",
            # UI smoke test: drives Debian's chromium (executable_path), downloads no browser.
            "playwright>=1.45",
        ],
    },
)
