"""Answer checks: which natural phrasings state a database value, and which state a competing one.

`accepted`/`rejected` render a value by its column type; `generator.judge` decides (the same
code runs inside every generated server).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from generator.judge import judge, normalize  # noqa: F401 - judge is part of this module's API

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
           "seventeen eighteen nineteen twenty").split()
TENS = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
STATES = dict(pair.split(" ", 1) for pair in (
    "AL alabama|AK alaska|AZ arizona|AR arkansas|CA california|CO colorado|CT connecticut|DE delaware|FL florida|"
    "GA georgia|HI hawaii|ID idaho|IL illinois|IN indiana|IA iowa|KS kansas|KY kentucky|LA louisiana|ME maine|"
    "MD maryland|MA massachusetts|MI michigan|MN minnesota|MS mississippi|MO missouri|MT montana|NE nebraska|"
    "NV nevada|NH new hampshire|NJ new jersey|NM new mexico|NY new york|NC north carolina|ND north dakota|OH ohio|"
    "OK oklahoma|OR oregon|PA pennsylvania|RI rhode island|SC south carolina|SD south dakota|TN tennessee|TX texas|"
    "UT utah|VT vermont|VA virginia|WA washington|WV west virginia|WI wisconsin|WY wyoming|DC district of columbia"
).split("|"))
YES = ["yes", "yeah", "yep", "true", "correct", "indeed"]
AUXILIARIES = ["is", "are", "was", "were", "does", "do", "did", "has", "have", "had"]
NO = ["no", "nope", "not", "false", "never", "none", "neither", "nor", "without"]
# Against a true value only explicit denials count: "Yes, it is covered, so it can't be refilled" stays right.
DENIALS = ["no", "nope", "false", "never"] + [f"{aux} not" for aux in AUXILIARIES]
PHONE = re.compile(r"\+?[\d\s().-]+")


def _true(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "t", "yes", "y"}


def _unique(phrases: list[str]) -> list[str]:
    return list(dict.fromkeys(p for p in map(normalize, phrases) if p))


def _date_forms(day: date, year: bool) -> list[str]:
    month, short, d, m, y = MONTHS[day.month - 1], MONTHS[day.month - 1][:3], day.day, day.month, day.year
    names = [month, short] + (["sept"] if m == 9 else [])
    if not year:
        return [f for n in names for f in (f"{n} {d}", f"{d} {n}", f"{d} of {n}")] + [f"{m}/{d}", f"{m:02}/{d:02}"]
    numeric = [day.isoformat(), f"{y}/{m:02}/{d:02}", f"{m}/{d}/{y}", f"{m:02}/{d:02}/{y}", f"{m}/{d}/{y % 100:02}"]
    spelled = ("{n} {d} {y}", "{d} {n} {y}", "{d} of {n} {y}", "{n} {d:02} {y}", "{d:02} {n} {y}")
    return numeric + [form.format(n=n, d=d, y=y) for n in names for form in spelled]


def _time_forms(moment: datetime) -> list[str]:
    h, m, s = moment.hour, moment.minute, moment.second
    twelve, half = (h % 12) or 12, "am" if h < 12 else "pm"
    forms = [f"{h:02}:{m:02}", f"{h}:{m:02}", f"{h:02}:{m:02}:{s:02}", f"{twelve}:{m:02} {half}"]
    if m == 0:
        forms += [f"{twelve} {half}", f"{twelve} o'clock"] + {0: ["midnight"], 12: ["noon", "midday"]}.get(h, [])
    return forms


def _integer_forms(n: int, loose: bool) -> list[str]:
    words = NUMBERS[n:n + 1] if 0 <= n <= 20 else [TENS[n]] if n in TENS else []
    forms = [str(n)] + (words if loose or n >= 2 else [])
    if loose:
        forms += {0: ["no", "none", "never", "not", "nothing"], 1: ["once", "a single"], 2: ["twice"]}.get(n, [])
    return forms


def _money_forms(amount: float, loose: bool) -> list[str]:
    cents = f"{round(amount, 2):.2f}"
    forms = [cents] + ([cents[:-1]] if cents.endswith("0") else []) + ([cents[:-3]] if cents.endswith(".00") else [])
    return forms + (["zero", "nothing", "no", "none"] if loose and round(amount, 2) == 0 else [])


def _text_forms(value: str) -> list[str]:
    forms = [value, value.replace("_", "-"), STATES.get(value, "")]
    digits = re.findall(r"\d+", value)
    if PHONE.fullmatch(value) and len(digits) > 1 and 7 <= len("".join(digits)) <= 15:
        local = digits[1:] if value.startswith("+") or (digits[0] == "1" and len(digits) == 4) else digits
        for groups in (digits, local):
            forms += [sep.join(groups) for sep in ("-", " ", ".", "")]
        if len(local) == 3:
            forms.append(f"({local[0]}) {local[1]}-{local[2]}")
    if match := re.fullmatch(r"(\d{4})-(\d\d)", value):
        y, m = match.group(1), int(match.group(2))
        if 1 <= m <= 12:
            forms += [f"{MONTHS[m - 1]} {y}", f"{MONTHS[m - 1][:3]} {y}", f"{m:02}/{y}", f"{m}/{y}", f"{m:02}/{y[2:]}"]
    return forms


def _groups(value: str, type: str, enum: tuple[str, ...] | None, loose: bool) -> list[list[str]]:
    """Renderings of one value; `loose` adds the vague words that only count for the right value."""
    value = str(value).strip()
    try:
        if type == "boolean":
            return [YES + AUXILIARIES] if _true(value) else [NO]
        if type == "integer" and not enum:
            return [_integer_forms(int(float(value)), loose)]
        if type == "real" and not enum:
            return [_money_forms(float(value), loose)]
        if type == "datetime" and "T" in value.upper().replace(" ", "T"):
            moment = datetime.fromisoformat(value.replace("Z", ""))
            return [_date_forms(moment.date(), True) + _date_forms(moment.date(), False), _time_forms(moment)]
        if type in ("date", "datetime"):
            return [_date_forms(date.fromisoformat(value[:10]), True)]
    except ValueError:
        pass
    forms = _text_forms(value)
    if enum and loose and len(value) > 3 and not value.endswith("s"):
        forms += [f + "s" for f in forms[:2]]
    return [forms]


def accepted(value: str, type: str, enum: tuple[str, ...] | None) -> list[list[str]]:
    """Normalized renderings of the value: every group needs one of its alternatives in the reply."""
    groups = [_unique(group) for group in _groups(value, type, enum, loose=True)]
    return [group for group in groups if group]


def rejected(value: str, type: str, enum: tuple[str, ...] | None, others: list[str]) -> list[str]:
    """Normalized phrases stating a competing value: the opposite answer, other enum values, the `others`."""
    if type == "boolean":
        return _unique(DENIALS if _true(value) else YES)
    # Exact renderings of the value are dropped here; one found inside a rendering ("economy" in "basic economy")
    # stays, and `judge` ignores it where it lies inside the matched right value.
    mine = {alternative for group in accepted(value, type, enum) for alternative in group}
    phrases: list[str] = []
    for other in [e for e in enum or () if e != value] + [o for o in others if str(o) != str(value)]:
        groups = _groups(str(other), type, enum, loose=False)
        if len(groups) == 2:  # a datetime: the other day, or the other time on the same day
            same_day = str(other)[:10] == str(value)[:10]
            groups = groups[1:] if same_day else groups[:1]
        phrases += [alternative for group in groups for alternative in group]
    return [p for p in _unique(phrases) if p not in mine]


# What an agent says when it declines ("I can't", "that's against our policy"), normalized: an
# agent that silently does nothing has not told the user, so it does not pass a decline check.
DECLINE = ["cannot", "can not", "ca not", "unable", "not able", "not allowed", "not permitted", "not possible",
           "not eligible", "ineligible", "decline", "refuse", "policy", "wo not"]
