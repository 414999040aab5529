"""UK recognisers for Presidio: postcodes, phones, NHS and NI numbers, places, names.

Each is a :class:`presidio_analyzer.EntityRecognizer` that returns
``RecognizerResult`` spans. Identifiers are validated (postcode areas, the
NHS mod-11 check, NI prefixes, phone number plans), so numbers that only look
like them (budgets, case references, dates) are not taken.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from themeloop.privacy.names import FIRST_NAMES, SURNAMES, WORD_NAMES

POSTCODE_AREAS = frozenset("""
AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC
EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS
LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR
SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
""".split())


class _Regex(EntityRecognizer):
    """A regex recogniser with a validator; subclasses set the class attributes."""

    ENTITY = ""
    PATTERN: re.Pattern[str]
    SCORE = 0.9

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__,
                         supported_language="en")

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None
                ) -> list[RecognizerResult]:
        results = []
        for m in self.PATTERN.finditer(text):
            span = self.span(m)
            if span is not None:
                results.append(self._result(*span))
        return results

    def span(self, m: re.Match[str]) -> tuple[int, int, float] | None:
        return (m.start(), m.end(), self.SCORE) if self.valid(m.group(0)) else None

    def valid(self, value: str) -> bool:
        return True

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(self.ENTITY, start, end, score,
                                recognition_metadata={"recognizer_name": self.name})  # type: ignore[has-type]


class EmailAddressRecognizer(_Regex):
    """E-mail addresses (a plain pattern: no public-suffix lookup, nothing online)."""

    ENTITY = "EMAIL"
    PATTERN = re.compile(
        r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])"
    )
    SCORE = 1.0


class UkPostcodeRecognizer(_Regex):
    """UK postcodes, with or without the space, in any case; the area must exist.

    >>> r = UkPostcodeRecognizer()
    >>> [m.group(0) for m in r.PATTERN.finditer("LS1 4AP, m145rt, EC1A 1BB, CR-2024")
    ...  if r.valid(m.group(0))]
    ['LS1 4AP', 'm145rt', 'EC1A 1BB']
    """

    ENTITY = "UK_POSTCODE"
    PATTERN = re.compile(
        r"(?<![\w-])([A-Z]{1,2})(\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})(?![\w-])", re.IGNORECASE
    )
    SCORE = 0.9

    def valid(self, value: str) -> bool:
        m = self.PATTERN.fullmatch(value)
        return m is not None and m.group(1).upper() in POSTCODE_AREAS


def nhs_check(digits: str) -> bool:
    """The NHS number's mod-11 check digit.

    >>> nhs_check("9434765919"), nhs_check("9434765918")
    (True, False)
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


class NhsNumberRecognizer(_Regex):
    """NHS numbers: ten digits (3-3-4, spaced, hyphenated or run together) passing mod-11."""

    ENTITY = "NHS_NUMBER"
    PATTERN = re.compile(r"(?<![\w+-])\d{3}([ -]?)\d{3}\1\d{4}(?![\w-])")
    SCORE = 1.0

    def valid(self, value: str) -> bool:
        return nhs_check(re.sub(r"\D", "", value))


_NI_BAD_PAIRS = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


class UkNiNumberRecognizer(_Regex):
    """National Insurance numbers: valid prefix letters, six digits, suffix A-D.

    >>> r = UkNiNumberRecognizer()
    >>> [r.valid(v) for v in ("AB 12 34 56 C", "ab123456c", "QQ123456C", "GB123456A")]
    [True, True, False, False]
    """

    ENTITY = "UK_NI_NUMBER"
    PATTERN = re.compile(
        r"(?<!\w)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)",
        re.IGNORECASE,
    )
    SCORE = 0.95

    def valid(self, value: str) -> bool:
        if not self.PATTERN.fullmatch(value):
            return False
        return value[:2].upper() not in _NI_BAD_PAIRS


