import pytest

from coinwatch_assets.lib.sentiment.base import ScorerError, label_for, polarity
from coinwatch_assets.lib.sentiment.factory import make_scorer
from coinwatch_assets.lib.sentiment.lexicon import LexiconScorer
from coinwatch_assets_tests.emulators.ollama import FakeOllama


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (1.0, "very_bullish"),
        (0.7, "very_bullish"),
        (0.69, "bullish"),
        (0.3, "bullish"),
        (0.29, "neutral"),
        (0.0, "neutral"),
        (-0.29, "neutral"),
        (-0.3, "bearish"),
        (-0.7, "very_bearish"),
        (-1.0, "very_bearish"),
    ],
)
def test_label_thresholds(score, label):
    assert label_for(score) == label


def test_out_of_range_scores_are_refused():
    with pytest.raises(ValueError, match="outside"):
        label_for(1.2)


@pytest.fixture(scope="module")
def lexicon():
    return LexiconScorer()


# Invented headlines, one per rule family the scorer is meant to know.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wallet startup raises $20 million in Series A round led by a16z", "positive"),
        ("Exchange launches spot trading for a new token", "positive"),
        ("Payments firm partners with a layer 2 network", "positive"),
        ("Major exchange to list the token next week", "positive"),
        ("SEC approves the first spot bitcoin ETF", "positive"),
        ("Bitcoin hits an all-time high above $100,000", "positive"),
        ("DeFi protocol exploited for $30 million in flash loan attack", "negative"),
        ("Country bans crypto trading", "negative"),
        ("Regulator sues exchange over unregistered securities", "negative"),
        ("Exchange delists privacy coins", "negative"),
        ("Ether crashes 20% as liquidations mount", "negative"),
        ("SEC does not approve the bitcoin ETF", "negative"),
        ("Exchange halts withdrawals amid liquidity crunch", "negative"),
        ("What is a crypto wallet?", "neutral"),
        ("Bitcoin developers discuss the next soft fork", "neutral"),
        ("Smart contract platform publishes its quarterly report", "neutral"),
    ],
)
def test_lexicon_scorer_knows_crypto_headlines(lexicon, text, expected):
    result = lexicon.score(text)
    assert -1 <= result.score <= 1
    assert result.label == label_for(result.score)
    assert polarity(result.label) == expected, (text, result)


def test_lexicon_is_deterministic_and_batched(lexicon):
    texts = ["Bitcoin rallies", "Exchange hacked"]
    assert lexicon.score_many(texts) == [lexicon.score(t) for t in texts]
    assert make_scorer("lexicon").score("Bitcoin rallies") == lexicon.score("Bitcoin rallies")


def test_unknown_scorer_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="COINWATCH_SENTIMENT.*lexicon"):
        make_scorer("magic")


def test_ollama_scorer_against_the_fake():
    with FakeOllama() as fake:
        scorer = make_scorer("ollama", ollama_url=fake.base_url, ollama_model="qwen2.5:3b")
        results = scorer.score_many(["Startup raises $5M", "Exchange hacked", "Weekly digest"])
    assert [(r.score, r.label) for r in results] == [
        (0.75, "very_bullish"),
        (-0.8, "very_bearish"),
        (0.0, "neutral"),
    ]
    assert scorer.version == "qwen2.5:3b"
    request = fake.requests[0]
    assert request["model"] == "qwen2.5:3b" and request["format"] == "json"
    assert request["stream"] is False
    assert request["messages"][-1] == {"role": "user", "content": "Startup raises $5M"}


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("garbage", "not JSON with a 'score'"),
        ("out_of_range", "score 7; expected a number in"),
        ("error", "500"),
        ("slow", "did not answer in time"),
    ],
)
def test_ollama_scorer_fails_loudly(mode, message):
    with FakeOllama(mode) as fake:
        fake.slow_seconds = 2.0
        scorer = make_scorer("ollama", ollama_url=fake.base_url, timeout_seconds=0.5)
        with pytest.raises(ScorerError, match=message) as info:
            scorer.score("Bitcoin rallies")
    assert fake.base_url in str(info.value) and "OLLAMA_URL" in str(info.value)


def test_ollama_unreachable_fails_loudly():
    scorer = make_scorer("ollama", ollama_url="http://127.0.0.1:9", timeout_seconds=1)
    with pytest.raises(ScorerError, match="failed"):
        scorer.score("Bitcoin rallies")
