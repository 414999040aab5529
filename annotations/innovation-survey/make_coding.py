"""Write two coders' coding of the sample survey, ``coding_table.csv``.

The coding is ILLUSTRATIVE: it was not done by real people. It stands in for
what ``themeloop pull`` would bring back from Label Studio after two coders,
Amira Khan and Ben Osei, coded every answer of
``examples/innovation-survey/survey.csv`` against ``codebook.yaml`` (1.0).

How it is made, so that it looks like real double coding:

* Amira's codes come from hand-written rules per code that read the answer
  text, sentence by sentence (``RULES``), with the codebook's exclusions
  (e.g. online recruitment of carers is ``carer_support``, not
  ``remote_delivery``), a parent code dropped where its child applies, and
  at most three codes per answer.
* Ben starts from the same reading and departs from it on about one in six
  answers, in the ways coders do: a missed code, an extra related code, a
  sibling instead of the code (capability for skills, seed funding for
  funding), or a borderline reading written down in a memo.
* A coder who read a non-substantive answer ("N/A", "see above", empty) has
  one row with an empty code.

Usage::

    python3 annotations/innovation-survey/make_coding.py [OUTPUT.csv]

Without an argument it writes ``coding_table.csv`` beside this script. Only
the standard library is used, with a fixed seed: the output is the same byte
for byte on every run.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

SEED = 2021
HERE = Path(__file__).resolve().parent
SURVEY = HERE.parent.parent / "examples" / "innovation-survey" / "survey.csv"
QUESTIONS = {"barriers": "barriers_text", "practice": "practice_text", "radical": "radical_text"}
AMIRA, BEN = "amira.khan@example.org", "ben.osei@example.org"
CHLOE = "chloe.reid@example.org"  # lead researcher: adjudicates where Amira and Ben differ
CODEBOOK_VERSION = "1.0"
COLUMNS = [
    "response_id", "question", "coder", "code", "source", "timestamp", "codebook_version",
    "memo", "annotation_id", "lead_time", "status", "unclear",
]
# What themeloop counts as saying nothing, for the answers this survey has.
NON_SUBSTANTIVE = {"", "n/a", "na", "don't know", "dont know", "see above", "as above", "none"}

# (code, pattern that applies it, pattern that vetoes it in the same sentence).
# Order is the order codes are listed in when several apply.
RULES: dict[str, list[tuple[str, str, str | None]]] = {
    "barriers": [
        ("funding", r"fund|money|budget|budjet|grant|cost|financ|won't pay", None),
        ("skilled_people",
         (r"social workers|skilled staff|turnover|agency (workers|staff)|skills|qualified staff"
          r"|good managers|people with the right"), None),
        ("capability",
         (r"capability|evaluat|expertise|it systems|case management|service design|know-how"
          r"|where to start|data"), None),
        ("risk_aversion", r"risk|fear|unproven|nervous|play it safe|getting it wrong", None),
        ("regulation", r"ofsted|regulat|inspection", None),
        ("political_cycle", r"politic|election|lead member|national policy", None),
        ("time_capacity", r"\btime\b|headspace|firefighting|capacity|busy",
         r"at a time|same time|first two years"),
        ("demand_pressure", r"demand|referrals|complex needs|more children", None),
        ("culture", r"culture", r"isn't really the problem"),
        ("other", r"procurement|rural|small organisation|health partners", None),
    ],
    "practice": [
        ("remote_delivery",
         r"online|virtual|zoom|video|remote|whatsapp|discord|instagram|lockdown|pandemic|covid",
         r"recruit|started as a response"),
        ("schools_social_work", r"social work.*school|school.*social work", None),
        ("family_group_conferencing", r"family group conferenc", None),
        ("adolescent_services", r"edge.of.care|adolescent|teenagers|11 to 17", None),
        ("contextual_safeguarding", r"contextual safeguarding", None),
        ("carer_support",
         r"mockingbird|recruit|special guardians|early permanence|foster to adopt", None),
        ("peer_mentoring", r"mentor|buddy", None),
        ("trauma_informed", r"trauma", None),
        ("data_insight", r"dashboard|\bdata\b|power bi|predict", None),
        ("other", r"co-locat|commissioning framework|children's homes|four day week", None),
    ],
    "radical": [
        ("seed_funding", r"seed|pump priming|start up|innovation grants", None),
        ("funding", r"money|funding|fundng|grants?\b|budget", r"seed|pump priming|frontline"),
        ("partnership", r"joining with|partner|consortium|collaborat|other authorities",
         r"external partner"),
        ("evidence", r"evidence|evaluation|seeing it working|what works", r"service design"),
        ("time_capacity", r"\btime\b|capacity", None),
        ("leadership_buy_in",
         r"leadership|backing|permission to fail|trustees|back it|from the top", None),
        ("regulatory_flexibility", r"ofsted|regulat|sandbox", None),
        ("expertise", r"expertise|coaching|service design|business case", None),
    ],
}
PARENTS = {
    "barriers": {"regulation": "risk_aversion", "political_cycle": "risk_aversion"},
    "practice": {"contextual_safeguarding": "adolescent_services"},
    "radical": {"seed_funding": "funding"},
}
# For Ben's departures, per question: a sibling he may read instead of a
# code, and a related code he may add to it.
SIBLING = {
    "barriers": {
        "skilled_people": "capability", "capability": "skilled_people",
        "risk_aversion": "regulation", "regulation": "risk_aversion",
        "political_cycle": "risk_aversion", "time_capacity": "demand_pressure",
        "demand_pressure": "time_capacity", "other": "capability",
    },
    "practice": {
        "adolescent_services": "contextual_safeguarding",
        "contextual_safeguarding": "adolescent_services", "peer_mentoring": "carer_support",
        "carer_support": "peer_mentoring", "trauma_informed": "other", "data_insight": "other",
        "family_group_conferencing": "adolescent_services", "remote_delivery": "other",
    },
    "radical": {
        "seed_funding": "funding", "funding": "seed_funding", "expertise": "evidence",
        "evidence": "expertise", "leadership_buy_in": "regulatory_flexibility",
        "time_capacity": "expertise", "partnership": "expertise",
    },
}
RELATED = {
    "barriers": {
        "funding": "time_capacity", "skilled_people": "time_capacity",
        "capability": "skilled_people", "risk_aversion": "regulation",
        "regulation": "risk_aversion", "political_cycle": "funding",
        "time_capacity": "skilled_people", "demand_pressure": "time_capacity",
        "culture": "risk_aversion", "other": "funding",
    },
    "practice": {
        "remote_delivery": "other", "schools_social_work": "adolescent_services",
        "family_group_conferencing": "adolescent_services",
        "adolescent_services": "contextual_safeguarding",
        "contextual_safeguarding": "adolescent_services", "carer_support": "peer_mentoring",
        "peer_mentoring": "carer_support", "trauma_informed": "carer_support",
        "data_insight": "other", "other": "adolescent_services",
    },
    "radical": {
        "seed_funding": "time_capacity", "funding": "seed_funding", "partnership": "evidence",
        "evidence": "expertise", "time_capacity": "leadership_buy_in",
        "leadership_buy_in": "time_capacity", "regulatory_flexibility": "leadership_buy_in",
        "expertise": "evidence",
    },
}
BORDERLINE = {
    frozenset({"skilled_people", "capability"}): "borderline: capability vs skills",
    frozenset({"risk_aversion", "regulation"}): "borderline: general risk aversion or regulation?",
    frozenset({"seed_funding", "funding"}): "seed funding or funding in general?",
    frozenset({"adolescent_services", "contextual_safeguarding"}):
        "contextual safeguarding sits under adolescent services; chose one level",
    frozenset({"peer_mentoring", "carer_support"}): "peer mentoring or carer support?",
}
# Memos Amira wrote on particular answers (matched on a phrase in the text).
AMIRA_MEMOS = {
    "isn't really the problem": "mentions culture only to say it is not a barrier; not coded culture",
    "Sarah Collins": "names a person; pseudonymise before quoting",
    "Denise Hartley": "names a carer; pseudonymise before quoting",
    "started as a response to COVID": "not remote delivery itself, only prompted by COVID",
}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\s(?=\d\))", text) if s.strip()]


def rule_codes(question: str, text: str) -> list[str]:
    """Codes a careful reader gives ``text``, in the order the rules list them."""
    found: dict[str, int] = {}
    for sentence in sentences(text):
        low = sentence.lower()
        for n, (code, pattern, veto) in enumerate(RULES[question]):
            if re.search(pattern, low) and not (veto and re.search(veto, low)):
                found.setdefault(code, len(found) * 100 + n)
    codes = sorted(found, key=found.get)
    parents = PARENTS[question]
    codes = [c for c in codes if not any(parents.get(o) == c for o in codes)]
    if not codes:
        codes = ["other"]
    return codes[:3]


def second_coder(rng: random.Random, question: str, text: str, codes: list[str]) -> tuple[list[str], str]:
    """Ben's codes for an answer Amira coded ``codes``, and his memo."""
    ben = list(codes)
    memo = ""
    if "started as a response to COVID" in text and rng.random() < 0.6:
        ben.append("remote_delivery")
    roll = rng.random()
    n = rng.randrange(len(ben))
    sibling = SIBLING[question].get(ben[n])
    if roll < 0.05 and len(ben) > 1:
        ben.pop(n)  # a missed code
    elif roll < 0.11 and sibling and sibling not in ben:
        memo = BORDERLINE.get(frozenset({ben[n], sibling}), "")
        ben[n] = sibling  # a different reading of the same idea
    elif roll < 0.17:
        extra = RELATED[question].get(ben[n])
        if extra and extra not in ben:
            ben.append(extra)  # an extra, related code
    ben = list(dict.fromkeys(ben))[:3]
    return ben, memo