class UkPhoneRecognizer(_Regex):
    """UK phone numbers that are *possible* in the GB numbering plan.

    Presidio's check (``is_valid_number``) refuses numbers that are not
    allocated, among them Ofcom's ranges for drama and tests (07700 900xxx,
    020 7946 0xxx); those are exactly what examples use, and a typo'd real
    number is still personal data. A number must be written as a UK number
    (starting 0, +44 or 0044) so budgets and references are not taken.
    """

    ENTITY = "UK_PHONE"
    PATTERN = re.compile(
        r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0044\s?|\(?0)\d[\d\s()-]{7,13}\d(?![\w-])"
    )
    SCORE = 0.85

    def span(self, m: re.Match[str]) -> tuple[int, int, float] | None:
        import phonenumbers

        value = m.group(0)
        start, end = m.start(), m.end()
        digits = re.sub(r"\D", "", value)
        if not 10 <= len(digits) <= 14:
            return None
        try:
            number = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number) or number.country_code != 44:
            return None
        score = self.SCORE if phonenumbers.is_valid_number(number) else self.SCORE - 0.1
        return start, end, score


_CAP = r"[A-Z][\w'\u2019]*(?:-[A-Z][\w'\u2019]*)?"
_LEAD_STOP = {"The", "A", "An", "Our", "My", "His", "Her", "Their", "This", "That", "At", "In",
              "On", "To", "From", "And", "Every", "Each", "Local", "New", "Old", "Send", "Ring",
              "Call", "Contact", "Write", "Home", "Post", "Dear", "Thanks", "When", "Kids"}


class _Place(_Regex):
    """A proper-noun name followed by a kind word ("Hillside Primary", "Mill Lane")."""

    def span(self, m: re.Match[str]) -> tuple[int, int, float] | None:
        start, words = m.start(), m.group(0).split(" ")
        while words and words[0] in _LEAD_STOP and len(words) > 2:
            start += len(words[0]) + 1
            words = words[1:]
        if not words or words[0] in _LEAD_STOP:
            return None
        return start, m.end(), self.SCORE


class SchoolRecognizer(_Place):
    """Schools, academies, nurseries and colleges named by a capitalised name."""

    ENTITY = "SCHOOL"
    PATTERN = re.compile(
        rf"(?:(?:St\.?|Holy|Our Lady(?: of)?) )?(?:{_CAP} ){{1,4}}"
        r"(?:(?:Primary|Junior|Infant|Infants|Nursery|High|Secondary|Community|Grammar|Church|"
        r"C of E|CE|RC|Catholic|Free)(?: (?:and Nursery|Primary|School|Academy))?(?: School| Academy)?"
        r"|School|Academy|College|Nursery)(?!\w)"
    )
    SCORE = 0.8


class GpSurgeryRecognizer(_Place):
    """GP surgeries and health centres ("Parkview Surgery", "The Grove Medical Centre")."""

    ENTITY = "GP_SURGERY"
    PATTERN = re.compile(
        rf"(?:The )?(?:{_CAP} ){{1,4}}(?:Surgery|Medical Centre|Health Centre|Medical Practice|"
        r"Group Practice|Health Clinic)(?!\w)"
    )
    SCORE = 0.8


class StreetRecognizer(_Place):
    """Street names, with a house number when one is given ("22 Beech Avenue")."""

    ENTITY = "STREET"
    PATTERN = re.compile(
        rf"(?:\b\d{{1,4}}[A-Za-z]? )?(?:{_CAP} ){{1,3}}(?:Road|Street|Lane|Avenue|Close|Crescent|"
        r"Drive|Way|Grove|Terrace|Gardens|Place|Court|Row|Walk|Rise|Mews|Square|Parade|Hill|Green|"
        r"Park Road|Vale|View)(?!\w)"
    )
    SCORE = 0.75

    def span(self, m: re.Match[str]) -> tuple[int, int, float] | None:
        found = super().span(m)
        if found is None:
            return None
        start, end, score = found
        words = m.string[start:end].split(" ")
        # "Castle Hill Academy" is a school, "Park View" alone too vague: kind words only
        # count as a street when a name comes before them.
        if len(words) < 2 or (words[0].isdigit() and len(words) < 3):
            return None
        return start, end, score


_ROLE = (r"(?:social worker|key worker|support worker|youth worker|worker|manager|carer|"
         r"foster carer|nurse|teacher|head|mentor|coordinator|officer|called|named|"
         r"spoke (?:to|with)|speak to|talk(?:ed)? to|ask for|thanks to|contact|with|to|"
         r"mr|mrs|ms|miss|dr|is|was|and)")


