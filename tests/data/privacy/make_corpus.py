"""Generate the planted-PII corpus: synthetic survey answers with labelled spans.

Everything here is invented. Phone numbers come from Ofcom's drama ranges
(07700 900xxx, 020 7946 0xxx, 0113 496 0xxx, ...), e-mail domains are
example.org/.com/.net or made up, NHS numbers are random numbers that pass the
mod-11 check, NI numbers use valid prefixes with random digits, and people,
schools, surgeries and streets are drawn from hand-written pools.

Two splits with *different* templates and name pools:

- ``dev.jsonl``: used while writing and tuning the recognisers;
- ``heldout.jsonl``: written once and never looked at while tuning; its
  templates, first names and places do not occur in ``dev``.

Run ``python tests/data/privacy/make_corpus.py`` to rewrite both files
(seeded: the output is byte-identical from run to run).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).parent

# --------------------------------------------------------------------------- pools

DEV_FIRST = ["Sarah", "James", "Aisha", "Tom", "Priya", "Daniel", "Chloe", "Mohammed", "Emma",
             "Liam", "Fatima", "Oliver", "Grace", "Kwame", "Hannah", "Ryan", "Zara", "Callum",
             "Megan", "Imran", "Lucy", "Jack", "Sophie", "Ahmed", "Bethany", "Connor", "Niamh",
             "Rose", "Hope", "Will", "Mark"]
DEV_SURNAME = ["Jones", "Smith", "Patel", "Khan", "Williams", "Taylor", "Brown", "Davies",
               "Evans", "Wilson", "Thomas", "Roberts", "Hughes", "Ahmed", "Okafor", "Murphy",
               "Walsh", "Campbell", "Begum", "Hussain", "Clarke", "Wright", "Green", "Hall"]
HELD_FIRST = ["Rebecca", "Nathan", "Leanne", "Tariq", "Joanne", "Marcus", "Shabana", "Gareth",
              "Kerry", "Dylan", "Amelia", "Yusuf", "Stacey", "Kieran", "Natalie", "Femi", "Ellie",
              "Martin", "Jasmine", "Wayne", "Abigail", "Rhys", "Charlotte", "Deepak", "Joy",
              "Faith", "Amber", "Bill"]
HELD_SURNAME = ["Harrison", "Lewis", "Robinson", "Bibi", "Mensah", "Kowalski", "Ali", "Shaw",
                "Fletcher", "Doyle", "Kaur", "Singh", "Price", "Reid", "Turner", "Baker", "Moore",
                "Ward", "Cooper", "Nowak"]

DEV_SCHOOL = ["Hillside Primary", "Oakfield Academy", "St Mary's Primary School",
              "Greenbank High School", "Meadowview Infant School", "Riverside Primary",
              "Castle Hill Academy", "Brookfield Junior School", "Westwood High School"]
HELD_SCHOOL = ["Holy Trinity Primary", "Parkside Academy", "Fairfield Community School",
               "Ashgrove Junior School", "Kingsmead Primary School", "Beacon Hill Academy"]
DEV_GP = ["Parkview Surgery", "Elm Tree Surgery", "Church Lane Surgery", "Market Street Surgery",
          "Valley Medical Centre"]
HELD_GP = ["Rosemount Surgery", "The Grove Medical Centre", "Abbey Health Centre",
           "Station Road Surgery"]
DEV_STREET = ["Acacia Road", "Mill Lane", "Victoria Street", "Orchard Close", "Beech Avenue",
              "Chapel Road", "Park Crescent", "Windsor Drive"]
HELD_STREET = ["Cromwell Road", "Laburnum Grove", "Sycamore Way", "High Street", "Nelson Terrace",
               "Hawthorn Gardens"]
DEV_PLACE = ["Northfield", "Eastbrook", "Hollinwood"]
HELD_PLACE = ["Southmere", "Ashby Vale"]

DOMAINS = ["example.org", "example.com", "example.net", "council.example.gov.uk", "mail.example.co.uk"]
POSTCODE_AREAS = ["LS", "M", "B", "NE", "BS", "SW", "EC", "W", "CR", "L", "S", "NG", "CF", "EH",
                  "G", "BN", "OX", "CB", "YO", "HU", "DN", "WF", "BD", "HX", "PR", "BB"]
ALLOWED = ["Ofsted", "Mockingbird", "Social Work in Schools", "Leeds City Council",
           "Kent County Council", "Birmingham", "Manchester City Council", "the DfE", "CAMHS",
           "Zoom", "WhatsApp", "Family Hubs", "Barnardo's", "the NSPCC"]


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        if digits[0] == 0:
            continue
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check == 10:
            continue
        return "".join(map(str, digits)) + str(check)


NI_BAD_FIRST, NI_BAD_SECOND = set("DFIQUV"), set("DFIOQUV")
NI_BAD_PAIR = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def ni_number(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        a, b = rng.choice(letters), rng.choice(letters)
        if a in NI_BAD_FIRST or b in NI_BAD_SECOND or a + b in NI_BAD_PAIR:
            continue
        return a + b + "".join(str(rng.randint(0, 9)) for _ in range(6)) + rng.choice("ABCD")


def postcode(rng: random.Random) -> str:
    area = rng.choice(POSTCODE_AREAS)
    district = str(rng.randint(1, 29 if len(area) == 2 else 9))
    if area in ("SW", "EC", "W") and rng.random() < 0.3:
        district = str(rng.randint(1, 9)) + rng.choice("ABCEHMNPRVWXY")
    inward = str(rng.randint(0, 9)) + rng.choice("ABDEFGHJLNPQRSTUWXYZ") + rng.choice(
        "ABDEFGHJLNPQRSTUWXYZ")
    return f"{area}{district} {inward}"


def phone(rng: random.Random) -> str:
    kind = rng.randrange(7)
    n3, n4 = rng.randint(0, 999), rng.randint(0, 999)
    if kind == 0:
        return f"07700 900{n3:03d}"
    if kind == 1:
        return f"07700900{n3:03d}"
    if kind == 2:
        return f"+44 7700 900{n3:03d}"
    if kind == 3:
        return f"020 7946 0{n4:03d}"
    if kind == 4:
        return f"(020) 7946 0{n4:03d}"
    if kind == 5:
        return f"0113 496 0{n4:03d}"
    return f"0161 496 0{n4:03d}"


# --------------------------------------------------------------------------- fillers


class Filler:
    """Fill ``{SLOT}`` markers, remembering the span of each planted value."""

    def __init__(self, rng: random.Random, first: list[str], surname: list[str], schools: list[str],
                 gps: list[str], streets: list[str], places: list[str]) -> None:
        self.rng, self.first, self.surname = rng, first, surname
        self.schools, self.gps, self.streets, self.places = schools, gps, streets, places

    def value(self, slot: str) -> tuple[str, str | None]:
        r = self.rng
        if slot == "NAME":
            return f"{r.choice(self.first)} {r.choice(self.surname)}", "PERSON"
        if slot in ("Mark", "Rose", "Hope", "Will", "Joy", "Bill"):  # a name that is also a word
            return slot, "PERSON"
        if slot == "FIRST":
            return r.choice(self.first), "PERSON"
        if slot == "name":  # lower case, as typed in a hurry
            return f"{r.choice(self.first)} {r.choice(self.surname)}".lower(), "PERSON"
        if slot == "first":
            return r.choice(self.first).lower(), "PERSON"
        if slot == "TITLE":
            return f"{r.choice(['Mrs', 'Mr', 'Ms', 'Dr', 'Miss'])} {r.choice(self.surname)}", "PERSON"
        if slot == "EMAIL":
            f, s = r.choice(self.first).lower(), r.choice(self.surname).lower()
            local = r.choice([f"{f}.{s}", f"{f[0]}{s}", f"{f}{r.randint(1, 99)}", f"{s}.{f}"])
            text = f"{local}@{r.choice(DOMAINS)}"
            return (text.upper() if r.random() < 0.1 else text), "EMAIL"
        if slot == "PHONE":
            return phone(r), "UK_PHONE"
        if slot == "POSTCODE":
            pc = postcode(r)
            form = r.randrange(4)
            pc = pc if form < 2 else pc.replace(" ", "") if form == 2 else pc.lower().replace(" ", "")
            return pc, "UK_POSTCODE"
        if slot == "NHS":
            n = nhs_number(r)
            form = r.randrange(3)
            text = n if form == 0 else f"{n[:3]} {n[3:6]} {n[6:]}" if form == 1 else f"{n[:3]}-{n[3:6]}-{n[6:]}"
            return text, "NHS_NUMBER"
        if slot == "NI":
            n = ni_number(r)
            text = n if r.random() < 0.5 else f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:8]} {n[8]}"
            return (text.lower() if r.random() < 0.15 else text), "UK_NI_NUMBER"
        if slot == "SCHOOL":
            return r.choice(self.schools), "SCHOOL"
        if slot == "GP":
            return r.choice(self.gps), "GP_SURGERY"
        if slot == "STREET":
            street = r.choice(self.streets)
            return (f"{r.randint(1, 140)} {street}" if r.random() < 0.5 else street), "STREET"
        if slot == "PLACE":
            return r.choice(self.places), "LOCATION"
        # distractors: never labelled
        if slot == "ALLOWED":
            return r.choice(ALLOWED), None
        if slot == "MONEY":
            return r.choice([f"£{r.randint(1, 999)},{r.randint(0, 999):03d},000",
                             f"£{r.randint(10000, 9999999)}", f"{r.randint(100, 999)}k"]), None
        if slot == "CASEREF":
            return r.choice([f"CR-{r.randint(2018, 2025)}-{r.randint(0, 999999):06d}",
                             f"{r.randint(1000, 9999)}-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
                             f"case {r.randint(10000000, 99999999)}",
                             f"ref {r.randint(2018, 2025)}/{r.randint(1, 99999):05d}"]), None
        if slot == "DATE":
            return r.choice([f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2019, 2025)}",
                             f"{r.randint(2019, 2025)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
                             f"{r.randint(1, 28)} March {r.randint(2019, 2025)}"]), None
        if slot == "COUNT":
            return f"{r.randint(1000, 99999):,}", None
        raise KeyError(slot)

    def fill(self, template: str) -> dict:
        text, spans, pos = "", [], 0
        for m in re.finditer(r"\{(\w+)\}", template):
            text += template[pos:m.start()]
            value, entity = self.value(m.group(1))
            if entity is not None:
                spans.append({"start": len(text), "end": len(text) + len(value), "entity": entity})
            text += value
            pos = m.end()
        text += template[pos:]
        if text and text[0].islower() and not (spans and spans[0]["start"] == 0):
            text = text[0].upper() + text[1:]
        return {"text": text, "spans": spans}


# --------------------------------------------------------------------------- templates

DEV_TEMPLATES = [
    "Our social worker {NAME} at {SCHOOL} has been a huge help to the family.",
    "Please call me on {PHONE} if you want to talk about this.",
    "You can reach me at {EMAIL} or on {PHONE}.",
    "I live at {STREET}, {POSTCODE}, and there is nothing for young people nearby.",
    "My son's NHS number is {NHS} but CAMHS still lost his referral.",
    "National Insurance number {NI}, in case you need to check my claim.",
    "{NAME} from the early help team visited twice and really listened.",
    "The family support worker, {FIRST}, made all the difference to us.",
    "We asked {TITLE} at {SCHOOL} but the waiting list was 18 months.",
    "Dr {NAME} at {GP} referred us in {DATE} and we heard nothing until {DATE}.",
    "Our budget went from {MONEY} to {MONEY} in three years.",
    "Case reference {CASEREF} was closed without anyone telling us.",
    "We worked with {ALLOWED} and {ALLOWED} on the pilot, which went well.",
    "{ALLOWED} inspected us last year and the report was fair.",
    "The hub on {STREET} closed, so families now travel to {PLACE}.",
    "i spoke to {name} and she said to email {EMAIL}",
    "my worker is {first}, she is lovely, ring her on {PHONE}",
    "postcode {POSTCODE} if you want to send the forms",
    "Send it to {STREET}, {PLACE} {POSTCODE} please.",
    "I hope the council will mark this as urgent; {COUNT} families are waiting.",
    "Numbers rose by 12% and we will need {MONEY} more next year.",
    "Thanks to {FIRST} and {FIRST} at {SCHOOL} for the after-school club.",
    "We moved the drop-in to {SCHOOL} on {STREET} and attendance doubled.",
    "The receptionist at {GP} was rude when I phoned on {DATE}.",
    "Our foster carer {NAME} ({EMAIL}) is happy to be contacted.",
    "NHS no. {NHS}, GP is {GP}.",
    "Contact {TITLE} on {PHONE} or at {EMAIL}.",
    "My NI number is {NI} and my postcode is {POSTCODE}.",
    "There is no youth club in {PLACE} since the one on {STREET} shut.",
    "Mockingbird has worked brilliantly for our carers; {NAME} runs the hub home.",
    "Social Work in Schools at {SCHOOL} means problems are picked up early.",
    "We have {COUNT} open cases and a budget of {MONEY}.",
    "Ring the duty desk on {PHONE}; ask for {FIRST}.",
    "{FIRST} said the panel meets on {DATE}.",
    "The head at {SCHOOL}, {TITLE}, refused to engage with us.",
    "Invoice {CASEREF} for {MONEY} is still unpaid.",
    "Our nursery manager {name} at {SCHOOL} knows the family well.",
    "He is registered at {GP}, NHS number {NHS}.",
    "Write to us at {STREET}, {POSTCODE}.",
    "Nothing to add, thanks.",
    "Funding is short term and tied to outputs, which makes planning hard.",
    "Staff turnover in {PLACE} is the biggest barrier.",
    "I hope {FIRST} will stay in post; {Mark} and {Rose} in the team are great too.",
    "We hope to mark the change; {Will} from the youth service will lead it.",
    "{Hope} at the contact centre rose to the challenge when referrals rose.",
]

HELD_TEMPLATES = [
    "Honestly the only person who helped was {NAME}, who works out of {GP}.",
    "Text me: {PHONE}. Evenings are best.",
    "e-mail {EMAIL} for the full evaluation",
    "Home address {STREET} {POSTCODE}.",
    "{FIRST} (our key worker) set up a WhatsApp group for the parents.",
    "The referral for NHS {NHS} went to {GP} by mistake.",
    "I gave my national insurance no {NI} three times and still no payment.",
    "When {TITLE} left {SCHOOL} the nurture group stopped.",
    "We spent {MONEY} on agency staff between {DATE} and {DATE}.",
    "Our ref is {CASEREF}; please quote it.",
    "Ofsted rated us good. {ALLOWED} funded the rest.",
    "kids from {SCHOOL} and {SCHOOL} share the same bus",
    "talk to {name} she knows everything about the scheme",
    "{NAME}, {NAME} and {FIRST} all left within a month.",
    "Landline {PHONE}, mobile {PHONE}.",
    "Send post to {STREET}, {PLACE}, {POSTCODE}",
    "Our family hub on {STREET} is open late on Thursdays.",
    "The school nurse at {SCHOOL} ({EMAIL}) did the assessments.",
    "{COUNT} children are on the waiting list, some since {DATE}.",
    "Please do not share my details. NI {NI}, postcode {POSTCODE}.",
    "Faith groups in {PLACE} have filled the gap since the cuts.",
    "A joy to work with {FIRST} and the team at {GP}.",
    "No comment.",
    "It would help if the DfE trusted local leaders more.",
    "We will bill {MONEY} again this year; ask {TITLE} on {PHONE}.",
    "my daughter's nhs number: {NHS}",
    "Spoke with {Bill} about the bill for transport; we will pay it.",
    "It was a joy to see {Joy} again after the restructure.",
]


def make(split: str, templates: list[str], filler: Filler, n: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        template = templates[i % len(templates)] if i < len(templates) else rng.choice(templates)
        row = filler.fill(template)
        rows.append({"id": f"{split}-{i + 1:04d}", **row})
    return rows


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    rng = random.Random(20261201)
    dev = Filler(rng, DEV_FIRST, DEV_SURNAME, DEV_SCHOOL, DEV_GP, DEV_STREET, DEV_PLACE)
    write(HERE / "dev.jsonl", make("dev", DEV_TEMPLATES, dev, 320, rng))
    rng = random.Random(7)
    held = Filler(rng, HELD_FIRST, HELD_SURNAME, HELD_SCHOOL, HELD_GP, HELD_STREET, HELD_PLACE)
    write(HERE / "heldout.jsonl", make("heldout", HELD_TEMPLATES, held, 200, rng))


if __name__ == "__main__":
    main()
