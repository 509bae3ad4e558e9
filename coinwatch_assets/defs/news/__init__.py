"""News and sentiment: feeds, articles, per-article and daily sentiment."""