class NameContextRecognizer(EntityRecognizer):
    """People spaCy misses: known given names after a role or title, in any case.

    Takes ``sarah jones`` in "i spoke to sarah jones" and ``kerry`` in "my
    worker is kerry"; a given name that is also a word (Hope, Will, Mark) only
    when it is capitalised and not at a sentence's start.
    """

    TOKEN = re.compile(r"[A-Za-z][a-z'\u2019-]+|[A-Z][A-Z'\u2019-]+")
    ROLE = re.compile(rf"(?i:\b{_ROLE})\s+$")
    NAME_NEXT = re.compile(r" (?:said|says|told|from the|at the|who|runs|helped|visited|and [A-Z])")
    TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+([A-Z][a-z'\u2019-]+)")

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="NameContextRecognizer",
                         supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None
                ) -> list[RecognizerResult]:
        results = []
        for m in self.TITLE.finditer(text):
            results.append(RecognizerResult("PERSON", m.start(), m.end(), 0.85,
                                            recognition_metadata={"recognizer_name": self.name}))  # type: ignore[has-type]
        tokens = list(self.TOKEN.finditer(text))
        for i, tok in enumerate(tokens):
            word = tok.group(0)
            low = word.casefold()
            if low not in FIRST_NAMES:
                continue
            before = text[max(0, tok.start() - 30):tok.start()]
            after_role = bool(self.ROLE.search(before))
            sentence_start = not before.strip() or before.rstrip()[-1:] in ".!?:;\n"
            end = tok.end()
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            spaced = nxt is not None and text[tok.end():nxt.start()] == " "
            following = nxt.group(0) if nxt is not None and spaced else ""
            known_surname = following.casefold() in SURNAMES if following else False
            has_surname = known_surname or (bool(following) and following[0].isupper()
                                            and word[0].isupper())
            if low in WORD_NAMES:
                capital = word[0].isupper()
                ok = ((capital and (after_role or not sentence_start))
                      or (capital and self.NAME_NEXT.match(text, tok.end()))
                      or (after_role and known_surname))
                if not ok:
                    continue
            if has_surname and nxt is not None:
                end = nxt.end()
            if not (after_role or has_surname or word[0].isupper()):
                continue
            score = 0.75 if (after_role or has_surname) else 0.6
            results.append(RecognizerResult("PERSON", tok.start(), end, score,
                                            recognition_metadata={"recognizer_name": self.name}))  # type: ignore[has-type]
        return results


_TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"})
_NOT_PLACES = frozenset("""
January February March April May June July August September October November December Monday
Tuesday Wednesday Thursday Friday Saturday Sunday Year Reception Christmas Easter English Maths
Court Parliament Government God
""".split())


class PlaceContextRecognizer(_Regex):
    """Towns and neighbourhoods: a capitalised name after "in", "to", "from", "near", or
    between an address's street and its postcode. Known given names are left to the
    name recognisers; the allow-list removes local authorities."""

    ENTITY = "LOCATION"
    PATTERN = re.compile(
        r"(?:\b(?:in|to|from|near|around|across|towards|of)\s|,\s)"
        r"([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)(?=\s*(?:[,.;:!?)]|$|\s(?:and|is|has|since|"
        r"where|which|who|[A-Za-z]{1,2}\d)))"
    )
    SCORE = 0.7

    def span(self, m: re.Match[str]) -> tuple[int, int, float] | None:
        name = m.group(1)
        first = name.split()[0].split("-")[0]
        if (first.casefold() in FIRST_NAMES or first.casefold() in SURNAMES
                or first in _NOT_PLACES or first in _LEAD_STOP or first in _TITLES):
            return None
        return m.start(1), m.end(1), self.SCORE


def uk_recognisers() -> list[EntityRecognizer]:
    """One of each UK recogniser, in a fixed order."""
    return [EmailAddressRecognizer(), UkPostcodeRecognizer(), NhsNumberRecognizer(),
            UkNiNumberRecognizer(), UkPhoneRecognizer(), SchoolRecognizer(),
            GpSurgeryRecognizer(), StreetRecognizer(), NameContextRecognizer(),
            PlaceContextRecognizer()]
