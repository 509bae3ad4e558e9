"""Sentiment scorer against labelled headlines: accuracy, per-class F1, macro-F1.

    python benchmarks/sentiment_eval.py PATH [--scorer lexicon|vader|ollama]

PATH is a CSV with columns `headline,label` (labels negative / neutral / positive). The five
scorer labels fold onto three: bullish/very_bullish = positive, bearish/very_bearish = negative.
The last line printed is `macro_f1=0.xxx`.
"""

import argparse
import csv
import os
import sys
from collections import Counter
from pathlib import Path

from coinwatch_assets.lib.sentiment.base import polarity
from coinwatch_assets.lib.sentiment.factory import SCORERS, make_scorer

CLASSES = ("negative", "neutral", "positive")


def read_labelled(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"headline", "label"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s) {sorted(missing)}; need headline,label")
        rows = [(r["headline"], r["label"].strip().lower()) for r in reader]
    bad = {label for _, label in rows} - set(CLASSES)
    if bad:
        raise SystemExit(f"{path}: unknown label(s) {sorted(bad)}; expected {CLASSES}")
    return rows


def f1_scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    scores = {}
    for cls in CLASSES:
        tp = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[cls] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--scorer", default="lexicon", choices=SCORERS)
    parser.add_argument("--model", default=os.environ.get("OLLAMA_MODEL", "llama3.2"))
    args = parser.parse_args()
    rows = read_labelled(args.path)
    scorer = make_scorer(
        args.scorer,
        ollama_url=os.environ.get("OLLAMA_URL", "http://127.0.0.1:11434"),
        ollama_model=args.model,
    )
    truth = [label for _, label in rows]
    predicted = [polarity(s.label) for s in scorer.score_many([h for h, _ in rows])]
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows)
    f1 = f1_scores(truth, predicted)
    print(f"scorer={scorer.name} version={scorer.version} headlines={len(rows)} file={args.path}")
    print(f"truth:     {dict(sorted(Counter(truth).items()))}")
    print(f"predicted: {dict(sorted(Counter(predicted).items()))}")
    print(f"accuracy={accuracy:.3f}")
    for cls in CLASSES:
        print(f"f1_{cls}={f1[cls]:.3f}")
    print(f"macro_f1={sum(f1.values()) / len(CLASSES):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
