"""Scorer by name: the one switch behind COINWATCH_SENTIMENT."""

from coinwatch_assets.lib.sentiment.base import Scorer

SCORERS = ("lexicon", "vader", "ollama")


def make_scorer(
    name: str,
    *,
    ollama_url: str = "http://127.0.0.1:11434",
    ollama_model: str = "llama3.2",
    timeout_seconds: float = 30.0,
) -> Scorer:
    """A scorer by name; an unknown name is an error listing the known ones."""
    if name == "lexicon":
        from coinwatch_assets.lib.sentiment.lexicon import LexiconScorer

        return LexiconScorer()
    if name == "vader":
        from coinwatch_assets.lib.sentiment.lexicon import PlainVaderScorer

        return PlainVaderScorer()
    if name == "ollama":
        from coinwatch_assets.lib.sentiment.ollama import OllamaScorer

        return OllamaScorer(url=ollama_url, model=ollama_model, timeout_seconds=timeout_seconds)
    raise ValueError(
        f"unknown sentiment scorer {name!r} (COINWATCH_SENTIMENT); use one of {SCORERS}"
    )
