"""Write the bundled sample survey, ``survey.csv``, deterministically.

The data are INVENTED. They are modelled on the published executive summary
of the Coram-i National Innovation Survey of Children's Services (December
2020 to January 2021; 41 organisations), so that the headline proportions
match it, but no answer here is a real respondent's answer.

Usage::

    python3 examples/innovation-survey/make_survey.py [OUTPUT.csv]

Without an argument it writes ``survey.csv`` beside this script. Only the
standard library is used and the random generator is seeded, so the output is
the same byte for byte on every run and platform.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

SEED = 2021

COLUMNS = [
    "org_id", "org_type",
    "challenge_adolescent_mental_health", "challenge_placement_sufficiency",
    "challenge_adolescent_safeguarding", "challenge_youth_crime",
    "challenge_recruiting_carers", "challenge_workforce", "challenge_other",
    "innovation_level", "dedicated_innovation_resources", "invests_game_changing",
    "encourage_radical", "barriers_text", "practice_text", "radical_text",
]

LA, IFA, VAA, CHARITY = (
    "local authority", "independent fostering agency", "voluntary adoption agency", "charity",
)

# Exact calibration, per organisation type: how many of each type have the
# property. The executive summary gives: 84% of LAs name adolescent mental
# health; 39% of all organisations innovate radically; about half of LAs and
# charities have dedicated innovation resources, most IFAs and VAAs do not;
# three times as many LAs as IFAs invest in game-changing innovation.
N_TYPE = {LA: 19, IFA: 9, VAA: 6, CHARITY: 7}
N_MENTAL_HEALTH = {LA: 16, IFA: 4, VAA: 2, CHARITY: 5}
N_RADICAL = {LA: 8, IFA: 3, VAA: 1, CHARITY: 4}  # 16 of 41
N_TACTICAL = {LA: 7, IFA: 3, VAA: 2, CHARITY: 2}  # the rest are incremental
N_DEDICATED = {LA: 10, IFA: 2, VAA: 1, CHARITY: 4}
N_GAME_CHANGING = {LA: 6, IFA: 2, VAA: 1, CHARITY: 2}
# What would most encourage radical innovation: about half external seed
# funding, 20% joining with others, 20% evidence of efficacy, the rest other.
ENCOURAGE = (
    ["external seed funding"] * 20 + ["joining with others"] * 8
    + ["evidence of efficacy"] * 8 + ["other"] * 5
)

# Among LAs the summary ranks the challenges: adolescent mental health, then
# placement sufficiency, adolescent safeguarding and youth crime. These LA
# counts are exact; other challenges and other types are drawn at random.
N_LA_CHALLENGE = {
    "challenge_placement_sufficiency": 14, "challenge_adolescent_safeguarding": 10,
    "challenge_youth_crime": 9,
}
# Probability of naming each other challenge, by organisation type.
CHALLENGE_P = {
    "challenge_placement_sufficiency": {LA: 0.75, IFA: 0.55, VAA: 0.35, CHARITY: 0.3},
    "challenge_adolescent_safeguarding": {LA: 0.6, IFA: 0.2, VAA: 0.1, CHARITY: 0.45},
    "challenge_youth_crime": {LA: 0.45, IFA: 0.1, VAA: 0.0, CHARITY: 0.4},
    "challenge_recruiting_carers": {LA: 0.3, IFA: 0.9, VAA: 0.85, CHARITY: 0.1},
    "challenge_workforce": {LA: 0.35, IFA: 0.2, VAA: 0.2, CHARITY: 0.3},
    "challenge_other": {LA: 0.1, IFA: 0.1, VAA: 0.35, CHARITY: 0.3},
}

# ---------------------------------------------------------------------------
# Free text. Each topic has short fragments (noun phrases, lower case) and
# whole sentences written by hand; an answer combines one to three topics in
# one of several shapes, so no two answers share a template.
# ---------------------------------------------------------------------------

BARRIER_FRAGS = {
    "funding": [
        "lack of funding", "no money for pilots", "short-term grant funding", "budget pressures",
        "tight budgets", "shrinking budgets year on year", "no ring-fenced money for innovation",
        "financial constraints", "the cost of double running a new service alongside the old one",
        "funding",
    ],
    "skills": [
        "[LA,IFA,VAA] recruiting and keeping experienced social workers", "not enough skilled staff",
        "high staff turnover", "reliance on agency staff", "a shortage of people with the right skills",
        "finding staff with project management skills", "[LA] losing good managers to neighbouring councils",
    ],
    "capability": [
        "limited capability to evaluate what we do", "no in-house innovation expertise",
        "weak data and IT systems", "not knowing where to start",
        "little experience of service design", "an outdated case management system",
    ],
    "risk": [
        "risk aversion", "fear of failure", "a risk-averse approach at senior level",
        "reluctance to try anything unproven", "nervousness about getting it wrong",
    ],
    "regulation": [
        "Ofsted and regulatory requirements", "the regulatory framework",
        "[IFA,LA] fostering regulations that leave little room to do things differently",
        "inspection pressure",
    ],
    "politics": [
        "the political cycle", "changing political priorities", "[LA] short-termism around elections",
        "constant shifts in national policy",
    ],
    "time": [
        "no time", "lack of headspace", "day to day firefighting", "capacity",
        "no protected time for development work",
    ],
    "demand": [
        "rising demand", "more children coming into care", "the volume of referrals",
        "increasingly complex needs",
    ],
    "other": [
        "procurement rules", "being a very small organisation", "the geography of a rural county",
    ],
}

BARRIER_SENTS = {
    "funding": [
        "There is simply no spare budget to test new ideas.",
        "[LA] Our budget is fully committed to statutory services so there is nothing left for development work.",
        "Most funding comes one year at a time, which makes it hard to plan anything ambitious.",
        "A decade of funding cuts has stripped out the slack we used to have.",
        "Grant funding tends to be short term and tied to outputs rather than learning.",
        "We can't fund a pilot and keep the existing service running at the same time.",
        "[IFA,VAA,CH] Commissioners say they want innovation but won't pay the set up costs.",
        "[CH] As a small charity we rely on trusts and foundations and that money is very competitive at the moment.",
        "Money. Every good idea we have stalls at the business case stage.",
    ],
    "skills": [
        "We struggle to recruit and retain experienced social workers, so teams are always stretched.",
        "High turnover means the people who understood a new approach leave before it beds in.",
        "We don't have enough people with the skills to design and run a new service.",
        "Too many agency workers, which makes it hard to build anything that lasts.",
        "There is a real shortage of qualified staff locally and the good ones get poached.",
        "[IFA,LA] Finding supervising social workers with the right experience is a constant battle.",
    ],
    "capability": [
        "We lack the capability to take an idea from concept to a tested model.",
        "Our case management system makes it very hard to get the data we would need to show impact.",
        "Nobody here has run a proper service design process before.",
        "We have no way of evaluating whether something has actually worked.",
        "Limited know-how about scaling things up once a pilot has finished.",
    ],
    "risk": [
        "Everyone is nervous about trying something that might go wrong when children's safety is involved.",
        "There is a fear that if a new approach fails it will end up in the local paper.",
        "Leaders understandably play it safe.",
        "Appetite for risk is low, especially after a difficult inspection.",
        "Risk aversion at every level, from the front line to the board.",
    ],
    "regulation": [
        "[IFA,LA] The fostering regulations are quite prescriptive and we worry how Ofsted would view a new model.",
        "Inspection frameworks reward compliance rather than creativity.",
        "[VAA,LA] Adoption regulations and panel processes make it hard to change how we work.",
        "Regulation: anything outside the standard model needs a lot of justification to the regulator.",
    ],
    "politics": [
        "[LA] Members want quick wins before the next election, which does not fit a three year change programme.",
        "[LA] Priorities shift every time there is a new lead member.",
        "National policy keeps changing, so it's hard to commit to anything long term.",
        "The political cycle works against long term investment.",
    ],
    "time": [
        "Managers are firefighting and there is no protected time to think.",
        "Staff don't have the headspace to think about doing things differently when caseloads are this high.",
        "COVID has taken up all our capacity this year.",
        "Everyone is too busy with the day job.",
    ],
    "demand": [
        "Demand keeps rising, particularly for older teenagers with complex needs.",
        "The sheer volume of referrals means we are always reacting.",
        "More children with complex needs and nowhere near enough placements.",
        "Demand for our services has gone up sharply since the first lockdown.",
    ],
    "other": [
        "Procurement rules make it slow to bring in a new partner.",
        "We cover a very rural area, so what works in a city doesn't always translate.",
        "Getting health partners to the table is hard.",
    ],
}

PRACTICE_SENTS = {
    "remote": [
        "[LA,IFA,VAA] Moving family time, reviews and panels online during COVID-19, which has worked better than expected for some families.",
        "[IFA,LA] During the pandemic we moved foster carer training to Zoom and attendance actually went up.",
        "Remote delivery of therapeutic support by video call since March.",
        "[VAA] Virtual adoption panels and online preparation groups for adopters since the first lockdown.",
        "[CH,LA] Digital youth work: running our sessions on Discord and Instagram live when we couldn't meet face to face.",
        "[LA,CH] WhatsApp groups and doorstep visits to keep in touch with young people during COVID.",
        "[LA] Virtual child protection conferences. Parents tell us they find them less intimidating.",
        "All our support groups went online during lockdown and some will stay that way.",
        "[VAA,LA,IFA] Online life story work sessions with children during the pandemic.",
    ],
    "schools": [
        "Social Work in Schools: social workers based in our secondary schools.",
        "We are part of the Social Work in Schools trial, with social workers placed in ten secondary schools.",
        "Placing social workers in schools so that concerns are picked up earlier.",
        "Social workers embedded in schools.",
    ],
    "fgc": [
        "Family group conferencing at the front door.",
        "Expanding family group conferences so families make the plan first.",
        "Family Group Conferencing for children on the edge of care, with families coming up with their own plans.",
    ],
    "adolescent": [
        "An edge of care hub for adolescents, with outreach workers available in the evenings and at weekends.",
        "An adolescent support team bringing together youth workers, CAMHS and social workers.",
        "An adolescent hub offering short breaks and intensive support to keep teenagers at home.",
        "A multi-agency edge-of-care service for 11 to 17 year olds.",
    ],
    "contextual": [
        "Contextual safeguarding: mapping the peer groups and places where young people are at risk of exploitation.",
        "Introducing contextual safeguarding for young people at risk from county lines.",
        "Contextual safeguarding work with local businesses and transport police around exploitation.",
    ],
    "carers": [
        "[IFA,LA] The Mockingbird model, where a hub carer supports a constellation of six to ten fostering households.",
        "[IFA,LA] We started two Mockingbird constellations last year.",
        "[IFA,LA] Recruiting foster carers digitally through targeted social media adverts and online information evenings.",
        "[IFA,LA] A digital recruitment campaign for foster carers, with online enquiries and virtual initial visits.",
        "[LA,VAA,CH] Support groups for special guardians.",
        "[VAA] Recruiting adopters through online information events and a new website.",
        "[VAA] Early permanence placements, with foster to adopt carers supported by a dedicated worker.",
    ],
    "peer": [
        "[LA,CH,IFA] Peer mentoring for care leavers by young people who have been in care themselves.",
        "[VAA,LA] An adopter buddy scheme: experienced adopters mentor new ones.",
        "[CH,LA] Peer mentors for young people leaving custody.",
        "[IFA,LA] A peer mentoring scheme pairing experienced foster carers with newly approved ones.",
    ],
    "trauma": [
        "Trauma-informed training for all staff and carers.",
        "[IFA,LA] Every foster carer has been trained in trauma-informed approaches and therapeutic parenting.",
        "Trauma informed practice across the service, including with schools.",
        "[VAA] Trauma-informed training for adopters before and after placement.",
    ],
    "data": [
        "A data dashboard that lets team managers see caseloads and timeliness in real time.",
        "Power BI dashboards to track outcomes for children in care.",
        "Using our data to predict which families are likely to need help, with an ethics panel overseeing it.",
    ],
    "other": [
        "[LA,CH] Co-locating our team with housing and the police.",
        "[LA] A joint commissioning framework for residential placements with neighbouring authorities.",
        "[LA,CH] Opening our own small children's homes for one or two young people.",
        "[IFA,VAA,CH] A four day week for staff, which has helped wellbeing and retention.",
    ],
}

RADICAL_SENTS = {
    "seed": [
        "External seed funding to cover the start up and double running costs.",
        "Seed funding would make the biggest difference, even a small pot to test an idea.",
        "[LA] Pump priming money from outside the council.",
        "Access to innovation grants.",
        "Seed money for a pilot, so we are not taking it out of frontline budgets.",
    ],
    "funding": [
        "More money, frankly.",
        "A longer term funding settlement so we can plan beyond one year.",
        "Multi-year funding rather than one-off pots.",
        "Funding that is not tied to hitting numbers in the first six months.",
    ],
    "partners": [
        "[LA] Joining with other authorities in the region so the risk and the cost are shared.",
        "Working in partnership with other agencies and a university.",
        "[IFA] Being part of a consortium of IFAs.",
        "[VAA] Collaboration with other VAAs so we are not each reinventing the wheel.",
        "[CH] Partnering with a local authority that would commission the service if it works.",
        "Joining with others - nobody can do this alone.",
    ],
    "evidence": [
        "Evidence that the approach works elsewhere, ideally from a proper evaluation.",
        "Robust evidence of efficacy before we commit.",
        "[LA] Seeing it working in a similar authority first.",
        "[IFA,VAA,CH] Seeing it working in a similar organisation first.",
        "Independent evaluation built in from the start.",
    ],
    "time": [
        "Protected time for staff to develop ideas.",
        "Capacity: a small team that is not pulled back into operational work.",
        "Time to think.",
    ],
    "leadership": [
        "[LA] Senior leadership and elected member backing.",
        "Permission to fail from the top.",
        "[IFA,VAA,CH] Support from our board of trustees to take some risk.",
    ],
    "regulation": [
        "Some flexibility from Ofsted and the DfE to try things outside the regulations.",
        "A regulatory sandbox where we could test a new model without being marked down.",
    ],
    "expertise": [
        "Access to innovation expertise and coaching.",
        "Support with service design and evaluation from an external partner.",
        "Someone to help us write a proper business case.",
    ],
}

OPENERS = ["", "", "", "Honestly, ", "Mainly ", "For us, ", "Probably ", "In short, "]
CLOSERS = [
    "", "", "", "", " It is frustrating.", " This has got worse since COVID.",
    " Same as most places, I imagine.", " Hope that helps.", " All of this is connected.",
]
LIST_LEADS = ["Main barriers are ", "For us it's ", "Mainly ", "", "", "Key ones: "]
TYPOS = {
    "funding": "fundng", "receive": "recieve", "government": "goverment", "separate": "seperate",
    "definitely": "definately", "necessary": "neccessary", "their": "thier",
    "experienced": "experianced", "budget": "budjet", "foster": "fotser",
}

# Hand-written answers for particular organisations: (question, column, value,
# k) picks the k-th organisation (0-based, file order) whose column has that
# value. They carry the non-substantive answers, the one duplicate, names and
# places, and a few long or unusual replies.
SPECIAL = [
    ("barriers", "org_type", IFA, 1, "N/A"),
    ("barriers", "org_type", LA, 5, (
        "Culture isn't really the problem here, staff are keen to try new things. It is the money "
        "and the fact that we can't recruit experienced social workers fast enough."
    )),
    ("barriers", "org_type", LA, 9, (
        "Honestly the biggest barrier is funding. We had a really good proposal for an adolescent "
        "hub in Northfield worked up with the police and health, and it stalled because nobody "
        "could find the money for the first two years before savings show up. Then the lead "
        "member changed and priorities moved on. I think that is a very typical story for a "
        "local authority right now."
    )),
    ("barriers", "org_type", IFA, 5,
     "Some of it is culture - 'we've always done it this way' in a few teams. And time."),
    ("barriers", "org_type", CHARITY, 4, "Money, skills, time."),
    ("practice", "org_type", VAA, 2, "don't know"),
    ("practice", "org_type", LA, 7, (
        "Our Social Work in Schools pilot in Northfield and Eastbrook: two social workers and a "
        "family support worker sit in each school, run drop-ins and take part in pastoral "
        "meetings. Early signs are fewer contacts to the front door from those schools and much "
        "better relationships with heads. We have also kept virtual visits as an option for "
        "families who preferred them during lockdown."
    )),
    ("practice", "org_type", LA, 13, ""),
    ("practice", "org_type", IFA, 6, (
        "Mockingbird, plus we are trialling a peer mentoring scheme for new carers run by "
        "Denise Hartley, one of our longest serving foster carers."
    )),
    ("radical", "org_type", CHARITY, 2, "see above"),
    ("radical", "org_type", LA, 11, (
        "Seed funding, and a director who will back it. Our director Sarah Collins has been "
        "brilliant at protecting our small innovation team but that only gets you so far "
        "without external money."
    )),
    ("radical", "encourage_radical", "external seed funding", 3,
     "Seed funding and time to test ideas properly."),
    ("radical", "encourage_radical", "external seed funding", 15,
     "SEED FUNDING AND TIME  TO TEST IDEAS PROPERLY."),
    ("radical", "org_type", LA, 17, "N/A"),
]


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


TYPE_TAGS = {"LA": LA, "IFA": IFA, "VAA": VAA, "CH": CHARITY}


def _allowed(entry: str, org_type: str) -> bool:
    """A phrase tagged ``[IFA,VAA] ...`` only suits those organisation types."""
    if not entry.startswith("["):
        return True
    tags = entry[1:entry.index("]")].split(",")
    return org_type in {TYPE_TAGS[t] for t in tags}


def _untag(entry: str) -> str:
    return entry[entry.index("] ") + 2:] if entry.startswith("[") else entry


class Writer:
    """Draws phrases that suit an organisation, not repeating one until its pool is used up."""

    def __init__(self, rng: random.Random, pools: dict[str, list[str]]):
        self.rng = rng
        self.pools = pools
        self.left: dict[str, list[str]] = {}

    def take(self, topic: str, org_type: str) -> str:
        for refill in (False, True):
            if refill or topic not in self.left:
                self.left[topic] = list(self.pools[topic])
                self.rng.shuffle(self.left[topic])
            for n, entry in enumerate(self.left[topic]):
                if _allowed(entry, org_type):
                    return _untag(self.left[topic].pop(n))
        raise ValueError(f"no '{topic}' phrase suits a {org_type}")


def _typo(rng: random.Random, text: str) -> str:
    words = [w for w in TYPOS if w in text]
    if not words:
        return text
    word = rng.choice(sorted(words))
    return text.replace(word, TYPOS[word], 1)


def barrier_topics(rng: random.Random, org_type: str) -> list[str]:
    weights = {
        "funding": 10, "skills": 8, "capability": 4, "risk": 2, "regulation": 0.9,
        "politics": 0.8 if org_type == LA else 0.2, "time": 2, "demand": 2, "other": 0.6,
    }
    if org_type in (IFA, VAA):
        weights["regulation"] = 2.5
    k = rng.choices([1, 2, 3], weights=[3, 5, 2])[0]
    chosen: list[str] = []
    while len(chosen) < k:
        topic = rng.choices(list(weights), weights=list(weights.values()))[0]
        risk_family = {"risk", "regulation", "politics"}
        if topic in chosen or (topic in risk_family and risk_family & set(chosen)):
            continue
        chosen.append(topic)
    return chosen


def barrier_answer(rng: random.Random, frags: Writer, sents: Writer, org_type: str) -> str:
    topics = barrier_topics(rng, org_type)
    shape = rng.choice(["list", "sentences", "sentences", "mixed", "numbered"])
    if shape == "list":
        text = rng.choice(LIST_LEADS) + _join([frags.take(t, org_type) for t in topics]) + "."
        text = _cap(text)
    elif shape == "numbered" and len(topics) > 1:
        text = " ".join(f"{i}) {frags.take(t, org_type)}" for i, t in enumerate(topics, 1))
    elif shape == "mixed" and len(topics) > 1:
        head = _cap(frags.take(topics[0], org_type)) + "."
        text = " ".join([head] + [sents.take(t, org_type) for t in topics[1:]])
    else:
        opener = rng.choice(OPENERS)
        body = " ".join(sents.take(t, org_type) for t in topics)
        text = opener + (body[:1].lower() + body[1:] if opener else body)
        text += rng.choice(CLOSERS)
    if len(text.split()) < 3:
        text = _cap(frags.take(topics[0], org_type)) + " and " + frags.take("time", org_type) + "."
    return text


PRACTICE_WEIGHTS = {
    LA: {"remote": 4, "schools": 2.5, "fgc": 2, "adolescent": 2.5, "contextual": 2, "carers": 1,
         "peer": 0.7, "trauma": 1, "data": 1.5, "other": 0.8},
    IFA: {"remote": 4, "carers": 4, "peer": 1.5, "trauma": 2.5, "data": 0.8, "other": 0.5},
    VAA: {"remote": 4, "carers": 1.5, "peer": 3, "trauma": 2, "other": 0.5},
    CHARITY: {"remote": 4, "peer": 2.5, "trauma": 2, "adolescent": 1.5, "contextual": 1.5,
              "data": 0.7, "other": 0.8},
}
PRACTICE_LEADS = [
    "", "", "", "We have been doing ", "One example: ", "Probably our best example is ",
    "The one I'd pick is ",
]
PRACTICE_TAILS = [
    "", "", "", "", " Still early days.", " It has been well received by families.",
    " Evaluation is under way.", " We'd be happy to share what we've learnt.",
    " It started as a response to COVID but is now business as usual.",
]


def practice_answer(rng: random.Random, sents: Writer, org_type: str) -> str:
    weights = PRACTICE_WEIGHTS[org_type]
    k = rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
    topics: list[str] = []
    while len(topics) < k:
        topic = rng.choices(list(weights), weights=list(weights.values()))[0]
        if topic not in topics:
            topics.append(topic)
    parts = [sents.take(t, org_type) for t in topics]
    lead = rng.choice(PRACTICE_LEADS)
    first_word = parts[0].split()[0]
    if lead and first_word in ("A", "An", "The"):
        # "One example: a data dashboard ..." reads naturally; other openings do not.
        parts[0] = lead + first_word.lower() + parts[0][len(first_word):]
    text = " ".join(parts) + rng.choice(PRACTICE_TAILS)
    return text


RADICAL_BY_CHOICE = {
    "external seed funding": ["seed", "seed", "funding"],
    "joining with others": ["partners"],
    "evidence of efficacy": ["evidence"],
    "other": ["time", "leadership", "regulation", "expertise"],
}
RADICAL_EXTRA = ["funding", "partners", "evidence", "time", "leadership", "regulation", "expertise"]


def radical_answer(
    rng: random.Random, sents: Writer, frags: dict[str, str], choice: str, org_type: str
) -> str:
    topics = [rng.choice(RADICAL_BY_CHOICE[choice])]
    if rng.random() < 0.45:
        extra = rng.choice(RADICAL_EXTRA)
        if extra not in topics:
            topics.append(extra)
    shape = rng.random()
    if shape < 0.25 and len(topics) == 2:
        return _cap(frags[topics[0]]) + " and " + frags[topics[1]] + "."
    text = " ".join(sents.take(t, org_type) for t in topics)
    if shape > 0.8:
        text += rng.choice([
            " Without that it stays at the margins.", " That would change things for us.",
            " We have ideas, we just can't get them off the ground.",
        ])
    return text


RADICAL_FRAGS = {
    "seed": "seed funding", "funding": "longer term funding", "partners": "joining with others",
    "evidence": "evidence of what works", "time": "protected time",
    "leadership": "backing from the top", "regulation": "regulatory flexibility",
    "expertise": "access to expertise",
}


def _exact(rng: random.Random, idx: list[int], n: int) -> set[int]:
    return set(rng.sample(idx, n))


def build_rows(rng: random.Random) -> list[dict[str, str]]:
    types = [t for t, n in N_TYPE.items() for _ in range(n)]
    rng.shuffle(types)
    by_type = {t: [i for i, x in enumerate(types) if x == t] for t in N_TYPE}
    mental = set().union(*(_exact(rng, by_type[t], N_MENTAL_HEALTH[t]) for t in N_TYPE))
    level = {}
    game = set()
    dedicated = set()
    for t, idx in by_type.items():
        order = list(idx)
        rng.shuffle(order)
        radical = order[: N_RADICAL[t]]
        tactical = order[N_RADICAL[t]: N_RADICAL[t] + N_TACTICAL[t]]
        for i in idx:
            level[i] = "radical" if i in radical else "tactical" if i in tactical else "incremental"
        # Game-changing investment goes mostly with radical innovators.
        pool = radical + [i for i in order if i not in radical]
        game |= set(pool[: N_GAME_CHANGING[t]])
        dedicated |= _exact(rng, idx, N_DEDICATED[t])
    encourage = list(ENCOURAGE)
    rng.shuffle(encourage)

    bfrags, bsents = Writer(rng, BARRIER_FRAGS), Writer(rng, BARRIER_SENTS)
    psents, rsents = Writer(rng, PRACTICE_SENTS), Writer(rng, RADICAL_SENTS)
    seen: set[str] = set()

    def fresh(compose, *args) -> str:
        # Redraw until the answer differs from every earlier one: the only
        # duplicate in the survey is the planned one in SPECIAL.
        while True:
            text = compose(*args)
            key = " ".join(text.split()).casefold()
            if key not in seen:
                seen.add(key)
                return text

    rows = []
    for i, org_type in enumerate(types):
        row = {"org_id": f"ORG{i + 1:02d}", "org_type": org_type}
        row["challenge_adolescent_mental_health"] = "1" if i in mental else "0"
        for col, p in CHALLENGE_P.items():
            row[col] = "1" if rng.random() < p[org_type] else "0"
        row["innovation_level"] = level[i]
        row["dedicated_innovation_resources"] = "yes" if i in dedicated else "no"
        row["invests_game_changing"] = "yes" if i in game else "no"
        row["encourage_radical"] = encourage[i]
        row["barriers_text"] = fresh(barrier_answer, rng, bfrags, bsents, org_type)
        row["practice_text"] = fresh(practice_answer, rng, psents, org_type)
        row["radical_text"] = fresh(
            radical_answer, rng, rsents, RADICAL_FRAGS, encourage[i], org_type
        )
        rows.append(row)
    _calibrate_la_challenges(rows)
    special = set()
    for question, column, value, k, text in SPECIAL:
        row = [r for r in rows if r[column] == value][k]
        row[f"{question}_text"] = text
        special.add((row["org_id"], question))
    for n, i in enumerate(rng.sample(range(len(rows)), 6)):
        question = ["barriers", "practice", "radical"][n % 3]
        if (rows[i]["org_id"], question) not in special:
            rows[i][f"{question}_text"] = _typo(rng, rows[i][f"{question}_text"])
    return rows


def _calibrate_la_challenges(rows: list[dict[str, str]]) -> None:
    """Set the LA challenge counts exactly, changing as few LAs as possible."""
    las = [r for r in rows if r["org_type"] == LA]
    for col, target in N_LA_CHALLENGE.items():
        ticked = [r for r in las if r[col] == "1"]
        for r in reversed(ticked[target:]):
            r[col] = "0"
        for r in [r for r in las if r[col] == "0"][: max(0, target - len(ticked))]:
            r[col] = "1"
    for row in rows:  # everyone named at least one challenge
        if not any(row[c] == "1" for c in COLUMNS[2:9]):
            row["challenge_placement_sufficiency" if row["org_type"] != LA else "challenge_workforce"] = "1"


def _check(rows: list[dict[str, str]]) -> None:
    """Refuse to write a survey with an accidental duplicate answer."""
    for col in ("barriers_text", "practice_text", "radical_text"):
        seen: dict[str, str] = {}
        dups = []
        for row in rows:
            key = " ".join(row[col].split()).casefold()
            if key in ("", "n/a", "don't know", "see above"):
                continue
            if key in seen:
                dups.append((seen[key], row["org_id"]))
            seen[key] = row["org_id"]
        planned = 1 if col == "radical_text" else 0
        if len(dups) != planned:
            raise SystemExit(f"{col}: unplanned duplicate answers {dups}; change SEED or the pools")


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("survey.csv")
    rows = build_rows(random.Random(SEED))
    _check(rows)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv)
