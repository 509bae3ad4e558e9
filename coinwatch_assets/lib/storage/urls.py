"""Database URLs: which ones coinwatch accepts, and errors that never show a password.

Checked when the code location loads (from `Settings.from_env`, without keeping the value) and
again by the storage layer for URLs given in resource config. Errors name
COINWATCH_DATABASE_URL and the fix; they show the scheme at most, never the URL itself.
"""

from __future__ import annotations

import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import StorageError

VARIABLE = "COINWATCH_DATABASE_URL"
_EXAMPLES = "postgresql+psycopg://user:password@host:5432/db (TimescaleDB) or sqlite:///path/file"
# Every PostgreSQL spelling runs on psycopg 3 (the binary COPY code needs it).
_POSTGRES = ("postgresql+psycopg", "postgresql+psycopg2", "postgresql", "postgres")


def normalize_database_url(url: str) -> str:
    """The SQLAlchemy URL for `url`: PostgreSQL on psycopg 3, or SQLite; refuses anything else."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise StorageError(f"{VARIABLE} is not a URL (no '://'): set it to {_EXAMPLES}")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StorageError(
                f"{VARIABLE}: a SQLite URL needs a file path, sqlite:///relative/file or "
                "sqlite:////absolute/file (or leave it unset and set COINWATCH_SQLITE_PATH)"
            )
        return f"sqlite://{rest}"
    if scheme not in _POSTGRES:
        raise StorageError(
            f"{VARIABLE} must be a PostgreSQL (TimescaleDB) or SQLite URL, "
            f"got scheme {scheme[:30]!r}: set it to {_EXAMPLES}"
        )
    authority = rest.split("?", 1)[0]
    userinfo = authority.rpartition("@")[0]
    if authority.count("@") > 1 or any(ch in userinfo for ch in "/?#"):
        # Unescaped, these split the URL elsewhere: half of a password became the host name.
        raise StorageError(
            f"{VARIABLE}: the user name or password contains an unescaped '@', '/', '?' or "
            "'#'. Percent-encode them (@ as %40, / as %2F, ? as %3F, # as %23; in Python "
            "urllib.parse.quote(password, safe=''))"
        )
    normalized = "postgresql+psycopg://" + rest
    try:
        sa.engine.make_url(normalized)
    except (sa.exc.ArgumentError, ValueError):
        raise StorageError(
            f"{VARIABLE} could not be parsed as a URL; expected {_EXAMPLES}, with special "
            "characters in the user name and password percent-encoded"
        ) from None
    return normalized
