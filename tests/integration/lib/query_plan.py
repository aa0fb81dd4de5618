"""Build the queries that cover a zone, from the zone's contents as a server transfers it."""

import dataclasses

import dns.name
import dns.query
import dns.rdatatype

# Types queried at a name that lacks them, to get NODATA responses or CNAME and DNAME processing.
# The first type absent at the name is used.
NODATA_CANDIDATES = (dns.rdatatype.A, dns.rdatatype.TXT, dns.rdatatype.AAAA, dns.rdatatype.MX)


@dataclasses.dataclass(frozen=True)
class Query:
    """One question and the reason it is in the plan (existing, nodata, nxdomain, ...).

    zone is the origin of the zone the query was planned for, source the file it came from.
    """

    qname: str
    qtype: int
    category: str
    zone: str
    source: str = ""

    def describe(self):
        return f"{self.qname} {dns.rdatatype.to_text(self.qtype)} ({self.category})"


@dataclasses.dataclass
class ZoneContents:
    """Owner names of one zone mapped to the set of RR types at each name."""

    origin: dns.name.Name
    types_by_name: dict

    def delegation_points(self):
        return [
            name
            for name, types in self.types_by_name.items()
            if dns.rdatatype.NS in types and name != self.origin
        ]

    def wildcards(self):
        return [name for name in self.types_by_name if name.is_wild()]

    def empty_non_terminals(self):
        """Return the names that exist only because a name below them does (RFC 4592 2.2.2)."""
        found = set()
        for name in self.types_by_name:
            parent = name
            while parent != self.origin and len(parent) > len(self.origin):
                parent = parent.parent()
                if parent not in self.types_by_name:
                    found.add(parent)
        return sorted(found)


def transfer_zone(address, port, origin, timeout=10.0):
    """Transfer origin with AXFR from address:port and return its ZoneContents."""
    origin_name = dns.name.from_text(origin)
    types_by_name = {}
    for message in dns.query.xfr(address, origin_name, port=port, lifetime=timeout,
                                 relativize=False):
        for rrset in message.answer:
            types_by_name.setdefault(rrset.name, set()).add(rrset.rdtype)
    return ZoneContents(origin=origin_name, types_by_name=types_by_name)


def mix_case(name):
    """Return name with the case of its letters alternated, as 0x20-encoding resolvers send it."""
    text = name.to_text()
    letters = []
    upper = True
    for character in text:
        if character.isalpha():
            letters.append(character.upper() if upper else character.lower())
            upper = not upper
        else:
            letters.append(character)
    return "".join(letters)


def _absent_type(types):
    for candidate in NODATA_CANDIDATES:
        if candidate not in types:
            return candidate
    return dns.rdatatype.CAA


def _is_below_any(name, parents):
    return any(name != parent and name.is_subdomain(parent) for parent in parents)


def build_plan(contents, source=""):
    """Return the queries for one zone: every owner name and type, plus the edge cases.

    Edge cases: a type absent at each name, ANY, DS at each delegation point, names below
    delegations, wildcards and existing names, empty non-terminals, names that do not exist,
    a mixed-case variant of each owner name, and names outside the zone.
    """
    zone = contents.origin.to_text()
    cuts = contents.delegation_points()
    queries = []

    def add(name, qtype, category):
        if name is None:
            return
        text = name if isinstance(name, str) else name.to_text()
        queries.append(Query(text, qtype, category, zone, source))

    def below(name, *labels):
        """Return labels prepended to name, or None when that exceeds 255 octets."""
        try:
            return dns.name.Name(labels + name.labels)
        except dns.name.NameTooLong:
            return None

    for name in sorted(contents.types_by_name):
        types = contents.types_by_name[name]
        below_cut = _is_below_any(name, cuts)
        category = "below-delegation" if below_cut else "existing"
        for rdtype in sorted(types):
            add(name, rdtype, category)
        add(name, _absent_type(types), "below-delegation" if below_cut else "nodata")
        add(name, dns.rdatatype.ANY, "any")
        add(mix_case(name), min(types), "case")
        if not below_cut and not name.is_wild():
            add(below(name, b"nx-below"), dns.rdatatype.A, "below-name")

    for cut in cuts:
        add(cut, dns.rdatatype.DS, "ds-at-cut")
        add(below(cut, b"www"), dns.rdatatype.A, "below-delegation")
        add(below(cut, b"a", b"b"), dns.rdatatype.AAAA, "below-delegation")

    for wildcard in contents.wildcards():
        types = contents.types_by_name[wildcard]
        one_label = below(wildcard.parent(), b"match")
        for rdtype in sorted(types):
            add(one_label, rdtype, "below-wildcard")
        add(one_label, _absent_type(types), "below-wildcard")
        add(one_label, dns.rdatatype.ANY, "any")
        add(below(wildcard.parent(), b"deeper", b"match"), min(types), "below-wildcard")
        if one_label is not None:
            add(mix_case(one_label), min(types), "case")

    for name in contents.empty_non_terminals():
        add(name, dns.rdatatype.A, "empty-non-terminal")
        add(name, dns.rdatatype.ANY, "any")

    nonexistent = below(contents.origin, b"nx-robur-compare")
    add(nonexistent, dns.rdatatype.A, "nxdomain")
    add(nonexistent, dns.rdatatype.SOA, "nxdomain")
    if len(contents.origin) > 1:
        add(contents.origin.parent(), dns.rdatatype.SOA, "outside")
    add("robur-compare.invalid.", dns.rdatatype.A, "outside")
    return queries