def schedule(rng: random.Random, start: datetime, n: int, words: list[int]) -> list[tuple[datetime, float]]:
    """Submission times and lead times for ``n`` annotations, in working sessions."""
    out = []
    slot = start
    while len(out) < n:
        clock = slot + timedelta(minutes=rng.randint(0, 25))
        for _ in range(min(rng.randint(9, 16), n - len(out))):
            w = words[len(out)]
            lead = round(8 + 2.2 * w + rng.uniform(3, 40) if w else rng.uniform(3, 9), 3)
            clock += timedelta(seconds=lead + rng.randint(4, 50))
            out.append((clock, lead))
        slot = _next_slot(rng, slot)
    return out


def _next_slot(rng: random.Random, slot: datetime) -> datetime:
    while True:
        if slot.hour < 12:
            slot = slot.replace(hour=14, minute=0)
        else:
            slot = (slot + timedelta(days=1)).replace(hour=9, minute=30)
        if slot.weekday() < 5 and (slot.day >= 10 or rng.random() < 0.55):
            return slot


def build(rng: random.Random) -> list[dict[str, str]]:
    with open(SURVEY, encoding="utf-8", newline="") as handle:
        survey = list(csv.DictReader(handle))
    units = [(f"{row['org_id']}:{q}", q, row[col]) for q, col in QUESTIONS.items() for row in survey]
    coded: dict[str, dict[str, tuple[list[str], str]]] = {AMIRA: {}, BEN: {}}
    for rid, question, text in units:
        if " ".join(text.split()).casefold() in NON_SUBSTANTIVE:
            coded[AMIRA][rid] = coded[BEN][rid] = ([""], "")
            continue
        codes = rule_codes(question, text)
        memo = next((m for phrase, m in AMIRA_MEMOS.items() if phrase in text), "")
        if memo.startswith("not remote") and "remote_delivery" in codes:
            memo = ""  # the answer names remote delivery elsewhere
        coded[AMIRA][rid] = (codes, memo)
        coded[BEN][rid] = second_coder(rng, question, text, codes)
    words = [len(text.split()) for _, _, text in units]
    when = {
        AMIRA: schedule(rng, datetime(2021, 2, 1, 9, 30), len(units), words),
        BEN: schedule(rng, datetime(2021, 2, 2, 14, 0), len(units), words),
    }
    stamps = sorted((when[c][i][0], c, units[i][0]) for c in when for i in range(len(units)))
    annotation_id = {(c, rid): n for n, (_, c, rid) in enumerate(stamps, 1)}
    rows = []
    for i, (rid, question, _) in enumerate(units):
        for coder in (AMIRA, BEN):
            codes, memo = coded[coder][rid]
            at, lead = when[coder][i]
            for n, code in enumerate(codes):
                rows.append({
                    "response_id": rid, "question": question, "coder": coder, "code": code,
                    "source": "human", "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "codebook_version": CODEBOOK_VERSION, "memo": memo if n == 0 else "",
                    "annotation_id": str(annotation_id[(coder, rid)]), "lead_time": f"{lead:.3f}",
                    "status": "submitted", "unclear": str(memo in BORDERLINE.values()),
                })
    return rows + adjudication(random.Random(SEED + 1), units, coded)


