"""The default offline scorer: VADER plus a crypto/finance lexicon and phrase rules."""

import math
import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from coinwatch_assets.lib.sentiment.base import Score, label_for
from coinwatch_assets.lib.sentiment.crypto_lexicon import WORDS
from coinwatch_assets.lib.sentiment.phrases import AMOUNT, AMOUNT_VALENCE, phrase_valence

# VADER's normalisation constant: compound = x / sqrt(x^2 + alpha).
_VADER_ALPHA = 15.0
# Ours, smaller: one clear news cue (a funding round, a hack) is enough to leave the neutral band.
OUTPUT_ALPHA = 10.0
# Explainers, listicles and questions inform rather than report news: pull them to neutral.
_EXPLAINER = re.compile(
    r"^(?:how|what|why|when|where|who|which|is|are|can|could|should|will|would|do|does)\b"
    r"|^\d+\s+(?:top|best|ways|reasons|things|tips|signs|cryptos?|coins|altcoins|tokens)\b"
    r"|^(?:inside|meet|opinion|explainer|analysis|podcast|watch|video|interview)\b"
    r"|\b(?:price prediction|price analysis|explained|guide to|beginner|what to expect"
    r"|what you need to know|here's why|here is why|how to)\b"
    r"|\?\s*$"
)
EXPLAINER_DAMPING = 0.4


def _unnormalize(compound: float) -> float:
    c = max(min(compound, 0.999), -0.999)
    return c * math.sqrt(_VADER_ALPHA) / math.sqrt(1 - c * c)


class LexiconScorer:
    """VADER with a crypto lexicon and phrase rules; deterministic, offline."""

    name = "lexicon"
    version = "1.0"

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(WORDS)

    def raw(self, text: str) -> tuple[float, list[str]]:
        """The unbounded valence sum (VADER words + phrase rules) and matched rule names."""
        compound = self._vader.polarity_scores(text)["compound"]
        phrases, names = phrase_valence(text)
        total = _unnormalize(compound) + phrases
        if total >= 0 and AMOUNT.search(text.lower()):
            total += AMOUNT_VALENCE
            names.append("amount")
        if _EXPLAINER.search(text.strip().lower()):
            total *= EXPLAINER_DAMPING
        return total, names

    def score(self, text: str) -> Score:
        total, _ = self.raw(text)
        value = round(total / math.sqrt(total * total + OUTPUT_ALPHA), 4)
        return Score(value, label_for(value))

    def score_many(self, texts: list[str]) -> list[Score]:
        return [self.score(t) for t in texts]


class PlainVaderScorer:
    """Stock VADER, the baseline: its documented +-0.05 compound band becomes our +-0.3."""

    name = "vader"
    version = "3.3.2"

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> Score:
        compound = self._vader.polarity_scores(text)["compound"]
        # Piecewise linear and monotone: +-0.05 -> +-0.3, +-1 -> +-1.
        if abs(compound) < 0.05:
            value = compound * 6
        else:
            value = math.copysign(0.3 + 0.7 * (abs(compound) - 0.05) / 0.95, compound)
        value = round(value, 4)
        return Score(value, label_for(value))

    def score_many(self, texts: list[str]) -> list[Score]:
        return [self.score(t) for t in texts]
