"""An optional LLM scorer: a local Ollama server over its HTTP API (`/api/chat`).

It fails loudly: an unreachable server, a timeout, an HTTP error or an answer that is not the
asked-for JSON raises `ScorerError` instead of quietly scoring the headline neutral.
"""

import json

import httpx

from coinwatch_assets.lib.sentiment.base import Score, ScorerError, label_for

SYSTEM_PROMPT = (
    "You rate the market sentiment of crypto news headlines for holders of the coins named. "
    "Funding rounds, launches, listings, partnerships, adoption and approvals are bullish; "
    "hacks, exploits, bans, lawsuits, delistings and crashes are bearish; explainers, "
    "opinion and routine announcements are neutral. Answer only with JSON: "
    '{"score": <number from -1 (very bearish) to 1 (very bullish)>}'
)


class OllamaScorer:
    """Scores each headline with one `/api/chat` call (JSON format, temperature 0)."""

    name = "ollama"

    def __init__(self, url: str, model: str, timeout_seconds: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.version = model
        self._timeout = httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0))

    def _ask(self, client: httpx.Client, text: str) -> Score:
        body = {
            "model": self.model,
            "stream": False,
            "format": "json",
            "options": {"temperature": 0},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ],
        }
        where = f"Ollama at {self.url} (model {self.model!r}, OLLAMA_URL)"
        try:
            response = client.post(f"{self.url}/api/chat", json=body)
            response.raise_for_status()
            content = response.json()["message"]["content"]
        except httpx.TimeoutException as exc:
            raise ScorerError(f"{where} did not answer in time: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise ScorerError(f"{where} failed: {exc!r}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ScorerError(f"{where} sent no chat message: {response.text[:200]!r}") from exc
        return Score(*_parse_answer(content, where))

    def score(self, text: str) -> Score:
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[Score]:
        with httpx.Client(timeout=self._timeout) as client:
            return [self._ask(client, t) for t in texts]


def _parse_answer(content: str, where: str) -> tuple[float, str]:
    try:
        answer = json.loads(content)
        value = answer["score"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ScorerError(f"{where} answered {content[:200]!r}, not JSON with a 'score'") from exc
    if isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1:
        raise ScorerError(f"{where} answered score {value!r}; expected a number in [-1, 1]")
    score = round(float(value), 4)
    return score, label_for(score)