def adjudication(rng: random.Random, units: list[tuple[str, str, str]],
                 coded: dict[str, dict[str, tuple[list[str], str]]]) -> list[dict[str, str]]:
    """Chloe's decisions on the answers where Amira and Ben differ (source "adjudication").

    She reads both codings against the codebook: mostly Amira's reading stands, but
    she accepts an extra code of Ben's in about half the cases, as a lead coder would.
    """
    rows = []
    clock = datetime(2021, 2, 15, 10, 0)
    for rid, question, _ in units:
        amira, ben = coded[AMIRA][rid][0], coded[BEN][rid][0]
        if set(amira) == set(ben):
            continue
        extra = [c for c in ben if c not in amira]
        codes = list(amira)
        if extra and len(ben) > len(amira) and rng.random() < 0.5:
            codes += extra[:1]
            memo = f"accepted {extra[0]}: the answer supports both readings"
        else:
            memo = "Amira's reading fits the codebook's include notes"
        clock += timedelta(minutes=rng.randint(2, 9))
        for n, code in enumerate(codes[:3]):
            rows.append({
                "response_id": rid, "question": question, "coder": CHLOE, "code": code,
                "source": "adjudication", "timestamp": clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "codebook_version": CODEBOOK_VERSION, "memo": memo if n == 0 else "",
                "annotation_id": "", "lead_time": "", "status": "submitted", "unclear": "False",
            })
    return rows


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "coding_table.csv"
    rows = build(random.Random(SEED))
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv)
