"""The scorer interface shared by every sentiment scorer, and the five labels."""

from dataclasses import dataclass
from typing import Protocol

LABELS = ("very_bearish", "bearish", "neutral", "bullish", "very_bullish")


class ScorerError(RuntimeError):
    """A scorer could not produce a trustworthy score (never silently neutral)."""


@dataclass(frozen=True)
class Score:
    score: float  # in [-1, 1]
    label: str


def label_for(score: float) -> str:
    """very_bullish >= 0.7, bullish >= 0.3, bearish <= -0.3, very_bearish <= -0.7, else neutral."""
    if not -1.0 <= score <= 1.0:
        raise ValueError(f"sentiment score {score!r} is outside [-1, 1]")
    if score >= 0.7:
        return "very_bullish"
    if score >= 0.3:
        return "bullish"
    if score <= -0.7:
        return "very_bearish"
    if score <= -0.3:
        return "bearish"
    return "neutral"


def polarity(label: str) -> str:
    """The three-class polarity (negative / neutral / positive) of a five-class label."""
    if label in ("bullish", "very_bullish"):
        return "positive"
    if label in ("bearish", "very_bearish"):
        return "negative"
    if label == "neutral":
        return "neutral"
    raise ValueError(f"unknown sentiment label {label!r}; expected one of {LABELS}")


class Scorer(Protocol):
    """Scores headlines (title plus optional summary) into [-1, 1]."""

    name: str
    version: str

    def score(self, text: str) -> Score: ...

    def score_many(self, texts: list[str]) -> list[Score]: ...
