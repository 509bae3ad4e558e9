"""Phrase rules for crypto/finance headlines that single-word lexicon lookups miss.

Each rule is a regular expression over the lower-cased headline with a valence on VADER's
scale. A negator shortly before a match ("SEC does not approve", "fails to raise") flips it.
Written by hand from general market-news conventions.
"""

import re
from dataclasses import dataclass

_AMOUNT = r"(?:\$|€|£|us\$)\s?\d[\d.,]*\s?(?:k|m|mn|mm|b|bn|million|billion|thousand)?\b"


@dataclass(frozen=True)
class Phrase:
    name: str
    pattern: re.Pattern[str]
    valence: float


def _rule(name: str, valence: float, pattern: str) -> Phrase:
    return Phrase(name, re.compile(pattern), valence)


RULES: tuple[Phrase, ...] = (
    _rule(
        "funding_round",
        2.4,
        rf"\b(?:raises?|raised|raising|secures?|secured|closes?|closed|nabs?|lands?|bags?|gets?"
        rf"|completes?)\b[^.;:]{{0,40}}?{_AMOUNT}"
        r"|\b(?:seed|series [a-f]|pre-seed|strategic|funding|investment) (?:round|funding)\b"
        rf"|\bleads? {_AMOUNT}|{_AMOUNT} (?:funding|round|raise|investment|fund)\b",
    ),
    _rule("valuation", 1.6, rf"\b{_AMOUNT} valuation\b|\bvalued at\b"),
    _rule(
        "launch",
        1.6,
        r"\b(?:goes|went|is now|now|is) live\b|\brolls? out\b|\bkicks? off\b"
        r"|\bset to launch\b|\bto launch\b|\bannounces? (?:the )?launch\b",
    ),
    _rule(
        "partnership",
        1.6,
        r"\bteams? up\b|\blinks? up\b|\bjoins? forces\b|\bpartners? with\b|\bsigns? (?:a )?deal\b"
        r"|\badds? support for\b|\bto support\b|\bstrategic alliance\b",
    ),
    _rule("listing", 1.6, r"\b(?:to list|will list|lists|now listed|listed on|listing on)\b"),
    _rule(
        "etf_approval",
        2.0,
        r"\b(?:approv\w*|green[- ]?light\w*|green[- ]lit|clears?|cleared)\b"
        r"[^.;]{0,40}\b(?:etf|etn|etp|fund)s?\b"
        r"|\b(?:etf|etn|etp)s?\b[^.;]{0,30}\b(?:approv\w*|debuts?|begins? trading|goes live)\b",
    ),
    _rule("etf_filing", 1.0, r"\bfiles? (?:for|to list)\b[^.;]{0,40}\b(?:etf|etn|etp)s?\b"),
    _rule(
        "adoption",
        1.8,
        r"\baccepts? (?:bitcoin|crypto|btc|eth|ether|cryptocurrenc\w+|dogecoin)\b"
        r"|\blegal tender\b|\b(?:buys?|bought|adds?|added)\b[^.;]{0,30}\b(?:bitcoin|btc) "
        r"(?:to|for) (?:its )?(?:balance sheet|treasury|reserves?)\b",
    ),
    _rule("high", 2.2, r"\ball[- ]time highs?\b|\brecord highs?\b|\bnew highs?\b|\bath\b"),
    _rule("low", -2.0, r"\b(?:multi-?(?:year|month)|record|new|year-to-date) lows?\b"),
    _rule("volume", 1.4, rf"\b(?:hits?|reach(?:es|ed)?|tops?|passes|crosses|surpass\w*) {_AMOUNT}"),
    _rule(
        "step_down",
        -1.6,
        r"\bsteps? down\b|\bstay away\b|\bcrosshairs\b|\bon (?:their|its) trail\b",
    ),
    _rule("hack", -2.4, r"\brug ?pull\w*\b|\bflash loan attack\b|\bdouble[- ]spend\b"),
    _rule("lawsuit", -2.0, r"\bclass[- ]action\b|\bcease[- ]and[- ]desist\b|\bpleads? guilty\b"),
    _rule(
        "shutdown",
        -2.0,
        r"\bshuts? down\b|\bshutting down\b|\bclos(?:es|ing) down\b|\bto shut\b"
        r"|\bsteps? back\b|\bwinds? down\b|\blays? off\b",
    ),
    _rule("withdrawals", -2.2, r"\b(?:halts?|pauses?|suspends?|freezes?) withdrawals?\b"),
    _rule("no_longer", -1.6, r"\bno longer\b|\bfalls? short\b|\bfell short\b"),
    _rule("wipe_out", -2.0, r"\bwipes? out\b|\bwiped out\b|\bloses? \$|\blost \$"),
    _rule(
        "move_down",
        -1.6,
        r"\bdown \d+(?:\.\d+)?\s?%|\bloses? \d+(?:\.\d+)?\s?%|\b(?:falls?|drops?) below\b",
    ),
    _rule(
        "down_by",
        -1.6,
        r"\b(?:declined?|decreased?|fell|dropped|drops?|falls?|down|lost|slid|shrank) "
        r"(?:by |over |more than |nearly |almost )?\d+(?:\.\d+)?\s?%",
    ),
    _rule(
        "stake",
        1.4,
        r"\b(?:takes?|buys?|acquires?|to acquire) (?:a )?(?:\d+% )?stake\b|\brakes? in\b",
    ),
    _rule("move_up", 1.6, r"\bup \d+(?:\.\d+)?\s?%|\b(?:breaks?|climbs?|rises?) (?:above|past)\b"),
)

# A dollar figure in a crypto headline is mostly capital moving in (rounds, volumes, revenue,
# sales) -- unless the rest of the headline is negative (stolen, fined, seized, lost).
AMOUNT = re.compile(_AMOUNT)
AMOUNT_VALENCE = 1.0

# Words that flip a following rule match ("does not approve", "fails to raise").
_NEGATORS = re.compile(
    r"\b(?:not|no|never|won'?t|isn'?t|aren'?t|wasn'?t|doesn'?t|didn'?t|wouldn'?t|cannot|can'?t"
    r"|fails? to|failed to|without|unlikely to|denies|rejects|against)\b"
)
NEGATION_SCALAR = -0.74  # VADER's own factor for a negated term


def phrase_valence(text: str) -> tuple[float, list[str]]:
    """Sum of matched rules' valences (negated ones flipped) and the names that matched."""
    lowered = text.lower()
    total = 0.0
    names: list[str] = []
    for rule in RULES:
        match = rule.pattern.search(lowered)
        if match is None:
            continue
        window = lowered[max(0, match.start() - 40) : match.start()]
        negated = _NEGATORS.search(window) is not None
        total += rule.valence * (NEGATION_SCALAR if negated else 1.0)
        names.append(f"not_{rule.name}" if negated else rule.name)
    return total, names
