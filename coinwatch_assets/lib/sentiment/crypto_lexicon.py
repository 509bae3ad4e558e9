"""A hand-written crypto/finance headline lexicon for VADER (valences on VADER's -4..4 scale).

Written from general market-news knowledge, not fitted to any labelled data set. Words are
listed with their inflections because VADER looks tokens up verbatim (lower-cased).
"""


def _forms(valence: float, *words: str) -> dict[str, float]:
    return {w: valence for w in words}


WORDS: dict[str, float] = {
    # Market moves up.
    **_forms(2.2, "rally", "rallies", "rallied", "rallying", "surge", "surges", "surged"),
    **_forms(2.2, "surging", "soar", "soars", "soared", "soaring", "skyrockets", "skyrocketed"),
    **_forms(1.8, "jump", "jumps", "jumped", "spikes", "spiked", "climbs", "climbed", "climbing"),
    **_forms(1.6, "rises", "rose", "rising", "gained", "rebound", "rebounds", "rebounded"),
    **_forms(1.6, "recover", "recovers", "recovered", "recovery", "bounces", "bounced"),
    **_forms(1.8, "bullish", "bulls", "outperforms", "outperformed", "breakout", "uptrend"),
    **_forms(1.6, "inflow", "inflows", "surpasses", "surpassed", "exceeds", "exceeded"),
    **_forms(1.5, "record", "milestone", "highs", "boom", "booming", "upswing", "upbeat"),
    **_forms(1.4, "grows", "grew", "growing", "expands", "expanded", "expansion", "expanding"),
    **_forms(1.2, "doubles", "doubled", "triples", "tripled", "upgrade", "upgrades", "upgraded"),
    # Adoption, business wins, product milestones.
    **_forms(1.8, "launch", "launches", "launched", "launching", "debuts", "debuted", "unveils"),
    **_forms(1.8, "unveiled", "introduces", "introduced", "rollout", "mainnet"),
    **_forms(1.8, "partners", "partnered", "partnering", "partnership", "partnerships"),
    **_forms(1.4, "collaborates", "collaboration", "integrates", "integrated", "integration"),
    **_forms(1.4, "integrating", "integrate", "green-light", "green-lights", "green-lit"),
    **_forms(1.6, "raises", "raised", "raising", "funding", "funded", "backs", "backed"),
    **_forms(1.4, "invests", "invested", "investment", "investments", "valuation", "unicorn"),
    **_forms(1.6, "acquires", "acquired", "acquisition", "acquisitions", "buys", "bought"),
    **_forms(1.6, "lists", "listed", "listing", "listings", "adopts", "adopted", "adoption"),
    **_forms(1.8, "approves", "approved", "approval", "approve", "greenlights", "greenlit"),
    **_forms(1.4, "accepts", "accepting", "embraces", "embraced", "endorses", "endorsed"),
    **_forms(1.2, "wins", "won", "awarded", "grants", "sponsorship", "deal", "deals", "earn"),
    **_forms(1.8, "acquire", "acquiring", "introduce", "introducing", "oversubscribed", "rosy"),
    **_forms(1.0, "trials", "pilots", "piloting", "testing", "tests", "forms", "bringing"),
    **_forms(1.6, "beats", "tops", "co-leads", "backing", "boosted", "fuels", "fueled"),
    # Appointments are news, but rarely move anything.
    **_forms(0.5, "hires", "hiring", "appoints", "appointed", "joins", "join", "names"),
    **_forms(1.2, "enables", "allows", "supports", "adds", "expands", "opens", "secures"),
    **_forms(1.4, "profitable", "revenue", "earnings", "mainstream", "institutional"),
    **_forms(1.4, "invest", "investing", "bull", "leads", "upgrades", "releases", "released"),
    # Market moves down.
    **_forms(-2.4, "crash", "crashes", "crashed", "crashing", "plunge", "plunges", "plunged"),
    **_forms(-2.4, "plummet", "plummets", "plummeted", "tumbles", "tumbled", "tanks", "tanked"),
    **_forms(-2.0, "slump", "slumps", "slumped", "sinks", "sank", "slides", "slid", "craters"),
    **_forms(-1.6, "falls", "fell", "falling", "drops", "dropped", "dips", "dipped", "declines"),
    **_forms(-1.6, "declined", "slips", "slipped", "sheds", "selloff", "sell-off", "dumps"),
    **_forms(-1.8, "bearish", "bears", "downtrend", "outflow", "outflows", "capitulation"),
    **_forms(-1.6, "lows", "lowest", "correction", "liquidated", "liquidation", "liquidations"),
    **_forms(-1.4, "volatile", "volatility", "bubble", "slowdown", "cooled", "cools", "stalls"),
    # Security incidents and crime.
    **_forms(-2.6, "hack", "hacks", "hacked", "hacker", "hackers", "exploit", "exploits"),
    **_forms(-2.6, "exploited", "breach", "breaches", "breached", "theft", "thefts", "drained"),
    **_forms(-2.4, "stolen", "steals", "stealing", "phishing", "scams", "scammers", "ponzi"),
    **_forms(-2.2, "fraudulent", "laundering", "malware", "ransomware", "vulnerability", "bug"),
    # Legal and regulatory trouble.
    **_forms(-2.0, "sue", "sues", "sued", "suing", "lawsuit", "lawsuits", "indicted"),
    **_forms(-2.0, "indictment", "fined", "fines", "penalty", "penalties", "subpoena"),
    **_forms(-1.8, "charges", "charged", "probe", "probes", "investigates", "investigating"),
    **_forms(-1.6, "investigation", "sanctions", "sanctioned", "crackdown", "seizes", "seized"),
    **_forms(-2.2, "bans", "banning", "prohibits", "prohibited", "outlaws", "outlawed"),
    **_forms(-1.8, "restricts", "restricted", "restriction", "restrictions", "halts", "halted"),
    **_forms(-1.8, "suspends", "freezes", "frozen", "delists", "delisted", "delisting"),
    **_forms(-1.8, "rejects", "rejected", "rejection", "denies", "denied", "delays", "delayed"),
    **_forms(-1.6, "postpones", "postponed", "warns", "warned", "scrutiny", "illegal"),
    **_forms(-1.2, "regulator", "regulators", "oversight", "enforcement", "allegation"),
    **_forms(-1.2, "allegations", "alleged", "allegedly", "settles", "settled", "bail"),
    **_forms(-1.4, "bars", "barred", "resigns", "resigned", "quits", "ousted", "crunch"),
    **_forms(-1.0, "taxation", "tax", "taxes", "lagging", "lags", "struggles", "struggling"),
    **_forms(-1.8, "seize", "seizure", "seizes", "delist", "cease", "ceases", "dissolves"),
    **_forms(-1.8, "dissolving", "backlash", "illicit", "uninvestable", "wary", "complaining"),
    **_forms(-1.4, "concern", "concerns", "concerned", "arbitration", "speculative", "fears"),
    **_forms(-1.0, "levy", "levies", "regulate", "regulatory", "remove", "proceedings"),
    # New rules mostly mean new costs and limits for crypto firms.
    **_forms(-1.0, "regulation", "regulations", "legislation", "rules", "hearing", "hearings"),
    **_forms(-1.8, "censorship", "surrenders", "surrendered", "mistakenly", "mistake"),
    # Corporate distress.
    **_forms(-2.6, "bankruptcy", "insolvent", "insolvency", "collapses", "collapsed"),
    **_forms(-2.0, "layoffs", "layoff", "shutters", "shuttered", "outage", "outages"),
    **_forms(-1.8, "defaults", "defaulted", "contagion", "downgrade", "downgraded", "exodus"),
    # Words VADER scores that mean nothing in market headlines ("open interest", "shares of",
    # "Grayscale Bitcoin Trust", "credit", "top 5 tokens", "tokens like", "$1M worth of").
    **_forms(0.0, "interest", "share", "shares", "trust", "credit", "top", "like", "worth"),
    **_forms(0.0, "demand", "stable", "free", "security", "securities", "fine", "chance"),
    **_forms(0.0, "please", "care", "want", "block", "blocks", "cut", "cuts", "limit", "no"),
    # Crypto terms of art: smart contracts, Binance Smart Chain, the US Treasury, digital
    # assets, anti-money-laundering (VADER reads "aml" as chat slang), Bored Ape, play-to-earn,
    # mining difficulty, energy use, the United States, a Gnosis Safe, US "legal" frameworks.
    **_forms(0.0, "smart", "treasury", "assets", "asset", "aml", "authority", "bored", "play"),
    **_forms(0.0, "energy", "difficulty", "legal", "number", "united", "safe", "focused"),
    **_forms(0.0, "vision", "ghost", "justice", "freedom", "liberty", "lucky"),
    **_forms(0.0, "strike", "strikes", "burn", "burns", "burned", "destroys", "threats"),
}
