"""Judging an agent's reply against an answer check: does it state the value, and only it?

Standard library only: the compiler copies this file verbatim into every generated server
(`judge.py`), so the server's `/verify` and the generator judge replies the same way.
"""

from __future__ import annotations

import re
import unicodedata

_PUNCT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-",
                        "\u2013": " - ", "\u2014": " - ", "_": " "})
_RULES = [(re.compile(p), r) for p, r in (
    (r"n't\b", " not"), (r"(?<![a-z])(it|that|there|he|she|what)'s\b", r"\1 is"),
    (r"(?<![a-z])(you|we|they)'re\b", r"\1 are"), (r"(?<![a-z])([ap])\.\s?m\b\.?", r"\1m"),
    (r"(?<![a-z])(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.", r"\1 "), (r"(?<=\d),(?=\d{3}(?!\d))", ""),
    (r"(?<=\d)(?:st|nd|rd|th)\b", ""), (r"(\d{4}-\d\d-\d\d)t(?=\d)", r"\1 "), (r"(?<=\d)(?=[a-z])", " "),
    (r"[.!?;]+(?!\w)|\n", " | "), (r"[^\w\s.:/@+'|-]", " "), (r"\s+", " "))]
_JSONISH = re.compile(r"""[{\[,]\s*["']\w+["']\s*:|"\w+"\s*:""")
_PAIR = re.compile(r"(?m)(?i:\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s*[:=]\s*\S|\b[a-z]\w*=[\"']"  # field: v, f='v'
                   r"|^\s*[-*]?\s*[a-z][a-z0-9]*:(?!//)\s*\S")  # a line `status: booked`


def normalize(text: str) -> str:
    """Casefolded, most punctuation dropped (`$1,234.50` -> `1234.50`, `Dec. 10th,` -> `dec 10`), `|` ends sentences."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).translate(_PUNCT)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip(" |")


def _spans(phrase: str, text: str) -> list[tuple[int, int]]:
    pattern = r"(?<![\w.:/@+-])" + re.escape(phrase) + r"(?!\w|[.:/@+]\w|-\d)"
    return [m.span() for m in re.finditer(pattern, text)]


def carries(text: str, facts: list[list[str]]) -> tuple[bool, str]:
    """Whether a text the agent composed (a ticket, a note) carries every fact: one normalized
    phrase of each group appears in it, whatever the wording around it."""
    said = normalize(text or "")
    for group in facts:
        if not any(_spans(alternative, said) for alternative in group):
            return False, "missing: " + (group[0] if group else "?")
    return True, "ok"


def judge(said: str, accept: list[list[str]], reject: list[str]) -> tuple[bool, str]:
    """Whether the reply states the value (every accept group met, no competing value beside it) and why not."""
    if not (said or "").strip():
        return False, "empty reply"
    if _JSONISH.search(said) or len(_PAIR.findall(said)) >= 2:
        return False, "looks like a raw record dump"
    text = normalize(said)
    for group in accept:
        if not any(_spans(alternative, text) for alternative in group):
            return False, "missing: " + (group[0] if group else "?")
    for sentence in text.split("|"):
        mine = [span for group in accept for alternative in group for span in _spans(alternative, sentence)]
        hits = [(b, e, r) for r in reject for b, e in _spans(r, sentence)  # "not urgent" denies, not states
                if not sentence[:b].endswith("not ") and not any(x <= b <= e <= y for x, y in mine)]
        rivals = {r for b, e, r in hits if not any(x <= b <= e <= y and (x, y) != (b, e) for x, y, _ in hits)}
        if rivals and (mine or len(rivals) > 1):  # beside the value, or a list of other values
            return False, "also states a competing value: " + min(rivals)
    return True, "ok"
