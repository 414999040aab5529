"""Names that look like personal data but are not, in children's services research.

Programme names (Mockingbird, Social Work in Schools), regulators and bodies
(Ofsted, the DfE), English local authorities, and products that spaCy's small
model mistakes for people (Zoom, WhatsApp). A project extends the list with
``[privacy] allow = [...]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PROGRAMMES = [
    "Ofsted", "Mockingbird", "Social Work in Schools", "Family Hubs", "Family Hub", "Start for Life",
    "Supporting Families", "Troubled Families", "Staying Close", "Staying Put", "Family Valued",
    "No Wrong Door", "Signs of Safety", "Family Group Conferencing", "Pause", "Frontline",
    "Step Up to Social Work", "Think Family", "Early Help", "Multi-Agency Safeguarding Hub", "MASH",
    "Team Around the Family", "Youth Justice Board", "Contextual Safeguarding",
]
BODIES = [
    "DfE", "the DfE", "Department for Education", "NHS", "NHS England", "CAMHS", "CQC", "NSPCC",
    "Barnardo's", "Barnardos", "Action for Children", "The Children's Society", "Coram", "Coram-i",
    "Local Government Association", "LGA", "ADCS", "Ofqual", "Home Office", "DWP", "HMRC",
    "Cafcass", "Youth Offending Team", "YOT", "SEND", "EHCP", "Childline", "Citizens Advice",
    "What Works for Children's Social Care", "Foundations", "Nesta", "Lottery", "National Lottery",
    "Children in Need", "Comic Relief", "Big Lottery", "Police", "Council",
]
PRODUCTS = [
    "Zoom", "Teams", "Microsoft Teams", "WhatsApp", "Discord", "Instagram", "Facebook", "TikTok",
    "Snapchat", "YouTube", "Google", "Google Meet", "Skype", "Excel", "Mosaic", "Liquidlogic",
    "COVID", "COVID-19", "Covid", "Brexit",
]
#: English local authorities (counties, unitary, metropolitan and London boroughs), the
#: place names they are known by; "X Council", "X City Council", "X County Council" and
#: "X Borough Council" are recognised from these.
LOCAL_AUTHORITIES = [
    "Barking and Dagenham", "Barnet", "Barnsley", "Bath and North East Somerset", "Bedford",
    "Bexley", "Birmingham", "Blackburn with Darwen", "Blackpool", "Bolton", "Bournemouth",
    "Bournemouth, Christchurch and Poole", "Bracknell Forest", "Bradford", "Brent", "Brighton",
    "Brighton and Hove", "Bristol", "Bromley", "Buckinghamshire", "Bury", "Calderdale",
    "Cambridgeshire", "Camden", "Central Bedfordshire", "Cheshire East", "Cheshire West and Chester",
    "City of London", "Cornwall", "Coventry", "Croydon", "Cumberland", "Darlington", "Derby",
    "Derbyshire", "Devon", "Doncaster", "Dorset", "Dudley", "Durham", "County Durham", "Ealing",
    "East Riding of Yorkshire", "East Sussex", "Enfield", "Essex", "Gateshead", "Gloucestershire",
    "Greenwich", "Hackney", "Halton", "Hammersmith and Fulham", "Hampshire", "Haringey", "Harrow",
    "Hartlepool", "Havering", "Herefordshire", "Hertfordshire", "Hillingdon", "Hounslow",
    "Hull", "Isle of Wight", "Isles of Scilly", "Islington", "Kensington and Chelsea", "Kent",
    "Kingston upon Hull", "Kingston upon Thames", "Kirklees", "Knowsley", "Lambeth", "Lancashire",
    "Leeds", "Leicester", "Leicestershire", "Lewisham", "Lincolnshire", "Liverpool", "London",
    "Luton", "Manchester", "Medway", "Merton", "Middlesbrough", "Milton Keynes", "Newcastle",
    "Newcastle upon Tyne", "Newham", "Norfolk", "North East Lincolnshire", "North Lincolnshire",
    "North Northamptonshire", "North Somerset", "North Tyneside", "North Yorkshire",
    "Northumberland", "Nottingham", "Nottinghamshire", "Oldham", "Oxfordshire", "Peterborough",
    "Plymouth", "Portsmouth", "Reading", "Redbridge", "Redcar and Cleveland", "Richmond upon Thames",
    "Rochdale", "Rotherham", "Rutland", "Salford", "Sandwell", "Sefton", "Sheffield", "Shropshire",
    "Slough", "Solihull", "Somerset", "South Gloucestershire", "South Tyneside", "Southampton",
    "Southend-on-Sea", "Southwark", "St Helens", "Staffordshire", "Stockport", "Stockton-on-Tees",
    "Stoke-on-Trent", "Suffolk", "Sunderland", "Surrey", "Sutton", "Swindon", "Tameside",
    "Telford and Wrekin", "Thurrock", "Torbay", "Tower Hamlets", "Trafford", "Wakefield", "Walsall",
    "Waltham Forest", "Wandsworth", "Warrington", "Warwickshire", "West Berkshire",
    "West Northamptonshire", "West Sussex", "Westminster", "Westmorland and Furness", "Wigan",
    "Wiltshire", "Windsor and Maidenhead", "Wirral", "Wokingham", "Wolverhampton", "Worcestershire",
    "York", "England", "Wales", "Scotland", "Northern Ireland", "UK", "United Kingdom", "Britain",
    "Great Britain",
]
_COUNCIL_SUFFIXES = ("", " Council", " City Council", " County Council", " Borough Council",
                     " Metropolitan Borough Council", " Children's Services")

DEFAULT_ALLOW: tuple[str, ...] = tuple(
    PROGRAMMES + BODIES + PRODUCTS
    + [la + suffix for la in LOCAL_AUTHORITIES for suffix in _COUNCIL_SUFFIXES]
)


class AllowList:
    """Terms that are never personal data: matched whole-word and case-insensitively.

    A detection is dropped when its text is an allowed term (ignoring a leading
    "the" and a possessive) or lies inside an allowed term's occurrence.

    Examples
    --------
    >>> allow = AllowList(["Ofsted", "Social Work in Schools"])
    >>> allow.allows("Our Social Work in Schools pilot", 4, 15)
    True
    >>> allow.allows("Sarah Jones", 0, 11)
    False
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
        self._exact = {_key(t) for t in self.terms}
        self._pattern = re.compile(
            r"(?<!\w)" + _trie_pattern(self.terms) + r"(?!\w)", re.IGNORECASE
        ) if self.terms else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where allowed terms occur in ``text``."""
        if self._pattern is None:
            return []
        return [m.span() for m in self._pattern.finditer(text)]

    def allows(self, text: str, start: int, end: int,
               spans: list[tuple[int, int]] | None = None) -> bool:
        """Whether ``text[start:end]`` is, or lies inside, an allowed term.

        ``spans`` is :meth:`spans` of ``text``, when the caller has it already.
        """
        if _key(text[start:end]) in self._exact:
            return True
        found = self.spans(text) if spans is None else spans
        return any(s <= start and end <= e for s, e in found)


def _trie_pattern(terms: Iterable[str]) -> str:
    """One regex for many literal terms, as a trie of their lower-case characters.

    It matches what ``term1|term2|...`` (longest first) matches, the longest term
    at each position, but without trying every term at every position: a plain
    alternation of a thousand terms made the allow-list check a tenth of detection.

    >>> p = re.compile(_trie_pattern(["Leeds", "Leeds City Council", "Lewisham"]), re.IGNORECASE)
    >>> [m.group(0) for m in p.finditer("leeds city council, Lewisham, Leeds City")]
    ['leeds city council', 'Lewisham', 'Leeds']
    """
    trie: dict[str, dict] = {}
    for term in terms:
        node = trie
        for char in term.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # continuing is tried first, so the longest term wins (then backtracking, a shorter one)
        return f"(?:{body})?" if ends else body

    return "(?:" + build(trie) + ")"


def _key(term: str) -> str:
    term = term.strip().casefold()
    term = re.sub(r"^the\s+", "", term)
    return re.sub(r"['\u2019]s$", "", term)


def allow_list(extra: Iterable[str] = ()) -> AllowList:
    """The default allow-list plus ``extra`` (a project's ``[privacy] allow``)."""
    return AllowList([*DEFAULT_ALLOW, *extra])
